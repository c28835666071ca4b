// What a file's first bytes say before and after the decoder has seen them.
//  - Before (refuseByContent, on every decode): SVG and other markup, and gzip (an .svgz drawing), which no raster
//    format starts like. sharp hands such bytes to librsvg even for the header, which parses the whole document
//    (9 MB of shapes: 6 s) and answers a drawing declared 100000x100000 with "exceeds pixel limit".
//  - After a decode failed (explainUnreadable): reasons a user can act on. sharp calls an empty file, a BMP and a
//    PPM alike "unsupported image format"; torchvision's ImageFolder reads BMP and PPM/PGM, so someone coming
//    from PyTorch needs to hear that these are the files tlearn does not read and what to do.
import { open, stat } from 'node:fs/promises';
import { READABLE_FORMATS_TEXT } from './names.js';

/** The first bytes of a file or buffer (undefined when the file cannot be read). */
export async function firstBytes(input: string | Buffer, n = 16): Promise<Buffer | undefined> {
  if (typeof input !== 'string') return input.subarray(0, n);
  try {
    if (!(await stat(input)).isFile()) return undefined; // a FIFO would wait for a writer
    const fh = await open(input, 'r');
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally { await fh.close(); }
  } catch {
    return undefined;
  }
}

/** The kind of a file from its signature, for the kinds tlearn knows it cannot read. */
export function unreadableKind(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
  if (text.startsWith('BM') && bytes.length >= 14) return 'BMP';
  if (/^P[1-7]\s/.test(text)) return 'PNM (PPM/PGM/PBM)';
  if (/^P[Ff]\s/.test(text)) return 'PFM';
  if (text.startsWith('%PDF')) return 'PDF';
  return undefined;
}

/** The refusal of a format tlearn does not decode, named in words. */
export function notReadableFormat(name: string): string {
  return `${name} is not an image format tlearn reads (${READABLE_FORMATS_TEXT})`;
}

/** How much of a file the content sniff reads: an XML declaration, a doctype and comments before `<svg` fit. */
export const SNIFF_BYTES = 4096;

/**
 * Markup or compressed data where an image should be: 'svg' (an `<svg` element in a document that starts with
 * markup after an optional BOM and whitespace, or libvips' own test: the first 24 bytes are plain text and `<svg`
 * comes within the first 1000), 'markup' (other XML or HTML), 'gzip' (an .svgz drawing, which libvips renders
 * too). UTF-16 text (with its BOM) is read as such. Undefined for anything else, every raster format included.
 */
export function markupKind(bytes: Uint8Array): 'svg' | 'markup' | 'gzip' | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, SNIFF_BYTES));
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  let text: string;
  if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)) {
    const units = Buffer.from(b.subarray(2, 2 + ((b.length - 2) & ~1)));
    text = (b[0] === 0xfe ? units.swap16() : units).toString('utf16le');
  } else {
    // One character per byte: enough to find ASCII markup, whatever the encoding of the rest.
    text = b.subarray(b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0).toString('latin1');
  }
  if (/^\s*</.test(text)) return /<svg/i.test(text) ? 'svg' : 'markup';
  const plain = b.subarray(0, 24).every((c) => c >= 0x09 && c <= 0x7f);
  return plain && /<svg/i.test(text.slice(0, 1000)) ? 'svg' : undefined;
}

const MARKUP_NAMES = { svg: 'SVG (a vector drawing)', markup: 'XML or HTML text', gzip: 'gzip-compressed data (an .svgz drawing?)' };

/**
 * Throws when the first bytes of a file (or buffer) are SVG, other markup or gzip: called before any bytes
 * reach sharp, so that librsvg never parses them. A file that cannot be read is left for the decoder to report.
 * Returns the bytes it read (up to SNIFF_BYTES), for the caller's own look at them.
 */
export async function refuseByContent(input: string | Buffer): Promise<Buffer | undefined> {
  const bytes = await firstBytes(input, SNIFF_BYTES);
  const kind = bytes && markupKind(bytes);
  if (kind) throw new Error(notReadableFormat(MARKUP_NAMES[kind]));
  return bytes;
}

/**
 * Why a file that failed to decode cannot be read, when its bytes say more than the decoder did: an empty file,
 * or a format tlearn does not decode. Undefined otherwise (the decoder's own message is then the reason).
 */
export async function explainUnreadable(input: string | Buffer): Promise<string | undefined> {
  const bytes = await firstBytes(input);
  if (!bytes) return undefined;
  if (bytes.length === 0) return 'empty file (0 bytes)';
  if (typeof input === 'string' && /\.(dcm|dicom)$/i.test(input)) {
    return "a .dcm file without DICOM's file header ('DICM' at byte 128; tlearn reads DICOM files as scanners and PACS " +
      "exports write them): rewrite it with DCMTK's `dcmconv +F`, or pydicom's save_as(..., write_like_original=False)";
  }
  const kind = unreadableKind(bytes);
  if (!kind) return undefined;
  return `${kind} file: tlearn reads ${READABLE_FORMATS_TEXT}, not ${kind.split(' ')[0]}; convert it to PNG`;
}
