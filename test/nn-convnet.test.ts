// A small conv net (Conv→BN→ReLU→MaxPool→Conv→BN→ReLU→AdaptiveAvgPool→Flatten→Linear) with weights copied
// from PyTorch through loadStateDict: the same outputs in eval and train mode, the same gradients, and after
// three SGD training steps the same parameters, BN running statistics and num_batches_tracked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, scope, tensor, type Tensor } from '../src/torch/index.js';
import { Sequential, Conv2d, BatchNorm2d, ReLU, MaxPool2d, AdaptiveAvgPool2d, Flatten, Linear } from '../src/nn/index.js';
import { SGD } from '../src/optim/index.js';
import { runPython } from './helpers/python.js';
import { rand, assertClose } from './helpers/nn-parity.js';

const STEPS = 3;
const X_SHAPE = [4, 3, 10, 10];
const xs = Array.from({ length: STEPS + 1 }, (_, i) => rand(4 * 3 * 10 * 10, 100 + i));
const ys = Array.from({ length: STEPS }, (_, i) => rand(4, 200 + i, 0, 1).map((v) => (v < 0.5 ? 0 : 1)));
const bnX = Array.from({ length: 3 }, (_, i) => rand(2 * 3 * 4 * 4, 300 + i, -2, 3));

interface TorchRun {
  sd0: Record<string, { data: number[]; shape: number[]; dtype: string }>;
  evalOut0: number[];
  steps: { logits: number[]; loss: number; grads: Record<string, number[]> }[];
  sd: Record<string, number[]>;
  evalOut: number[];
  cma: { mean: number[]; var: number[]; n: number; out: number[] };
}

const PY = `
import torch
from torch import nn
import torch.nn.functional as F
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(4, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 1))
T = lambda v, s: torch.tensor(v, dtype=torch.float32).reshape(s)
sd0 = {k: {'data': v.double().flatten().tolist(), 'shape': list(v.shape), 'dtype': str(v.dtype)} for k, v in net.state_dict().items()}
xs = [T(v, inp['xShape']) for v in inp['xs']]
net.eval()
eval0 = net(xs[-1]).detach().flatten().tolist()
net.train()
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3, foreach=False)
steps = []
for i in range(len(inp['ys'])):
    opt.zero_grad()
    logits = net(xs[i])
    loss = F.binary_cross_entropy_with_logits(logits, T(inp['ys'][i], [4, 1]))
    loss.backward()
    steps.append({'logits': logits.detach().flatten().tolist(), 'loss': loss.item(),
                  'grads': {n: p.grad.flatten().tolist() for n, p in net.named_parameters()}})
    opt.step()
net.eval()
evalOut = net(xs[-1]).detach().flatten().tolist()
bn = nn.BatchNorm2d(3, momentum=None)
for v in inp['bnX']:
    o = bn(T(v, [2, 3, 4, 4]))
out({'sd0': sd0, 'evalOut0': eval0, 'steps': steps, 'evalOut': evalOut,
     'sd': {k: v.double().flatten().tolist() for k, v in net.state_dict().items()},
     'cma': {'mean': bn.running_mean.tolist(), 'var': bn.running_var.tolist(), 'n': bn.num_batches_tracked.item(), 'out': o.detach().flatten().tolist()}})
`;

function makeNet(): Sequential {
  return new Sequential(
    new Conv2d(3, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
    new Conv2d(4, 6, 3), new BatchNorm2d(6), new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(6, 1),
  );
}
const T = (v: number[], shape: number[]): Tensor => tensor(Float32Array.from(v), { shape });

test('conv net: outputs, gradients, BN statistics and parameters after 3 SGD steps equal PyTorch', () => {
  const py = runPython<TorchRun>(PY, { xs, ys, bnX, xShape: X_SHAPE });
  const net = makeNet();
  const keys = [...net.stateDict({ keepVars: true }).keys()];
  assert.deepEqual(keys, Object.keys(py.sd0), 'stateDict keys equal model.state_dict().keys()');

  scope(() => {
    const sd = new Map(Object.entries(py.sd0).map(([k, v]) => [k, tensor(v.data, { shape: v.shape, dtype: v.dtype === 'torch.int64' ? 'int64' : 'float32' })]));
    net.loadStateDict(sd);
  });

  scope(() => assertClose(net.eval().forward(T(xs[STEPS], X_SHAPE)).toArray(), py.evalOut0, 'eval output before training'));
  net.train();
  const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
  for (let i = 0; i < STEPS; i++) {
    scope(() => {
      opt.zeroGrad();
      const logits = net.forward(T(xs[i], X_SHAPE));
      const loss = F.binaryCrossEntropyWithLogits(logits, T(ys[i], [4, 1]));
      loss.backward();
      const e = py.steps[i];
      assertClose(logits.toArray(), e.logits, `step ${i} train-mode logits`);
      assertClose([loss.item()], [e.loss], `step ${i} loss`);
      for (const [name, p] of net.namedParameters()) assertClose(p.grad!.toArray(), e.grads[name], `step ${i} grad of ${name}`, 1e-5, 1e-6);
      opt.step();
    });
  }
  scope(() => {
    for (const [k, t] of net.stateDict()) assertClose(t.toArray(), py.sd[k], `${k} after ${STEPS} steps`);
  });
  assert.equal((net.at(1) as BatchNorm2d).numBatchesTracked!.item(), STEPS);
  scope(() => assertClose(net.eval().forward(T(xs[STEPS], X_SHAPE)).toArray(), py.evalOut, 'eval output after training'));
  net.dispose();
  opt.dispose();

  // momentum: null — the cumulative moving average of the batch statistics.
  const bn = new BatchNorm2d(3, { momentum: null });
  let out: number[] = [];
  for (const v of bnX) out = scope(() => bn.forward(T(v, [2, 3, 4, 4])).toArray());
  assertClose(bn.runningMean!.toArray(), py.cma.mean, 'cumulative running_mean');
  assertClose(bn.runningVar!.toArray(), py.cma.var, 'cumulative running_var');
  assert.equal(bn.numBatchesTracked!.item(), py.cma.n);
  assertClose(out, py.cma.out, 'cumulative BN output');
  bn.dispose();
});
