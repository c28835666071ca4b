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
    throw writeError(target, e);
  }
}

/**
 * A file-system error names the file it was writing (a full disk says only "ENOSPC: no space left on device,
 * write"), keeping its code; other errors (a chunk that could not be produced) pass through as they are.
 */
function writeError(target: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (!(e instanceof Error) || typeof code !== 'string') return e;
  const hint = code === 'ENOSPC' ? ' (free some space; what was saved before is intact)' : '';
  return Object.assign(new Error(`cannot write ${target}: ${e.message}${hint}`, { cause: e }), { code });
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
    throw writeError(target, e);
  }
}

/**
 * The names the writers above give their temporary files (`.name.pid.rand.tmp`, see tempPathFor), with the
 * writing process's id in group 1. The run folder's cleanup and the evaluation folder's both go by it.
 */
export const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-z]{1,16}\.tmp$/;

/** Whether process `pid` still runs (a temp file it names may still be being written). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True for a temporary name of tlearn's atomic writers whose writing process is gone (a killed write's leftover). */
export function isStaleTempName(name: string): boolean {
  const m = TEMP_NAME.exec(name);
  return m !== null && !processAlive(Number(m[1]));
}
