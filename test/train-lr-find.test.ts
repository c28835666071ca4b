// The LR range test: the schedule, the smoothing and stop rule, the two suggestions on fixed loss curves (worked
// out by hand in the comments), one tiny run on a model that leaves its weights and buffers bit-identical, and
// `tlearn lr-find` writing its plot and the flag to paste.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BinaryClassifier } from '../src/models/index.js';
import { DataLoader, loadSource } from '../src/data/index.js';
import { FeatureCache } from '../src/train/cache/feature-cache.js';
import { LossSmoother, npGradient, rangeTest, rangeTestLr, steepestIndex, valleyIndex } from '../src/train/index.js';
import type { Engine } from '../src/train/engine.js';
import { BinaryTask, NO_LOSS_SETTINGS } from '../src/tasks/index.js';
import { cliIn } from './helpers/cli.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('schedule: exponential from 1e-7 toward 10 over 100 steps (step i at i/100 of the way in log space)', () => {
  const s = { startLr: 1e-7, endLr: 10, steps: 100 };
  near(rangeTestLr(0, s), 1e-7);
  near(rangeTestLr(50, s), 1e-3); // 1e-7 * (1e8)^0.5
  near(rangeTestLr(75, s), 1e-1); // 1e-7 * (1e8)^0.75
  near(rangeTestLr(99, s), 1e-7 * 1e8 ** 0.99);
});

test('smoothing with bias correction (beta 0.98) and the stop at 4x the best', () => {
  const m = new LossSmoother();
  // avg1 = 0.02 * 2 = 0.04, / (1 - 0.98) = 2.
  near(m.add(2).smoothed, 2);
  // avg2 = 0.98 * 0.04 + 0.02 * 1 = 0.0592, / (1 - 0.9604) = 1.494949...
  const second = m.add(1);
  near(second.smoothed, 0.0592 / 0.0396);
  assert.equal(second.stop, false);
  // avg3 = 0.98 * 0.0592 + 0.02 * 400 = 8.058016, / (1 - 0.98^3 = 0.058808) = 137.02...: above 4 x 1.4949: stop.
  const third = m.add(400);
  near(third.smoothed, 8.058016 / (1 - 0.98 ** 3), 1e-9);
  assert.equal(third.stop, true);
  assert.equal(new LossSmoother().add(NaN).stop, true);
});

test('suggestions: steepest descent (numpy.gradient, first 10 and last point skipped) and fastai\'s valley', () => {
  assert.deepEqual(npGradient([1, 2, 4, 7]), [1, 1.5, 2.5, 3]);
  // Flat at 1 to index 12, then 0.9, 0.6, 0.55, 0.5, 0.5, 0.5, 0.8: gradients at 13 = (0.6 - 1) / 2 = -0.2, at 14
  // = (0.55 - 0.9) / 2 = -0.175, at 12 = (0.9 - 1) / 2 = -0.05: the steepest is 13.
  const curve = [...Array(13).fill(1), 0.9, 0.6, 0.55, 0.5, 0.5, 0.5, 0.8];
  assert.equal(steepestIndex(curve), 13);
  // A drop within the first 10 points is skipped: of [5, 1 x 11, 0.8, 0.7, 0.7] the points 10..13 are
  // [1, 1, 0.8, 0.7], gradients [0, -0.1, -0.15, -0.1]: index 10 + 2.
  assert.equal(steepestIndex([5, ...Array(11).fill(1), 0.8, 0.7, 0.7]), 12);
  assert.equal(steepestIndex([1, 2, 3]), null);
  // Valley, 20 planned steps: points 2 .. len-5 are kept: [8,7,6,5,4,3,2,1,2,3,4]. The longest decreasing run is
  // 8..1 (lds 1..8, max_end 7); fastai's max_start = max_end - lds[max_end] = 7 - 8 = -1; sections = 8/3;
  // idx = -1 + int(2.67) + int(1.33) = 2 in the kept points, 2 + 2 = 4 overall (the value 6).
  const valley = [9, 9, 8, 7, 6, 5, 4, 3, 2, 1, 2, 3, 4, 9, 9, 9, 9, 9];
  assert.equal(valleyIndex(valley, 20), 4);
  assert.equal(valleyIndex([1, 2, 3], 20), null);
});

test('a range test on a model with the feature cache leaves its weights and buffers bit-identical', async () => {
  const data = await makeStripes(path.join(tempDir(), 'data'), { train: 6, val: 1, test: 1 });
  const items = (await loadSource(data)).items.filter((i) => i.split === 'train').map((i) => ({ path: i.path, label: i.label }));
  const loader = new DataLoader(items, { imageSize: 32, batchSize: 4, train: true, augment: 'flip', seed: 3 });
  const model = new BinaryClassifier({ arch: 'resnet18' });
  const task = new BinaryTask(['a', 'b'], NO_LOSS_SETTINGS);
  const engine: Engine = { model, task, device: 'cpu', precision: 'fp32', channelsLast: false, bnPolicy: 'eval' };
  const cache = new FeatureCache({ stage: 'layer3', memoryBytes: 1 << 24, dir: null, dtype: 'fp32', device: 'cpu' });
  const bytes = () => [...model.stateDict()].map(([k, t]) => { const b = Buffer.from(t.data().buffer.slice(0)); t.dispose(); return [k, b] as const; });
  const before = bytes();
  const modes = model.modules().map((m) => m.training);
  const phase = tinyConfig(data).phases[1]!; // layer4 + fc: BatchNorm statistics of layer4 change while it runs
  try {
    const r = await rangeTest(engine, phase, { loader, split: 'train', cache, stage: 'layer3' }, 'eval', { steps: 12, startLr: 1e-4, endLr: 1 });
    assert.equal(r.points.length, 12);
    r.points.forEach((p, i) => near(p.lr, 1e-4 * 1e4 ** (i / 12)));
    assert.equal(cache.size, 24, 'every view (12 images x 2) through the frozen layers once');
    const after = bytes();
    assert.deepEqual(after.map(([k]) => k), before.map(([k]) => k));
    after.forEach(([k, b], i) => assert.ok(b.equals(before[i]![1]), `${k} changed`));
    assert.deepEqual(model.modules().map((m) => m.training), modes);
    assert.ok(model.parameters().every((p) => p.requiresGrad), 'requires-grad flags as before');
  } finally {
    cache.dispose();
    model.dispose();
    task.dispose();
  }
});

test('tlearn lr-find writes the plot and the figures and prints the flag to paste; phase 2 needs --from', async () => {
  const dir = tempDir();
  const data = await makeStripes(path.join(dir, 'data'), { train: 6, val: 2, test: 1 });
  const cli = cliIn(dir);
  const common = ['--arch', 'resnet18', '--weights', 'none', '--image-size', '32', '--batch-size', '4', '--threads', '2'];
  const r = await cli(['lr-find', data, '--out', 'lr', '--steps', '30', ...common]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /paste: --lr1 \d\.\de-\d+/);
  for (const f of ['lr_find.csv', 'lr_find.json', 'lr_find.svg', 'lr_find.png']) assert.ok(fs.existsSync(path.join(dir, 'lr', f)), f);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'lr', 'lr_find.json'), 'utf8'));
  assert.equal(json.phase, 'phase1');
  const two = await cli(['lr-find', data, '--out', 'lr2', '--phase', '2', ...common]);
  assert.equal(two.code, 2);
  assert.match(two.err, /give --from RUN/);
  // With --mixup the steps mix as training's would: no cached prefix, and other losses than the plain test's.
  const mixed = await cli(['lr-find', data, '--out', 'lr-mix', '--steps', '30', '--mixup', '0.4', ...common]);
  assert.equal(mixed.code, 0, mixed.err);
  const said = (x: { out: string; err: string }) => `${x.out}${x.err}`;
  assert.match(said(r), /output cached/);
  assert.doesNotMatch(said(mixed), /output cached/);
  const losses = (d: string) => fs.readFileSync(path.join(dir, d, 'lr_find.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[2]);
  assert.notDeepEqual(losses('lr-mix'), losses('lr'));
});
