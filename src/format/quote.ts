// How a value the user gave (a config value or key, a --set argument, a path) appears in a message: whole when
// it is short, else its start and end with the length, so that a 50 MB string never comes back as a 50 MB message.
// Every message that quotes user input goes through these functions. src/format is the bottom module that
// every layer may import (it imports nothing), so that each layer quotes and rounds the same way.

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

/**
 * A value of any type as a message quotes it (a checkpoint's metadata, say): JSON, except numbers as JavaScript
 * writes them (Infinity and NaN, which JSON cannot), arrays cut after 30 items, shortened as `shorten` does.
 */
export function quoteValue(v: unknown, max = MAX_QUOTED): string {
  const text = (x: unknown): string => {
    if (typeof x === 'number') return String(x);
    if (Array.isArray(x)) return `[${x.slice(0, 30).map(text).join(',')}${x.length > 30 ? ',...' : ''}]`;
    return JSON.stringify(x) ?? String(x);
  };
  return shorten(text(v), max);
}
