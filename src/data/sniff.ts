// Reasons a user can act on for files the decoder refuses without a useful word. sharp calls an empty file,
// a BMP and a PPM alike "unsupported image format"; torchvision's ImageFolder reads BMP and PPM/PGM, so
// someone coming from PyTorch needs to hear that these are the files tlearn does not read and what to do.
// Only called after a decode failed: one small read then, nothing on the normal path.
import { open, stat } from 'node:fs/promises';
import { READABLE_FORMATS_TEXT } from './names.js';

/** The first bytes of a file or buffer (undefined when the file cannot be read). */
async function head(input: string | Buffer, n = 16): Promise<Buffer | undefined> {
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

/**
 * Why a file that failed to decode cannot be read, when its bytes say more than the decoder did: an empty file,
 * or a format tlearn does not decode. Undefined otherwise (the decoder's own message is then the reason).
 */
export async function explainUnreadable(input: string | Buffer): Promise<string | undefined> {
  const bytes = await head(input);
  if (!bytes) return undefined;
  if (bytes.length === 0) return 'empty file (0 bytes)';
  const kind = unreadableKind(bytes);
  if (!kind) return undefined;
  return `${kind} file: tlearn reads ${READABLE_FORMATS_TEXT}, not ${kind.split(' ')[0]}; convert it to PNG`;
}
