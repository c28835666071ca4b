// What trains in each phase (names and counts against the seed's PyTorch code), the modules' modes under
// both BatchNorm policies, where the frozen-prefix cache sits, and the feature cache itself.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { BatchNorm2d, Dropout } from '../src/nn/index.js';
import { BinaryClassifier } from '../src/models/index.js';
import { memory, randn, scope, dispose } from '../src/torch/index.js';
import { applyTrainable, cacheStage, cacheStageFor, carriedStage, setTrainModes, trainableParameters } from '../src/train/plan.js';
import { FeatureCache } from '../src/train/cache/feature-cache.js';
import { defaultConfig } from '../src/train/config/index.js';
import { runPython } from './helpers/python.js';
import { removeTempDirs, tempDir } from './train-fixtures.js';

after(removeTempDirs);

const model = new BinaryClassifier({ arch: 'resnet18' });
const [phase1, phase2] = defaultConfig().phases;

test('trainable parameters per phase equal the seed PyTorch code\'s requires_grad set (names, order, count)', () => {
  const py = runPython<{ p1: string[]; n1: number; p2: string[]; n2: number }>(`
import torch, torchvision
m = torchvision.models.resnet18()
m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(512, 1), torch.nn.Sigmoid())
def phase(unfreeze):
    for p in m.parameters(): p.requires_grad = False
    for mod in unfreeze:
        for p in mod.parameters(): p.requires_grad = True
    names = [n for n, p in m.named_parameters() if p.requires_grad]
    return names, sum(p.numel() for p in m.parameters() if p.requires_grad)
p1, n1 = phase([m.fc])
p2, n2 = phase([m.layer4, m.fc])
out({'p1': p1, 'n1': n1, 'p2': p2, 'n2': n2})
`);
  const count = () => trainableParameters(model).reduce((n, p) => n + p.numel, 0);
  assert.deepEqual(applyTrainable(model, phase1!.trainable), py.p1);
  assert.deepEqual(py.p1, ['fc.1.weight', 'fc.1.bias']);
  assert.equal(count(), py.n1);
  assert.deepEqual(applyTrainable(model, phase2!.trainable), py.p2);
  assert.equal(count(), py.n2);
  assert.equal(trainableParameters(model).length, py.p2.length);
  // Frozen parameters really are frozen.
  assert.equal(model.namedParameters().filter(([n, p]) => p.requiresGrad !== (n.startsWith('layer4.') || n.startsWith('fc.'))).length, 0);
  assert.equal(applyTrainable(model, ['all']).length, model.parameters().length);
  assert.deepEqual(applyTrainable(model, ['layer4.1.bn2']), ['layer4.1.bn2.weight', 'layer4.1.bn2.bias']);
  assert.throws(() => applyTrainable(model, ['layer9']), /phase trainable 'layer9' matches no parameter/);
});

test('modes: frozen BatchNorm in eval under bnPolicy eval, everything training under bnPolicy train; dropout active', () => {
  applyTrainable(model, phase2!.trainable);
  setTrainModes(model, 'eval');
  const bn = (name: string) => model.getSubmodule(name) as BatchNorm2d;
  assert.equal(bn('bn1').training, false);
  assert.equal(bn('layer3.1.bn2').training, false);
  assert.equal(bn('layer4.0.bn1').training, true);
  assert.equal(bn('layer4.0.downsample.1').training, true);
  assert.equal((model.getSubmodule('fc.0') as Dropout).training, true);
  setTrainModes(model, 'train');
  assert.ok(model.modules().every((m) => m.training));
});

test('cache point: pooled features in phase 1, layer3 output in phase 2, nothing when not deterministic', () => {
  const on = { bnPolicy: 'eval' as const, viewsCacheable: true, enabled: true };
  applyTrainable(model, phase1!.trainable);
  assert.equal(cacheStage(model, on), 'pool');
  assert.equal(cacheStage(model, { ...on, bnPolicy: 'train' }), null);
  assert.equal(cacheStage(model, { ...on, viewsCacheable: false }), null);
  assert.equal(cacheStage(model, { ...on, enabled: false }), null);
  applyTrainable(model, phase2!.trainable);
  assert.equal(cacheStage(model, on), 'layer3');
  applyTrainable(model, ['layer4.1', 'fc']);
  assert.equal(cacheStage(model, on), 'layer3');
  applyTrainable(model, ['layer2', 'fc']);
  assert.equal(cacheStage(model, on), 'layer1');
  applyTrainable(model, ['bn1', 'fc']);
  assert.equal(cacheStage(model, on), null);
  applyTrainable(model, ['all']);
  assert.equal(cacheStage(model, on), null);
});

test('cache point of a later phase, read from its trainable list without changing the model; what one phase can hand to the next', () => {
  const on = { bnPolicy: 'eval' as const, viewsCacheable: true, enabled: true };
  applyTrainable(model, phase1!.trainable);
  assert.equal(cacheStageFor(model, phase2!.trainable, on), 'layer3');
  assert.equal(cacheStageFor(model, ['layer4.1', 'fc'], on), 'layer3');
  assert.equal(cacheStageFor(model, ['layer2', 'fc'], on), 'layer1');
  assert.equal(cacheStageFor(model, ['all'], on), null);
  assert.equal(cacheStageFor(model, phase2!.trainable, { ...on, bnPolicy: 'train' }), null);
  assert.equal(cacheStage(model, on), 'pool', 'the model itself is unchanged');
  // A phase that caches stage S runs every stage up to S frozen, so it can fill the cache of a next phase
  // that stops at S or before; a next phase that caches a later stage needs stages this phase trains.
  assert.equal(carriedStage('pool', 'layer3'), 'layer3');
  assert.equal(carriedStage('pool', 'pool'), 'pool');
  assert.equal(carriedStage('layer3', 'pool'), null);
  assert.equal(carriedStage(null, 'layer3'), null);
  assert.equal(carriedStage('pool', null), null);
});

test('feature cache: memory budget, then the spill folder; fp16 storage; errors; nothing leaks', () => {
  const dir = path.join(tempDir(), 'spill');
  const before = memory().tensors;
  const x = randn([4, 3, 2, 2]);
  const rowBytes = 3 * 2 * 2 * 4;
  const cache = new FeatureCache({ stage: 'layer3', memoryBytes: 2 * rowBytes, dir, dtype: 'fp32', device: 'cpu' });
  scope(() => cache.put(['t:0', 't:1', 't:2', 't:3'], x));
  assert.deepEqual({ ...cache.stats, hits: 0 }, { memoryEntries: 2, memoryBytes: 2 * rowBytes, diskEntries: 2, diskBytes: 2 * rowBytes, hits: 0, misses: 0 });
  assert.equal(fs.readdirSync(dir).length, 2);
  scope(() => {
    const back = cache.get(['t:3', 't:0', 't:2']);
    assert.deepEqual(back.shape, [3, 3, 2, 2]);
    assert.deepEqual(back.toArray(), [3, 0, 2].flatMap((i) => x.select(0, i).toArray()));
  });
  assert.equal(cache.hasAll(['t:0', 't:3']), true);
  assert.equal(cache.hasAll(['t:0', 't:4']), false);
  assert.throws(() => scope(() => cache.get(['t:9'])), /no entry for view 't:9'/);
  assert.throws(() => scope(() => cache.put(['a', 'b'], randn([2, 5]))), /entries of shape \[5\] cannot join entries of shape \[3,2,2\]/);
  // A damaged spill file is refused by size, not trusted.
  const f = path.join(dir, fs.readdirSync(dir)[0]!);
  fs.writeFileSync(f, Buffer.alloc(7));
  assert.throws(() => scope(() => cache.get(['t:2', 't:3'])), /has 7 bytes, expected 48/);
  cache.dispose();
  assert.equal(fs.existsSync(dir), false);

  const half = new FeatureCache({ stage: 'pool', memoryBytes: 1 << 20, dir: null, dtype: 'fp16', device: 'cpu' });
  scope(() => half.put(['a', 'b', 'c', 'd'], x));
  assert.equal(half.stats.memoryBytes, 4 * rowBytes / 2);
  scope(() => {
    const back = half.get(['a', 'b', 'c', 'd']);
    assert.equal(back.dtype, 'float32');
    const want = x.toArray();
    back.toArray().forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-3 * Math.max(1, Math.abs(want[i]!)), `fp16 element ${i}`));
  });
  half.dispose();
  dispose(x);
  assert.equal(memory().tensors, before);
});

test('feature cache: the spill folder stops at its disk limit; views beyond it are not kept; said once', () => {
  const x = randn([5, 4]); // rows of 16 bytes
  const dir = path.join(tempDir(), 'spill');
  const cache = new FeatureCache({ stage: 'pool', memoryBytes: 16, diskBytes: 32, dir, dtype: 'fp32', device: 'cpu' });
  assert.equal(cache.takeDiskLimitNotice(), null);
  scope(() => cache.put(['a', 'b', 'c', 'd', 'e'], x));
  assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((k) => cache.has(k)), [true, true, true, false, false]);
  assert.deepEqual([cache.stats.memoryEntries, cache.stats.diskEntries, cache.stats.diskBytes], [1, 2, 32]);
  assert.equal(fs.readdirSync(dir).length, 2);
  assert.equal(cache.takeDiskLimitNotice(), '2 views (32 bytes) in its spill folder reached featureCache.diskMB');
  assert.equal(cache.takeDiskLimitNotice(), null, 'said once');
  scope(() => assert.deepEqual(cache.get(['c', 'a']).toArray(), [...x.narrow(0, 2, 1).toArray(), ...x.narrow(0, 0, 1).toArray()]));
  cache.dispose();
  dispose(x);
});

test('feature cache: a spill folder that cannot be written (a full disk) stops the spilling, not the run', () => {
  const blocker = path.join(tempDir(), 'a-file');
  fs.writeFileSync(blocker, 'x');
  const x = randn([3, 4]);
  const cache = new FeatureCache({ stage: 'pool', memoryBytes: 16, dir: path.join(blocker, 'spill'), dtype: 'fp32', device: 'cpu' });
  assert.equal(cache.spillError, null);
  scope(() => cache.put(['a', 'b', 'c'], x));
  assert.deepEqual([cache.has('a'), cache.has('b'), cache.has('c')], [true, false, false], 'the budget holds one row; the rest is not kept');
  assert.match(cache.spillError!, /ENOTDIR|EEXIST/);
  assert.equal(cache.stats.diskEntries, 0);
  scope(() => cache.put(['b'], x.narrow(0, 1, 1)));
  assert.equal(cache.has('b'), false, 'no second attempt');
  cache.dispose();
  dispose(x);
});
