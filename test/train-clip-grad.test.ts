// clipGradNorm in a run (config clipGradNorm, --clip-grad-norm): one SGD step of phase 1 without momentum, so
// that the update is -lr times the (clipped) gradient. A limit of 1e-30 leaves the weights as they started (the
// update is below float32's resolution): the starting point w0. Unclipped, the update is u = -lr·g; clipped to c,
// it must be u · c / (‖g‖ + 1e-6), as torch.nn.utils.clip_grad_norm_ scales it (tested against torch in
// nn-clip-grad.test.ts), and the configuration refuses a limit that is not a positive number.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { train } from '../src/train/index.js';
import { ConfigError } from '../src/train/config/index.js';
import { readSafetensors } from '../src/io/index.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

const T = { timeout: 600_000 };
// 8 training images, batch 8: one step per epoch.
const data = await makeStripes(tempDir(), { train: 4, val: 2, test: 1 });
const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const SGD_STEP = ['phases[0].optimizer=sgd', 'phases[0].momentum=0', 'phases[0].lr=0.5'];

/** The head's weights after phase 1's one step (its best, and only, epoch), flattened in key order. */
async function headAfterOneStep(clip: number | null): Promise<Float64Array> {
  const out = tempDir('tlearn-clip-');
  const r = await train(tinyConfig(data, [...SGD_STEP, ...(clip === null ? [] : [`clipGradNorm=${clip}`])], { epochs1: 1, epochs2: 0 }),
    { out, handleSigint: false, quiet: true, skipEvaluation: true });
  const tensors = readSafetensors(r.bestModel!).tensors;
  const head = [...tensors.keys()].filter((k) => k.startsWith('fc.')).sort();
  assert.ok(head.length >= 2, head.join());
  // A copy of each tensor's bytes (the data is a view into the whole file).
  return Float64Array.from(head.flatMap((k) => Array.from(new Float32Array(Uint8Array.from(tensors.get(k)!.data).buffer))));
}

test('a run clips each step\'s gradients to clipGradNorm as clip_grad_norm_ does', T, async () => {
  const w0 = await headAfterOneStep(1e-30);
  const free = await headAfterOneStep(null);
  const c = 0.01;
  const clipped = await headAfterOneStep(c);
  const u = free.map((w, i) => w - w0[i]!);
  const gradNorm = norm(u) / 0.5;
  assert.ok(gradNorm > 10 * c, `the gradient's norm ${gradNorm} must exceed the limit for the test to tell`);
  const k = c / (gradNorm + 1e-6);
  let worst = 0;
  clipped.forEach((w, i) => { worst = Math.max(worst, Math.abs((w - w0[i]!) - k * u[i]!)); });
  // float32 weights: each difference carries rounding of about 1e-9 (weights of ~0.05 hold 7 digits).
  assert.ok(worst < 2e-8 + 1e-3 * u.reduce((m, v) => Math.max(m, Math.abs(k * v)), 0), `clipped update off by ${worst}`);
  assert.ok(Math.abs(norm(clipped.map((w, i) => w - w0[i]!)) - 0.5 * c) < 1e-3 * 0.5 * c + 1e-7, 'the update\'s norm is lr × the limit');
});

test('clipGradNorm must be a positive number or null', () => {
  for (const v of ['0', '-1', 'big']) {
    assert.throws(() => tinyConfig(data, [`clipGradNorm=${v}`]), (e: Error) => e instanceof ConfigError && /config\.clipGradNorm/.test(e.message), v);
  }
  assert.equal(tinyConfig(data).clipGradNorm, null);
  assert.equal(tinyConfig(data, [], { clipGradNorm: 2 }).clipGradNorm, 2);
});
