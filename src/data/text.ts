// The text of a file tlearn reads as text (a CSV data source, a config file). Excel's "Unicode text" and
// PowerShell 5's default write UTF-16 with a byte-order mark; read as UTF-8 such a file is text with a NUL after
// every character, whose paths are all "not found". So: UTF-8 (a BOM dropped) and UTF-16 of either byte order
// (by its BOM) are decoded; anything else is refused with the byte where it stops being text.

const UTF8_BOM = [0xef, 0xbb, 0xbf];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** 1-based line of the element at `index` (LF bytes or, in UTF-16, LF code units before it). */
function lineAt(items: Uint8Array | Uint16Array, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (items[i] === 0x0a) line++;
  return line;
}

/**
 * Offset of the first byte that does not start a valid UTF-8 sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or -1. Only run after the decoder refused the bytes.
 */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    let n: number, lo = 0x80, hi = 0xbf;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) { n = 2; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
    else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** Index of the first unpaired surrogate, or -1. */
function firstUnpairedSurrogate(units: Uint16Array): number {
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = units[i + 1];
      if (next !== undefined && next >= 0xdc00 && next <= 0xdfff) { i++; continue; }
      return i;
    }
    if (u >= 0xdc00 && u <= 0xdfff) return i;
  }
  return -1;
}

function decodeUtf16(bytes: Uint8Array, bigEndian: boolean, what: string): string {
  const body = Buffer.from(bytes.subarray(2));
  if (body.length % 2 !== 0) throw new Error(`${what} is UTF-16 with an odd number of bytes (${bytes.length}): the file is cut short; save it again, as UTF-8`);
  if (bigEndian) body.swap16();
  const units = new Uint16Array(body.buffer, body.byteOffset, body.length / 2);
  const bad = firstUnpairedSurrogate(units);
  if (bad >= 0) throw new Error(`${what} is not valid UTF-16 text (byte ${2 * bad + 3}, line ${lineAt(units, bad)}); save it as UTF-8`);
  return body.toString('utf16le');
}

/**
 * The text of a file's bytes: UTF-8 (a BOM dropped) or UTF-16 LE/BE with a BOM. Throws, naming `what` (the
 * file), for bytes that are not UTF-8 and for NUL bytes (UTF-16 without a BOM, or binary data).
 */
export function decodeText(bytes: Uint8Array, what: string): string {
  const nulBytes = (line: number) => new Error(`${what} holds NUL bytes (line ${line}): it may be UTF-16 without a byte-order mark, ` +
    'or not text; save it as UTF-8');
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    const text = decodeUtf16(bytes, bytes[0] === 0xfe, what);
    const nul = text.indexOf('\0');
    if (nul >= 0) throw nulBytes(text.slice(0, nul).split('\n').length);
    return text;
  }
  // NUL first: UTF-16 without a BOM is mostly NULs, and saying so helps more than the first byte that is not UTF-8.
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw nulBytes(lineAt(bytes, nul));
  const body = startsWith(bytes, UTF8_BOM) ? bytes.subarray(3) : bytes;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    const at = firstInvalidUtf8(body) + (body === bytes ? 0 : 3);
    throw new Error(`${what} is not UTF-8 text (byte ${at + 1}, line ${lineAt(bytes, at)}); save it as UTF-8 (it may be Latin-1 or Windows-1252)`);
  }
}
