// --api-key-file: requests must carry `Authorization: Bearer <key>`. The key is compared in constant time:
// both sides are hashed first (SHA-256), so timingSafeEqual gets equal lengths and the time says nothing of the
// key's length or of how many leading characters matched.
import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** The key in FILE (its first line, surrounding whitespace dropped); refuses an empty or unreadable file. */
export function readApiKey(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--api-key-file ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const key = text.split(/\r?\n/)[0]!.trim();
  if (key.length < 16) throw new Error(`--api-key-file ${file}: the key (its first line) must have at least 16 characters, it has ${key.length}`);
  return key;
}

/** A checker of Authorization headers against the key. */
export function bearerChecker(key: string): (header: string | undefined) => boolean {
  const expected = digest(key);
  return (header) => {
    const m = /^Bearer +(\S+) *$/i.exec(header ?? '');
    return timingSafeEqual(digest(m ? m[1]! : ''), expected) && m !== null;
  };
}
