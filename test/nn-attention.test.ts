// The transformer pieces against torch 1.13: nn.MultiheadAttention (self-attention, batch first) on its
// explicit path (training, or a gradient recorded) and its fused eval path (no_grad, even number of heads),
// attention dropout drawn from the same seed, gradients and one SGD step; GELU; torch's seeded initialisation
// of MultiheadAttention and trunc_normal_.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as torch from '../src/torch/index.js';
import { GELU, Linear, Module, MultiheadAttention, Sequential, init } from '../src/nn/index.js';
import { parityOracle } from './helpers/module-parity.js';

/** MultiheadAttention as the module ViT's encoder block calls: attention(x, x, x, need_weights=False)[0]. */
class SelfAttention extends Module {
  readonly a: MultiheadAttention;
  constructor(e: number, h: number, dropout = 0) {
    super();
    this.a = this.registerModule('a', new MultiheadAttention(e, h, { dropout }));
  }
  forward(x: torch.Tensor): torch.Tensor {
    return this.a.forward(x);
  }
}
const pySelfAttention = (e: number, h: number, p = 0): string => `
class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.MultiheadAttention(${e}, ${h}, dropout=${p}, batch_first=True)
    def forward(self, x):
        return self.a(x, x, x, need_weights=False)[0]
m = SelfAttention()
`;

const parity = parityOracle({
  mha2: { pyBuild: pySelfAttention(8, 2), inputShape: [3, 5, 8] },
  mha3: { pyBuild: pySelfAttention(12, 3, 0.25), inputShape: [2, 4, 12], trainSeed: 21 },
  gelu: { pyBuild: 'm = nn.Sequential(nn.Linear(6, 10), nn.GELU(), nn.Linear(10, 4))', inputShape: [3, 6] },
}, `
import torch
from torch import nn
torch.manual_seed(11)
m = nn.MultiheadAttention(8, 2, batch_first=True)
mha = {k: v.flatten().tolist() for k, v in m.state_dict().items()}
torch.manual_seed(3)
t = torch.empty(500)
nn.init.trunc_normal_(t, mean=0.1, std=0.5, a=-0.7, b=1.2)
t2 = torch.empty(300)
nn.init.trunc_normal_(t2, std=0.02)
out({'mha': mha, 'tn': t.tolist(), 'tn01': t2.tolist()})
`);

test('MultiheadAttention (2 heads: the fused eval path under no_grad) equals torch in eval and train mode, gradients and an SGD step', () => {
  const keys = parity.check('mha2', () => new SelfAttention(8, 2));
  assert.deepEqual(keys, ['a.in_proj_weight', 'a.in_proj_bias', 'a.out_proj.weight', 'a.out_proj.bias']);
});

test('MultiheadAttention with 3 heads (always the explicit path) and attention dropout drawn from the same seed', () => {
  parity.check('mha3', () => new SelfAttention(12, 3, 0.25));
});

test('GELU is torch.nn.GELU (exact erf form) in a Linear-GELU-Linear block', () => {
  parity.check('gelu', () => new Sequential(new Linear(6, 10), new GELU(), new Linear(10, 4)));
});

test('after manualSeed, MultiheadAttention and trunc_normal_ draw what torch draws', () => {
  const py = parity.extra<{ mha: Record<string, number[]>; tn: number[]; tn01: number[] }>();
  torch.manualSeed(11);
  const m = new MultiheadAttention(8, 2);
  try {
    const sd = m.stateDict();
    assert.deepEqual([...sd.keys()], Object.keys(py.mha));
    for (const [k, t] of sd) assert.deepEqual(t.toArray().map(Math.fround), py.mha[k].map(Math.fround), k);
    torch.dispose(sd);
  } finally {
    m.dispose();
  }
  torch.manualSeed(3);
  torch.scope(() => {
    const t = init.truncNormal_(torch.empty([500]), { mean: 0.1, std: 0.5, a: -0.7, b: 1.2 });
    const got = t.toArray();
    // The bounds come from erf, which JS lacks: ours is within ~1e-13 of Python's, so a draw may differ in its last bit.
    got.forEach((v, i) => assert.ok(Math.abs(v - py.tn[i]) <= 1e-6, `trunc_normal_[${i}]: ${v} vs ${py.tn[i]}`));
    const t2 = init.truncNormal_(torch.empty([300]), { std: 0.02 });
    assert.deepEqual(t2.toArray(), py.tn01, 'trunc_normal_(std=0.02), torchvision\'s ConvNeXt init: bounds saturate to ±1 exactly');
  });
});
