// updateBatchNorm against torch.optim.swa_utils.update_bn: the running statistics and batch counts recomputed
// over batches of different sizes, for every BatchNorm layer of a network and for the layers after a frozen
// prefix (whose own statistics must stay); momentum and training mode are what they were before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, scope, tensor, type Tensor } from '../src/torch/index.js';
import { BatchNorm2d, Conv2d, ReLU, Sequential, updateBatchNorm } from '../src/nn/index.js';
import { runPython } from './helpers/python.js';
import { assertClose, numel, rand, values } from './helpers/nn-parity.js';

const SIZES = [4, 4, 2];
const BATCHES = SIZES.map((n, k) => rand(n * 3 * 6 * 6, 100 + k, -2, 3));

function net(): { model: Sequential; first: BatchNorm2d; second: BatchNorm2d } {
  const first = new BatchNorm2d(4, { momentum: 0.2 });
  const second = new BatchNorm2d(2);
  const model = new Sequential(new Conv2d(3, 4, 3), first, new ReLU(), new Conv2d(4, 2, 1), second);
  noGrad(() => model.namedParameters().forEach(([, p], i) => p.copy_(tensor(Float32Array.from(rand(numel(p.shape), 7 + i)), { shape: p.shape }))));
  // Statistics that are not the reset ones (a frozen layer must keep them).
  noGrad(() => [first, second].forEach((m, i) => {
    m.runningMean!.copy_(tensor(Float32Array.from(rand(m.numFeatures, 40 + i)), { shape: [m.numFeatures] }));
    m.runningVar!.copy_(tensor(Float32Array.from(rand(m.numFeatures, 50 + i, 0.5, 2)), { shape: [m.numFeatures] }));
  }));
  return { model, first, second };
}

const input = (k: number): Tensor => tensor(Float32Array.from(BATCHES[k]!), { shape: [SIZES[k]!, 3, 6, 6] });
const stats = (m: BatchNorm2d): number[] => [...values(m.runningMean!), ...values(m.runningVar!), m.numBatchesTracked!.item()];

test('updateBatchNorm equals torch update_bn: every layer, or those after a frozen prefix (whose statistics stay)', async () => {
  const py = runPython<{ all: number[][]; suffix: number[][] }>(`
import torch
from torch import nn
from torch.optim.swa_utils import update_bn
def net():
    first, second = nn.BatchNorm2d(4, momentum=0.2), nn.BatchNorm2d(2)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), first, nn.ReLU(), nn.Conv2d(4, 2, 1), second)
    with torch.no_grad():
        for p, v in zip(model.parameters(), inp['params']): p.copy_(torch.tensor(v).reshape(p.shape))
        for m, mean, var in zip([first, second], inp['means'], inp['vars']):
            m.running_mean.copy_(torch.tensor(mean)); m.running_var.copy_(torch.tensor(var))
    return model, first, second
stats = lambda m: m.running_mean.tolist() + m.running_var.tolist() + [m.num_batches_tracked.item()]
xs = [torch.tensor(b).reshape(n, 3, 6, 6) for b, n in zip(inp['batches'], inp['sizes'])]
model, first, second = net()
update_bn(xs, model)
res = {'all': [stats(first), stats(second)]}
model, first, second = net()
prefix, suffix = model[:3].eval(), model[3:]
with torch.no_grad(): feats = [prefix(x) for x in xs]
update_bn(feats, suffix)
res['suffix'] = [stats(first), stats(second)]
out(res)
`, {
    params: net().model.parameters().map((p) => values(p)),
    means: [rand(4, 40), rand(2, 41)], vars: [rand(4, 50, 0.5, 2), rand(2, 51, 0.5, 2)],
    batches: BATCHES, sizes: SIZES,
  });

  const everyLayer = net();
  everyLayer.model.eval();
  await updateBatchNorm([everyLayer.first, everyLayer.second], () => {
    for (let k = 0; k < SIZES.length; k++) noGrad(() => scope(() => everyLayer.model.forward(input(k))));
  });
  assertClose(stats(everyLayer.first), py.all[0]!, 'every layer: first', 1e-5, 1e-6);
  assertClose(stats(everyLayer.second), py.all[1]!, 'every layer: second', 1e-5, 1e-6);
  assert.equal(everyLayer.first.momentum, 0.2, 'momentum restored');
  assert.equal(everyLayer.second.training, false, 'training mode restored');

  const suffix = net();
  suffix.model.train();
  suffix.first.training = false; // the frozen prefix's layer, as a phase that trains what follows it
  const before = stats(suffix.first);
  await updateBatchNorm([suffix.second], () => {
    for (let k = 0; k < SIZES.length; k++) noGrad(() => scope(() => suffix.model.forward(input(k))));
  });
  assert.deepEqual(stats(suffix.first), before, 'the frozen layer keeps its statistics');
  assertClose(stats(suffix.first), py.suffix[0]!, 'frozen layer', 1e-6, 1e-7);
  assertClose(stats(suffix.second), py.suffix[1]!, 'after the frozen prefix: second', 1e-5, 1e-6);
  assert.equal(suffix.second.momentum, 0.1);

  // A pass that throws still restores momentum and mode.
  await assert.rejects(updateBatchNorm([suffix.second], () => { throw new Error('decode failed'); }), /decode failed/);
  assert.equal(suffix.second.momentum, 0.1);
  assert.equal(suffix.second.training, true);
  for (const n of [everyLayer, suffix]) n.model.parameters().concat(n.model.buffers()).forEach((t) => t.dispose());
});
