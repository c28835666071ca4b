// SGD, Adam and AdamW against torch.optim (Adam and AdamW through both the per-parameter and the multi-tensor path): parameters after 5 steps on the same model
// and data, param groups with their own lr and weight decay, frozen parameters left alone; state dict
// round trip (2 + 2 steps == 4 steps); errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, manualSeed, scope, tensor, zeros, type Tensor } from '../src/torch/index.js';
import { Sequential, Linear, ReLU } from '../src/nn/index.js';
import { SGD, Adam, AdamW, type Optimizer, type OptimizerStateDict } from '../src/optim/index.js';
import { runPython } from './helpers/python.js';
import { rand, assertClose } from './helpers/nn-parity.js';

const N = 5;
const xs = Array.from({ length: N }, (_, i) => rand(6 * 4, 10 + i, -2, 2));
const ys = Array.from({ length: N }, (_, i) => rand(6, 20 + i, 0, 1).map((v) => (v < 0.5 ? 0 : 1)));

function makeNet(): Sequential {
  manualSeed(0);
  return new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 1));
}
const [l0, l1] = [0, 2];

function trainSteps(net: Sequential, opt: Optimizer, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    scope(() => {
      opt.zeroGrad();
      const x = tensor(Float32Array.from(xs[i]), { shape: [6, 4] });
      const y = tensor(Float32Array.from(ys[i]), { shape: [6, 1] });
      F.binaryCrossEntropyWithLogits(net.forward(x), y).backward();
      opt.step();
    });
  }
}

interface Config {
  name: string;
  /** Python expression building the optimizer from `net` (and `P`, its parameter list). */
  py: string;
  make: (net: Sequential) => Optimizer;
  frozen?: boolean;
}
const first = (net: Sequential): Tensor[] => (net.at(l0) as Linear).parameters();
const second = (net: Sequential): Tensor[] => (net.at(l1) as Linear).parameters();

const configs: Config[] = [
  { name: 'sgd_nesterov', py: 'torch.optim.SGD(P, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2, foreach=False)',
    make: (n) => new SGD(n.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-2 }) },
  { name: 'sgd_dampening', py: 'torch.optim.SGD(P, lr=0.05, momentum=0.8, dampening=0.3, foreach=False)',
    make: (n) => new SGD(n.parameters(), { lr: 0.05, momentum: 0.8, dampening: 0.3 }) },
  { name: 'sgd_plain', py: 'torch.optim.SGD(P, lr=0.2, foreach=False)', make: (n) => new SGD(n.parameters(), { lr: 0.2 }) },
  { name: 'sgd_maximize', py: 'torch.optim.SGD(P, lr=0.01, momentum=0.5, maximize=True, foreach=False)',
    make: (n) => new SGD(n.parameters(), { lr: 0.01, momentum: 0.5, maximize: true }) },
  { name: 'adam', py: 'torch.optim.Adam(P, lr=1e-2, foreach=False)', make: (n) => new Adam(n.parameters(), { lr: 1e-2 }) },
  // The multi-tensor path (the default on CUDA) does the same arithmetic: the same oracle.
  { name: 'adam_foreach', py: 'torch.optim.Adam(P, lr=1e-2, foreach=False)', make: (n) => new Adam(n.parameters(), { lr: 1e-2, foreach: true }) },
  { name: 'adamw_foreach', py: 'torch.optim.AdamW(P, lr=1e-2, weight_decay=0.1, foreach=False)',
    make: (n) => new AdamW(n.parameters(), { lr: 1e-2, weightDecay: 0.1, foreach: true }) },
  { name: 'adam_amsgrad_wd', py: 'torch.optim.Adam(P, lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2, amsgrad=True, foreach=False)',
    make: (n) => new Adam(n.parameters(), { lr: 1e-2, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 1e-2, amsgrad: true }) },
  { name: 'adamw', py: 'torch.optim.AdamW(P, lr=1e-2, weight_decay=0.1, foreach=False)',
    make: (n) => new AdamW(n.parameters(), { lr: 1e-2, weightDecay: 0.1 }) },
  { name: 'adamw_amsgrad', py: 'torch.optim.AdamW(P, lr=5e-3, amsgrad=True, foreach=False)',
    make: (n) => new AdamW(n.parameters(), { lr: 5e-3, amsgrad: true }) },
  { name: 'adam_groups',
    py: "torch.optim.Adam([{'params': list(net[0].parameters()), 'lr': 1e-2}, {'params': list(net[2].parameters()), 'weight_decay': 0.1}], lr=1e-3, foreach=False)",
    make: (n) => new Adam([{ params: first(n), lr: 1e-2 }, { params: second(n), weightDecay: 0.1 }], { lr: 1e-3 }) },
  { name: 'adam_frozen', py: 'torch.optim.Adam(P, lr=1e-2, foreach=False)', make: (n) => new Adam(n.parameters(), { lr: 1e-2 }), frozen: true },
];

const PY = `
import torch
from torch import nn
import torch.nn.functional as F
T = lambda v, s: torch.tensor(v, dtype=torch.float32).reshape(s)
res = {}
for c in inp['configs']:
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
    net.load_state_dict({k: T(v['data'], v['shape']) for k, v in inp['sd'].items()})
    if c['frozen']:
        for p in net[0].parameters(): p.requires_grad_(False)
    P = list(net.parameters())
    opt = eval(c['py'])
    for i in range(len(inp['xs'])):
        opt.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(net(T(inp['xs'][i], [6, 4])), T(inp['ys'][i], [6, 1])).backward()
        opt.step()
    res[c['name']] = {k: v.flatten().tolist() for k, v in net.state_dict().items()}
out(res)
`;

test('parameters after 5 steps of SGD, Adam and AdamW (groups, frozen layers) equal torch.optim', () => {
  const init = makeNet();
  const sd = scope(() => Object.fromEntries([...init.stateDict()].map(([k, t]) => [k, { data: t.toArray(), shape: t.shape }])));
  init.dispose();
  const py = runPython<Record<string, Record<string, number[]>>>(PY, {
    sd, xs, ys, configs: configs.map((c) => ({ name: c.name, py: c.py, frozen: c.frozen ?? false })),
  });
  for (const c of configs) {
    const net = makeNet();
    const before = scope(() => first(net).map((p) => p.toArray()));
    if (c.frozen) net.freeze('0');
    const opt = c.make(net);
    trainSteps(net, opt, 0, N);
    scope(() => {
      for (const [k, t] of net.stateDict()) assertClose(t.toArray(), py[c.name][k], `${c.name}: ${k} after ${N} steps`);
    });
    if (c.frozen) {
      first(net).forEach((p, i) => {
        assert.deepEqual(p.toArray(), before[i], 'frozen parameters are untouched');
        assert.equal(opt.getState(p), undefined, 'and get no optimizer state');
      });
      assert.equal(opt.getState(second(net)[0])!.step, N);
    } else {
      assert.ok(scope(() => !first(net)[0].equal(tensor(before[0], { shape: [3, 4] }))), `${c.name} moved the parameters`);
    }
    opt.dispose();
    net.dispose();
  }
});

test('optimizer state round trip: 2 steps, save, load into a fresh optimizer, 2 more == 4 steps', () => {
  const makers: [string, (n: Sequential) => Optimizer][] = [
    ['SGD', (n) => new SGD(n.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
    ['Adam', (n) => new Adam([{ params: first(n), lr: 1e-2 }, { params: second(n), lr: 3e-3 }], { amsgrad: true, weightDecay: 1e-2 })],
    ['AdamW', (n) => new AdamW(n.parameters(), { lr: 1e-2 })],
  ];
  for (const [name, make] of makers) {
    const ref = makeNet();
    const refOpt = make(ref);
    trainSteps(ref, refOpt, 0, 4);

    const a = makeNet();
    const aOpt = make(a);
    trainSteps(a, aOpt, 0, 2);
    // What a checkpoint holds: JSON text and copies of the tensors; then the originals are gone.
    const saved = scope(() => {
      const s = aOpt.stateDict();
      return { meta: JSON.parse(JSON.stringify(s.meta)), tensors: new Map([...s.tensors].map(([k, t]) => [k, t.clone()])), model: new Map([...a.stateDict()].map(([k, t]) => [k, t.clone()])) };
    });
    aOpt.dispose();
    a.dispose();

    const b = makeNet();
    b.loadStateDict(saved.model);
    const bOpt = make(b);
    if (name === 'Adam') bOpt.paramGroups[1].lr = 0.5; // replaced by the saved hyper-parameters
    bOpt.loadStateDict({ meta: saved.meta, tensors: saved.tensors } as OptimizerStateDict);
    assert.equal(bOpt.paramGroups[name === 'Adam' ? 1 : 0].lr, name === 'Adam' ? 3e-3 : refOpt.paramGroups[0].lr);
    for (const t of [...saved.tensors.values(), ...saved.model.values()]) t.dispose();
    trainSteps(b, bOpt, 2, 4);
    scope(() => {
      const r = ref.stateDict();
      for (const [k, t] of b.stateDict()) assert.deepEqual(t.toArray(), r.get(k)!.toArray(), `${name}: ${k} after 2+2 steps`);
    });
    for (const x of [refOpt, bOpt, ref, b]) x.dispose();
  }
});

test('optimizer errors and zeroGrad', () => {
  const net = makeNet();
  const ps = net.parameters();
  assert.throws(() => new Adam([]), /empty parameter list/);
  assert.throws(() => new Adam([{ params: ps }, { params: [ps[0]] }]), /more than one parameter group/);
  assert.throws(() => new Adam([{ params: ps, weight_decay: 0.1 } as never]), /unknown option 'weight_decay'/);
  assert.throws(() => new SGD(ps, { lr: -1 }), /invalid learning rate in defaults: -1/);
  assert.throws(() => new SGD(ps, { lr: 0.1, nesterov: true }), /Nesterov momentum requires a momentum/);
  assert.throws(() => new Adam(ps, { betas: [1, 0.9] }), /beta parameter at index 0/);
  assert.throws(() => new Adam([scope(() => ps[0].mul(2))]), /non-leaf/);

  const adam = new Adam(ps, { lr: 1e-2 });
  trainSteps(net, adam, 0, 1);
  const sd = adam.stateDict();
  const sgd = new SGD(ps, { lr: 0.1 });
  assert.throws(() => sgd.loadStateDict(sd), /saved by Adam, not SGD/);
  const two = new Adam([{ params: ps.slice(0, 2) }, { params: ps.slice(2) }]);
  assert.throws(() => two.loadStateDict(sd), /1 parameter groups, the optimizer has 2/);
  const fresh = new Adam(ps);
  const wrong = new Map(sd.tensors);
  wrong.set('0.exp_avg', zeros([2, 2]));
  assert.throws(() => fresh.loadStateDict({ meta: sd.meta, tensors: wrong }), /'0.exp_avg' has shape \[2,2\], parameter 0 has shape \[3,4\]/);
  const missing = new Map(sd.tensors);
  missing.delete('1.exp_avg_sq');
  assert.throws(() => fresh.loadStateDict({ meta: sd.meta, tensors: missing }), /parameter 1 has state but no 'exp_avg_sq'/);
  assert.equal(fresh.getState(ps[0]), undefined, 'failed loads change nothing');
  for (const t of sd.tensors.values()) t.dispose();
  zeros([1]).dispose();

  scope(() => {
    F.binaryCrossEntropyWithLogits(net.forward(tensor(Float32Array.from(xs[0]), { shape: [6, 4] })), zeros([6, 1])).backward();
  });
  adam.zeroGrad(false);
  scope(() => assert.ok(ps.every((p) => p.grad !== undefined && p.grad.abs().sum().item() === 0), 'zeroed in place'));
  adam.zeroGrad();
  scope(() => assert.ok(ps.every((p) => p.grad === undefined), 'set to none'));
  for (const x of [adam, sgd, two, fresh, net]) x.dispose();
});
