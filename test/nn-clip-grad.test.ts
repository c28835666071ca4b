// clipGradNorm_ against torch.nn.utils.clip_grad_norm_: the total norm it returns and the clipped gradients,
// for the 2-, 1- and infinity-norm, gradients above and below the limit, a parameter without a gradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, scope, tensor, type Tensor } from '../src/torch/index.js';
import { clipGradNorm_ } from '../src/nn/index.js';
import { runPython } from './helpers/python.js';

const SHAPES = [[3, 4], [5], [2, 2, 2]];
/** Gradient values: a spread of magnitudes, so that the norms differ from each other. */
const GRADS = SHAPES.map((s, k) => Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(1.3 * i + k) * (k + 1) * 0.7));

/** Parameters whose .grad is GRADS (the last one takes no part in the loss: its .grad stays undefined). */
function paramsWithGrads(): Tensor[] {
  const ps = [...SHAPES, [4]].map((shape) => tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), { shape, requiresGrad: true }));
  scope(() => {
    const loss = GRADS.map((g, k) => ps[k]!.mul(tensor(Float32Array.from(g), { shape: SHAPES[k]! })).sum()).reduce((a, b) => a.add(b));
    loss.backward();
  });
  return ps;
}

test('clipGradNorm_ equals torch.nn.utils.clip_grad_norm_ (norms 2, 1 and inf; clipped and not)', () => {
  const cases = [{ maxNorm: 1, normType: 2 }, { maxNorm: 100, normType: 2 }, { maxNorm: 0.5, normType: 1 }, { maxNorm: 0.3, normType: Infinity }];
  const py = runPython<{ total: number; grads: number[][] }[]>(`
import math, torch
res = []
for c in inp['cases']:
    ps = [torch.zeros(s, requires_grad=True) for s in inp['shapes']] + [torch.zeros(4, requires_grad=True)]
    for p, g in zip(ps, inp['grads']):
        p.grad = torch.tensor(g, dtype=torch.float32).reshape(p.shape)
    norm_type = math.inf if c['normType'] is None else c['normType']
    total = torch.nn.utils.clip_grad_norm_(ps, c['maxNorm'], norm_type)
    res.append({'total': total.item(), 'grads': [p.grad.flatten().tolist() for p in ps[:len(inp['grads'])]]})
out(res)
`, { cases: cases.map((c) => ({ ...c, normType: c.normType === Infinity ? null : c.normType })), shapes: SHAPES, grads: GRADS });
  for (const [i, c] of cases.entries()) {
    const ps = paramsWithGrads();
    try {
      const total = clipGradNorm_(ps, c.maxNorm, c.normType)!;
      assert.equal(total.item(), Math.fround(py[i]!.total), `case ${i}: total norm`);
      total.dispose();
      ps.slice(0, GRADS.length).forEach((p, k) => {
        const g = p.grad!;
        assert.deepEqual(Array.from(g.toFloat32Array()), py[i]!.grads[k]!.map(Math.fround), `case ${i}, parameter ${k}`);
        g.dispose();
      });
      assert.equal(ps[3]!.grad, undefined, 'a parameter without a gradient is left alone');
    } finally {
      for (const p of ps) p.dispose();
    }
  }
  // Clipping happened in the small cases and not in the large one (else the comparison could not tell).
  assert.ok(py[0]!.total > 1 && py[1]!.total < 100);
});

test('clipGradNorm_: null without gradients, refuses a non-positive maxNorm, keeps memory flat', () => {
  const bare = tensor(new Float32Array(3), { requiresGrad: true });
  assert.equal(clipGradNorm_([bare], 1), null);
  assert.throws(() => clipGradNorm_([bare], 0), /maxNorm must be a positive number, got 0/);
  bare.dispose();
  const ps = paramsWithGrads();
  const before = memory().tensors;
  for (let i = 0; i < 50; i++) clipGradNorm_(ps, 1e6)!.dispose();
  assert.equal(memory().tensors, before);
  for (const p of ps) p.dispose();
});
