#!/usr/bin/env node
// Runs the compiled test suite (dist/test/*.test.js) with a private temp folder as TMPDIR, then fails if the suite
// left anything in it. Training tests write checkpoints of ~100 MB; leftovers of repeated runs once filled the disk
// of the machine CI runs on. The folder is removed in every case, so a failed run does not leak either.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const testDir = path.join('dist', 'test');
const files = fs.readdirSync(testDir).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(testDir, f));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-tests-'));

/** Bytes under p (files only; links are not followed). */
function sizeOf(p) {
  const st = fs.lstatSync(p);
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((sum, name) => sum + sizeOf(path.join(p, name)), 0);
}

let status = 1;
try {
  const run = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], {
    stdio: 'inherit',
    env: { ...process.env, TMPDIR: tmp, TEMP: tmp, TMP: tmp },
  });
  status = run.status ?? 1;
  const left = fs.readdirSync(tmp);
  if (left.length > 0) {
    console.error(`\nThe test suite left ${left.length} entries in its temp folder (each test must remove what it writes):`);
    for (const name of left) console.error(`  ${name}  ${(sizeOf(path.join(tmp, name)) / 1e6).toFixed(1)} MB`);
    status = 1;
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(status);
