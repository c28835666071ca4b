// Conv2dNormActivation without autograd runs its convolution and eval-mode BatchNorm as one convolution that
// carries the norm. Against torchvision.ops.Conv2dNormActivation with trained-looking statistics (random
// running mean and variance, γ and β, where a fresh network's identity norm would hide a mistake): the same
// outputs for a pointwise, a strided depthwise and a plain 3x3 block, in noGrad and frozen (folded) and where
// gradients flow (two ops); training-mode norms still use the batch's statistics. The folded weights are kept
// until a tensor they come from changes (in place, by a loaded state, by a training-mode forward) and freed with
// the module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, noGrad, scope, tensor, type Tensor } from '../src/torch/index.js';
import { BatchNorm2d, Hardswish } from '../src/nn/index.js';
import { Conv2dNormActivation } from '../src/models/convnet-parts.js';
import { runPython } from './helpers/python.js';
import { rand, assertClose } from './helpers/nn-parity.js';

interface Case { inC: number; outC: number; kernel: number; stride: number; groups: number; activation: boolean }
const CASES: Case[] = [
  { inC: 6, outC: 10, kernel: 1, stride: 1, groups: 1, activation: true },
  { inC: 8, outC: 8, kernel: 5, stride: 2, groups: 8, activation: true },
  { inC: 4, outC: 6, kernel: 3, stride: 1, groups: 1, activation: false },
];
const X = (c: Case) => [2, c.inC, 9, 9];

interface Expected { sd: Record<string, { data: number[]; shape: number[]; dtype: string }>; evalOut: number[]; trainOut: number[] }

const PY = `
import torch
from torchvision.ops import Conv2dNormActivation
torch.manual_seed(0)
res = []
for i, c in enumerate(inp['cases']):
    m = Conv2dNormActivation(c['inC'], c['outC'], c['kernel'], stride=c['stride'], groups=c['groups'],
                             norm_layer=lambda n: torch.nn.BatchNorm2d(n, eps=0.001),
                             activation_layer=torch.nn.Hardswish if c['activation'] else None)
    bn = m[1]
    with torch.no_grad():
        bn.running_mean.uniform_(-0.5, 0.5); bn.running_var.uniform_(0.2, 3.0)
        bn.weight.uniform_(0.5, 1.5); bn.bias.uniform_(-0.3, 0.3)
    x = torch.tensor(inp['xs'][i], dtype=torch.float32).reshape(inp['shapes'][i])
    sd = {k: {'data': v.double().flatten().tolist(), 'shape': list(v.shape), 'dtype': str(v.dtype)} for k, v in m.state_dict().items()}
    m.eval()
    with torch.no_grad(): ev = m(x).flatten().tolist()
    m.train()
    tr = m(x).detach().flatten().tolist()
    res.append({'sd': sd, 'evalOut': ev, 'trainOut': tr})
out(res)
`;

test('Conv2dNormActivation folds an eval-mode BatchNorm into the convolution where no gradient flows, equal to torchvision', () => {
  const xs = CASES.map((c, i) => rand(X(c).reduce((a, b) => a * b, 1), 500 + i, -2, 2));
  const py = runPython<Expected[]>(PY, { cases: CASES, xs, shapes: CASES.map(X) });
  CASES.forEach((c, i) => {
    const handles = memory().tensors;
    const m = new Conv2dNormActivation(c.inC, c.outC, c.kernel, {
      stride: c.stride, groups: c.groups, norm: (n) => new BatchNorm2d(n, { eps: 0.001 }), activation: c.activation ? () => new Hardswish() : undefined,
    });
    const e = py[i]!;
    const loadTorchvision = (): unknown => scope(() => m.loadStateDict(new Map(Object.entries(e.sd).map(([k, v]) =>
      [k, tensor(v.data, { shape: v.shape, dtype: v.dtype === 'torch.int64' ? 'int64' : 'float32' })]))));
    loadTorchvision();
    const x = (): Tensor => tensor(Float32Array.from(xs[i]!), { shape: X(c) });
    const what = `case ${i} (${c.kernel}x${c.kernel}, stride ${c.stride}, groups ${c.groups})`;
    m.train();
    scope(() => assertClose(noGrad(() => m.forward(x())).toArray(), e.trainOut, `${what}: training-mode norm under noGrad (batch statistics)`));
    // (That forward updated the running statistics; load torchvision's again.)
    loadTorchvision();
    m.eval();
    scope(() => assertClose(noGrad(() => m.forward(x())).toArray(), e.evalOut, `${what}: folded eval output`));
    scope(() => assertClose(m.forward(x()).toArray(), e.evalOut, `${what}: eval output with autograd on (two ops)`));
    // Frozen (a block before the trainable stages in phase 2): autograd on, yet no gradient here, so folded.
    for (const p of m.parameters()) p.requiresGrad_(false);
    scope(() => {
      const y = m.forward(x());
      assert.equal(y.requiresGrad, false);
      assertClose(y.toArray(), e.evalOut, `${what}: frozen block with autograd on`);
    });
    for (const p of m.parameters()) p.requiresGrad_(true);

    // The folded weights are kept, and made again when what they come from changes: an in-place op ...
    const bn = m.at(1) as BatchNorm2d;
    const twoOps = (): number[] => scope(() => m.forward(x()).toArray());
    scope(() => {
      const before = noGrad(() => m.forward(x())).toArray();
      noGrad(() => bn.runningMean!.add_(0.25));
      const after = noGrad(() => m.forward(x())).toArray();
      assert.ok(after.some((v, k) => Math.abs(v - before[k]!) > 1e-3), `${what}: a changed running_mean must change the output`);
      assertClose(after, twoOps(), `${what}: folded after running_mean changed in place`);
    });
    // ... a loaded state (copy_) ...
    scope(() => {
      const sd = m.stateDict();
      sd.set('0.weight', sd.get('0.weight')!.mul(0.5));
      m.loadStateDict(sd);
      assertClose(noGrad(() => m.forward(x())).toArray(), twoOps(), `${what}: folded after loadStateDict`);
    });
    // ... and a training-mode forward, whose running-statistics update libtorch 1.13 makes without a version bump.
    scope(() => {
      m.train();
      noGrad(() => m.forward(x()));
      m.eval();
      assertClose(noGrad(() => m.forward(x())).toArray(), twoOps(), `${what}: folded after a training-mode forward`);
    });
    m.dispose();
    assert.equal(memory().tensors, handles, `${what}: dispose() frees the folded weights too`);
  });
});
