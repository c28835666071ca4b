// How a value the user gave (a config value or key, a --set argument, a path) appears in a message: whole when
// it is short, else its start and end with the length, so that a 50 MB string never comes back as a 50 MB message.
// Every message that quotes user input goes through these two functions.

/** Most characters of a value a message quotes. */
export const MAX_QUOTED = 100;

// Cuts never split a surrogate pair (a character outside the BMP is two UTF-16 units).
const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** The kept part of a text longer than `max`: its start and end around '…', at most `max` characters. */
function ends(text: string, max: number): string {
  let h = Math.ceil((max - 1) * 0.6);
  let t = text.length - (max - 1 - h);
  if (isHigh(text.charCodeAt(h - 1))) h--;
  if (isLow(text.charCodeAt(t))) t++;
  return `${text.slice(0, h)}…${text.slice(t)}`;
}

/** `text` itself when at most `max` characters long; else its start and end followed by ` (N characters)`. */
export function shorten(text: string, max = MAX_QUOTED): string {
  return text.length <= max ? text : `${ends(text, max)} (${text.length} characters)`;
}

/** A string as a message quotes it: in double quotes (JSON escapes), shortened as `shorten` does. */
export function quote(text: string, max = MAX_QUOTED): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(ends(text, max))} (${text.length} characters)`;
}
