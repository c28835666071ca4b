// Temp folders for tests, removed when the test process exits (each test file runs in its own process).
// Training tests write checkpoints of ~100 MB: folders left behind by repeated runs once filled a CI disk, and
// scripts/run-tests.mjs now fails the suite when anything is left in its private TMPDIR.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];
process.on('exit', removeTempDirs);

/** A new, empty folder under the temp directory; removed by removeTempDirs() or when the process exits. */
export function tempDir(prefix = 'tlearn-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Registers another file or folder for the same removal. */
export function tempPath(p: string): string {
  made.push(p);
  return p;
}

/** Removes every folder made so far (call it from an `after` hook to free the disk before the process ends). */
export function removeTempDirs(): void {
  for (const p of made.splice(0)) fs.rmSync(p, { recursive: true, force: true });
}
