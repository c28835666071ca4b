// bench/onnx-predict.ts at a tiny size: it runs onnxruntime-node, libtorch and PyTorch on the same weights and
// input, prints images/s and the ratios for each batch size, and the three agree on the probabilities.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const bench = path.resolve(here, '../bench/onnx-predict.js');

test('the ONNX prediction benchmark prints images/s of the three side by side, and their outputs agree', () => {
  const r = spawnSync(process.execPath, [bench, '--arch', 'resnet18', '--size', '32', '--threads', '1', '--batches', '1,3', '--iters', '1', '--warmup', '0'],
    { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  for (const b of [1, 3]) {
    const line = new RegExp(`batch +${b} \\(1 iterations\\): onnxruntime-node +[\\d.]+ images/s, tlearn libtorch +[\\d.]+ images/s, PyTorch eager +[\\d.]+ images/s; onnxruntime/libtorch [\\d.]+x`);
    assert.match(r.stdout, line);
  }
  const diffs = [...r.stdout.matchAll(/max \|onnxruntime - libtorch\| ([\d.e+-]+), max \|libtorch - PyTorch\| ([\d.e+-]+)/g)];
  assert.equal(diffs.length, 2, r.stdout);
  for (const d of diffs) for (const v of [d[1], d[2]]) assert.ok(Number(v) <= 1e-5, r.stdout);
});
