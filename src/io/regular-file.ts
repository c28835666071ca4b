// Only regular files are opened. Opening a FIFO for reading waits for a writer, for ever; a device such as
// /dev/zero never ends; a socket cannot be opened at all. Every path a user names as a file (an image, a
// CSV, a config, a model and its sidecar) is checked with these before it is opened, so that such a path
// gets a message ("not a regular file (a FIFO)") instead of a hang.
import fs, { type Stats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';

/** What a path that is not a regular file is, in words ('a FIFO', 'a folder', ...); undefined for a regular file. */
export function specialKind(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a file';
}

/** 'not a regular file (a FIFO)', or undefined for a regular file. */
export function notRegularReason(st: Stats): string | undefined {
  const kind = specialKind(st);
  return kind === undefined ? undefined : `not a regular file (${kind})`;
}

/** An error for a path that is not a regular file: `${file}: not a regular file (a FIFO)`. */
export class NotRegularFileError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'NotRegularFileError';
  }
}

/**
 * Throws NotRegularFileError when `file` exists and is not a regular file (links are followed). A path that
 * cannot be stat'ed passes: opening it then fails with the system's own reason (ENOENT, EACCES). With
 * `folders: 'pass'` a folder passes too, for callers that name it in their own words.
 */
export function checkRegularFileSync(file: string, opts: { folders?: 'pass' } = {}): void {
  let st: Stats;
  try { st = fs.statSync(file); } catch { return; }
  if (opts.folders === 'pass' && st.isDirectory()) return;
  const why = notRegularReason(st);
  if (why) throw new NotRegularFileError(file, why);
}

/** checkRegularFileSync without blocking the event loop. */
export async function checkRegularFile(file: string): Promise<void> {
  let st: Stats;
  try { st = await stat(file); } catch { return; }
  const why = notRegularReason(st);
  if (why) throw new NotRegularFileError(file, why);
}

/**
 * Why `file` cannot be opened as a regular file, in words, or undefined when it can: 'does not exist', 'broken
 * symbolic link (...)', 'symbolic link loop (...)', 'not a regular file (a FIFO)', or the system's message.
 * One wording for the decoder, the data check and predict's inputs.
 */
export async function unopenableReason(file: string): Promise<string | undefined> {
  try {
    return notRegularReason(await stat(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return 'symbolic link loop (the links lead back to each other)';
    if (code === 'ENOENT') return (await isLink(file)) ? 'broken symbolic link (its target does not exist)' : 'does not exist';
    return `cannot read file: ${(e as Error).message}`;
  }
}

async function isLink(file: string): Promise<boolean> {
  try {
    return (await lstat(file)).isSymbolicLink();
  } catch {
    return false;
  }
}
