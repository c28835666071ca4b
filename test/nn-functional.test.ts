// The functional layer the nn modules stand on, against torch.nn.functional: outputs and gradients of
// conv2d, batch_norm (train/eval, running statistics), pooling, linear, activations, log_softmax and
// BCE-with-logits (weight, pos_weight), plus dropout's statistics. One Python run holds every case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, scope, tensor, ones, type Tensor } from '../src/torch/index.js';
import { runPython } from './helpers/python.js';
import { rand, numel, assertClose } from './helpers/nn-parity.js';

interface Input { data: number[]; shape: number[]; grad?: boolean }
interface Case {
  name: string;
  inputs: Record<string, Input>;
  fn: (t: Record<string, Tensor>) => { y: Tensor; extras?: Record<string, Tensor> };
}
interface Result { out: number[]; shape: number[]; g: number[]; grads: Record<string, number[]>; extras: Record<string, number[]> }

let seed = 1;
const inp = (shape: number[], grad = true, lo = -1, hi = 1): Input => ({ data: rand(numel(shape), seed++, lo, hi), shape, grad });
const targets = (n: number): Input => ({ data: rand(n, seed++, 0, 1).map((v, i) => (i % 3 === 2 ? v : v < 0.5 ? 0 : 1)), shape: [n, 1], grad: false });

const cases: Case[] = [
  { name: 'conv_groups', inputs: { x: inp([2, 4, 7, 7]), w: inp([6, 2, 3, 3]), b: inp([6]) },
    fn: (t) => ({ y: F.conv2d(t.x, t.w, t.b, { stride: 2, padding: 1, dilation: 2, groups: 2 }) }) },
  { name: 'conv_nobias', inputs: { x: inp([1, 3, 5, 5]), w: inp([4, 3, 3, 3]) }, fn: (t) => ({ y: F.conv2d(t.x, t.w) }) },
  { name: 'conv_rect', inputs: { x: inp([2, 2, 6, 5]), w: inp([3, 2, 3, 2]), b: inp([3]) },
    fn: (t) => ({ y: F.conv2d(t.x, t.w, t.b, { stride: [2, 1], padding: [1, 0] }) }) },
  { name: 'bn_train', inputs: { x: inp([3, 4, 5, 5]), w: inp([4]), b: inp([4]), rm: inp([4], false), rv: inp([4], false, 0.5, 2) },
    fn: (t) => ({ y: F.batchNorm(t.x, t.rm, t.rv, t.w, t.b, true, 0.1, 1e-5), extras: { rm: t.rm, rv: t.rv } }) },
  { name: 'bn_eval', inputs: { x: inp([3, 4, 5, 5]), w: inp([4]), b: inp([4]), rm: inp([4], false), rv: inp([4], false, 0.5, 2) },
    fn: (t) => ({ y: F.batchNorm(t.x, t.rm, t.rv, t.w, t.b, false, 0.1, 1e-5), extras: { rm: t.rm, rv: t.rv } }) },
  { name: 'maxpool', inputs: { x: inp([2, 3, 7, 7]) }, fn: (t) => ({ y: F.maxPool2d(t.x, 3, 2, 1) }) },
  { name: 'maxpool_ceil', inputs: { x: inp([2, 3, 7, 7]) }, fn: (t) => ({ y: F.maxPool2d(t.x, 2, 2, 0, 1, true) }) },
  { name: 'adaptive_1', inputs: { x: inp([2, 3, 7, 7]) }, fn: (t) => ({ y: F.adaptiveAvgPool2d(t.x, 1) }) },
  { name: 'adaptive_32', inputs: { x: inp([2, 3, 7, 7]) }, fn: (t) => ({ y: F.adaptiveAvgPool2d(t.x, [3, 2]) }) },
  { name: 'linear', inputs: { x: inp([3, 6]), w: inp([5, 6]), b: inp([5]) }, fn: (t) => ({ y: F.linear(t.x, t.w, t.b) }) },
  { name: 'relu', inputs: { x: inp([20]) }, fn: (t) => ({ y: F.relu(t.x) }) },
  { name: 'sigmoid', inputs: { x: inp([20], true, -6, 6) }, fn: (t) => ({ y: F.sigmoid(t.x) }) },
  { name: 'log_softmax', inputs: { x: inp([4, 5], true, -5, 5) }, fn: (t) => ({ y: F.logSoftmax(t.x, 1) }) },
  { name: 'bce_mean', inputs: { x: inp([8, 1], true, -4, 4), y: targets(8) }, fn: (t) => ({ y: F.binaryCrossEntropyWithLogits(t.x, t.y) }) },
  { name: 'bce_weighted', inputs: { x: inp([8, 1], true, -4, 4), y: targets(8), w: inp([8, 1], false, 0.2, 2), pw: inp([1], false, 0.5, 3) },
    fn: (t) => ({ y: F.binaryCrossEntropyWithLogits(t.x, t.y, { weight: t.w, posWeight: t.pw }) }) },
  { name: 'bce_none', inputs: { x: inp([8, 1], true, -4, 4), y: targets(8), pw: inp([1], false, 0.5, 3) },
    fn: (t) => ({ y: F.binaryCrossEntropyWithLogits(t.x, t.y, { posWeight: t.pw, reduction: 'none' }) }) },
  { name: 'bce_sum', inputs: { x: inp([8, 1], true, -4, 4), y: targets(8), w: inp([8, 1], false, 0.2, 2) },
    fn: (t) => ({ y: F.binaryCrossEntropyWithLogits(t.x, t.y, { weight: t.w, reduction: 'sum' }) }) },
];

const PY = `
import torch
import torch.nn.functional as F
torch.set_num_threads(1)
FNS = {
  'conv_groups': lambda t: F.conv2d(t['x'], t['w'], t['b'], stride=2, padding=1, dilation=2, groups=2),
  'conv_nobias': lambda t: F.conv2d(t['x'], t['w']),
  'conv_rect': lambda t: F.conv2d(t['x'], t['w'], t['b'], stride=(2, 1), padding=(1, 0)),
  'bn_train': lambda t: F.batch_norm(t['x'], t['rm'], t['rv'], t['w'], t['b'], True, 0.1, 1e-5),
  'bn_eval': lambda t: F.batch_norm(t['x'], t['rm'], t['rv'], t['w'], t['b'], False, 0.1, 1e-5),
  'maxpool': lambda t: F.max_pool2d(t['x'], 3, 2, 1),
  'maxpool_ceil': lambda t: F.max_pool2d(t['x'], 2, 2, 0, 1, ceil_mode=True),
  'adaptive_1': lambda t: F.adaptive_avg_pool2d(t['x'], 1),
  'adaptive_32': lambda t: F.adaptive_avg_pool2d(t['x'], (3, 2)),
  'linear': lambda t: F.linear(t['x'], t['w'], t['b']),
  'relu': lambda t: F.relu(t['x']),
  'sigmoid': lambda t: torch.sigmoid(t['x']),
  'log_softmax': lambda t: F.log_softmax(t['x'], 1),
  'bce_mean': lambda t: F.binary_cross_entropy_with_logits(t['x'], t['y']),
  'bce_weighted': lambda t: F.binary_cross_entropy_with_logits(t['x'], t['y'], weight=t['w'], pos_weight=t['pw']),
  'bce_none': lambda t: F.binary_cross_entropy_with_logits(t['x'], t['y'], pos_weight=t['pw'], reduction='none'),
  'bce_sum': lambda t: F.binary_cross_entropy_with_logits(t['x'], t['y'], weight=t['w'], reduction='sum'),
}
res = {}
for c in inp:
    t = {k: torch.tensor(v['data'], dtype=torch.float32).reshape(v['shape']).requires_grad_(v['grad']) for k, v in c['inputs'].items()}
    y = FNS[c['name']](t)
    (y * torch.tensor(c['g'], dtype=torch.float32).reshape(y.shape)).sum().backward()
    res[c['name']] = {
      'out': y.detach().flatten().tolist(), 'shape': list(y.shape),
      'grads': {k: v.grad.flatten().tolist() for k, v in t.items() if v.requires_grad},
      'extras': {k: t[k].detach().flatten().tolist() for k in c['extras']},
    }
out(res)
`;

test('functional ops and their gradients equal torch.nn.functional', () => {
  const ours: Record<string, Result> = {};
  const sent = scope(() =>
    cases.map((c) => {
      const t: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(c.inputs)) t[k] = tensor(Float32Array.from(v.data), { shape: v.shape }).requiresGrad_(v.grad ?? false);
      const { y, extras = {} } = c.fn(t);
      const g = rand(y.numel, 1000 + seed++);
      y.mul(tensor(Float32Array.from(g), { shape: y.shape })).sum().backward();
      const grads: Record<string, number[]> = {};
      for (const [k, v] of Object.entries(c.inputs)) if (v.grad) grads[k] = t[k].grad!.toArray();
      ours[c.name] = {
        out: y.toArray(), shape: y.shape, g, grads,
        extras: Object.fromEntries(Object.entries(extras).map(([k, v]) => [k, v.toArray()])),
      };
      return { name: c.name, inputs: c.inputs, g, extras: Object.keys(extras) };
    }),
  );
  const theirs = runPython<Record<string, Result>>(PY, sent);
  for (const c of cases) {
    const a = ours[c.name];
    const e = theirs[c.name];
    assert.deepEqual(a.shape, e.shape, `${c.name}: output shape`);
    assertClose(a.out, e.out, `${c.name} output`);
    for (const k of Object.keys(e.grads)) assertClose(a.grads[k], e.grads[k], `${c.name} grad ${k}`);
    for (const k of Object.keys(e.extras)) assertClose(a.extras[k], e.extras[k], `${c.name} ${k} after`);
  }
  // The running statistics really moved in training mode and stayed put in eval mode.
  const bnTrain = cases.find((c) => c.name === 'bn_train')!;
  assert.notDeepEqual(ours.bn_train.extras.rm, bnTrain.inputs.rm.data);
  const bnEval = cases.find((c) => c.name === 'bn_eval')!;
  assertClose(ours.bn_eval.extras.rv, bnEval.inputs.rv.data, 'bn_eval running_var unchanged', 0, 0);
});

test('dropout: identity for p=0 and in eval; for p>0 zeroes about p and scales the rest by 1/(1-p)', () => {
  scope(() => {
    const x = tensor(Float32Array.from(rand(4000, 7)), { shape: [40, 100] });
    assert.ok(F.dropout(x, 0, true).equal(x), 'p=0 in training is the identity');
    assert.ok(F.dropout(x, 0.5, false).equal(x), 'eval mode is the identity');
    const p = 0.3;
    const big = ones([200_000]).requiresGrad_(true);
    const y = F.dropout(big, p, true);
    const v = y.data<'float32'>();
    let zeros = 0;
    for (const e of v) {
      if (e === 0) zeros++;
      else assert.ok(Math.abs(e - 1 / (1 - p)) < 1e-6, `kept values are scaled by 1/(1-p), got ${e}`);
    }
    const frac = zeros / v.length;
    assert.ok(Math.abs(frac - p) < 0.005, `zero fraction ${frac} should be close to ${p}`);
    // The gradient is the same mask and scale.
    y.sum().backward();
    const g = big.grad!.data<'float32'>();
    for (let i = 0; i < v.length; i += 997) assert.equal(g[i], v[i]);
  });
});
