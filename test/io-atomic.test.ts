// The atomic writer: a failed write names the file it could not write (a full disk used to print only
// "ENOSPC: no space left on device, write"), keeps the system error's code, and leaves no temp file behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeFileAtomicAsync } from '../src/io/atomic.js';
import { tempDir } from './helpers/temp.js';

test('a write that fails names the target and keeps the error code; no temp file is left', async () => {
  const dir = tempDir('tlearn-io-atomic-');
  // A folder where the file should go: the final rename fails (EISDIR), even for root.
  const target = path.join(dir, 'best_model_phase1.safetensors');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'keep'), 'x');
  for (const write of [() => writeFileAtomic(target, [Buffer.from('data')]), () => writeFileAtomicAsync(target, 'data')]) {
    await assert.rejects(async () => write(), (e: NodeJS.ErrnoException) => {
      assert.match(e.message, new RegExp(`^cannot write ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      assert.ok(e.code === 'EISDIR' || e.code === 'ENOTEMPTY' || e.code === 'EEXIST', String(e.code));
      return true;
    });
    assert.deepEqual(fs.readdirSync(dir), ['best_model_phase1.safetensors'], 'no temp file left');
  }
  // Errors that are not the file system's (a chunk that cannot be produced) pass through unchanged.
  // biome-ignore lint/correctness/useYield: a serializer that fails before its first chunk
  const failing = function* (): Generator<Uint8Array> { throw new Error('serialize failed'); };
  assert.throws(() => writeFileAtomic(path.join(dir, 'x.bin'), failing()), /^Error: serialize failed$/);
});
