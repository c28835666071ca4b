// The inputs of the trainable part with the frozen-prefix cache: with flip augmentation the first epoch
// caches both views of every image (the mirrored one is the same batch flipped along its width), with the
// dihedral preset all 8 (the batch flipped and turned), so no later epoch decodes an image or runs the frozen
// layers again; the entries equal what a fresh decode of that view gives; the carry cache of the next phase's
// stage is filled on the way; nothing leaks.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BinaryClassifier } from '../src/models/index.js';
import { DataLoader, imagesTensor, loadSource, type BatchPlan } from '../src/data/index.js';
import { memory, noGrad, scope } from '../src/torch/index.js';
import { applyTrainable, setTrainModes } from '../src/train/plan.js';
import { FeatureCache } from '../src/train/cache/feature-cache.js';
import { disposeInput, stepInputs, type InputSource } from '../src/train/inputs.js';
import type { Engine } from '../src/train/engine.js';
import { makeStripes, removeTempDirs, tempDir } from './train-fixtures.js';
import { BinaryTask, NO_LOSS_SETTINGS } from '../src/tasks/index.js';

after(removeTempDirs);

const cachesEveryView = (augment: 'flip' | 'dihedral', views: number) => async () => {
  const data = await makeStripes(path.join(tempDir(), 'data'), { train: 5, val: 1, test: 1 });
  const items = (await loadSource(data)).items.filter((i) => i.split === 'train').map((i) => ({ path: i.path, label: i.label }));
  const loader = new DataLoader(items, { imageSize: 32, batchSize: 4, train: true, augment, seed: 3 });
  const model = new BinaryClassifier({ arch: 'resnet18' });
  applyTrainable(model, ['fc']);
  setTrainModes(model, 'eval');
  const task = new BinaryTask(['a', 'b'], NO_LOSS_SETTINGS);
  const engine: Engine = { model, task, device: 'cpu', precision: 'fp32', channelsLast: false, bnPolicy: 'eval' };
  const cache = new FeatureCache({ stage: 'pool', memoryBytes: 1 << 20, dir: null, dtype: 'fp32', device: 'cpu' });
  const carry = new FeatureCache({ stage: 'layer3', memoryBytes: 1 << 20, dir: null, dtype: 'fp32', device: 'cpu' });
  const src: InputSource = { loader, split: 'train', cache, stage: 'pool', carry };
  let loads = 0;
  const load = loader.load.bind(loader);
  loader.load = (p: BatchPlan) => { loads++; return load(p); };
  const before = memory().tensors;

  const epoch = async (e: number): Promise<number> => {
    loads = 0;
    let images = 0;
    for await (const input of stepInputs(engine, src, loader.plan(e))) {
      assert.deepEqual(input.x.shape, [input.n, 512]);
      images += input.n;
      disposeInput(input);
    }
    assert.equal(images, 10);
    return loads;
  };
  assert.equal(await epoch(0), 3, 'the first epoch decodes its 3 batches');
  assert.equal(cache.size, 10 * views, `the ${views} views of the 10 images`);
  assert.equal(carry.size, 10 * views);
  for (let e = 1; e < 6; e++) assert.equal(await epoch(e), 0, `epoch ${e + 1} decodes nothing`);
  assert.equal(memory().tensors, before + 2 * 10 * views, 'only the cache entries stay');

  // Each entry is what a fresh decode of that view gives (mirrored ones included: every view is cached now).
  const plan = loader.plan(7)[0]!;
  if (augment === 'dihedral') assert.ok(plan.views.some((v) => v.turns > 0), 'a batch with turned views');
  const batch = (await load(plan))!;
  scope(() => noGrad(() => {
    const x = imagesTensor(batch, 'cpu');
    const keys = plan.views.map((v) => `train:${v.key}`);
    const mid = model.forwardStages(x, 'stem', 'layer3');
    const pooled = model.forwardStages(mid, 'layer4', 'pool');
    assert.ok(pooled.sub(cache.get(keys)).abs().max().item() <= 1e-6);
    assert.ok(mid.sub(carry.get(keys)).abs().max().item() <= 1e-6);
  }));
  cache.dispose();
  carry.dispose();
  model.dispose();
};

test('flip augmentation: epoch 1 caches both views of each image (and the carry stage); later epochs decode nothing', cachesEveryView('flip', 2));
test('the dihedral preset: epoch 1 caches the 8 flips and quarter turns of each image; later epochs decode nothing', cachesEveryView('dihedral', 8));
