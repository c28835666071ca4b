// Atomic file writes: data goes to a temporary file in the target's folder and is renamed over the target
// only once complete, so a crash or a full disk never leaves a truncated checkpoint under the real name.
import * as fs from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/** A unique temporary name next to `target` (same folder, so the rename cannot cross file systems). */
export function tempPathFor(target: string): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${rand}.tmp`);
}

/** Writes the chunks in order to `target`, atomically. Chunks are written as they are, without concatenation. */
export function writeFileAtomic(target: string, chunks: Iterable<Uint8Array>): void {
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = tempPathFor(target);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += fs.writeSync(fd, c, off, c.length - off);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already failing */ }
    try { fs.rmSync(tmp, { force: true }); } catch { /* best effort */ }
    throw e;
  }
}

/**
 * The asynchronous form, for files the data layer and evaluation write (manifest, audit, cache entries, metrics).
 * It does not fsync: those files can be recreated from the data, and the cache writes thousands of them.
 */
export async function writeFileAtomicAsync(target: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = tempPathFor(target);
  try {
    await writeFile(tmp, data);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
