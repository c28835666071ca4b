// A data-parallel start that failed leaves RUN/logs/ (the ranks' logs) and, after a kill, a rank's cache folders:
// like the other files of a failed start they do not stop a new run in that folder.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { inspectRunDir } from '../src/train/run-dir.js';
import { tempDir } from './helpers/temp.js';

test("a failed start's logs/ and rank cache folders count as the start's files", () => {
  const dir = tempDir('tlearn-ddp-dir-');
  try {
    fs.writeFileSync(path.join(dir, 'config.json'), '{}');
    fs.mkdirSync(path.join(dir, 'logs'));
    fs.writeFileSync(path.join(dir, 'logs', 'rank-1.log'), 'Data: ...\n');
    fs.mkdirSync(path.join(dir, '.image-cache-rank-1'));
    assert.equal(inspectRunDir(dir).kind, 'pretraining');
    fs.mkdirSync(path.join(dir, 'notes'));
    assert.deepEqual(inspectRunDir(dir), { kind: 'other', entries: ['notes'] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
