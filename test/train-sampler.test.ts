// Class-balanced sampling (config sampler 'balanced', --sampler balanced): each epoch draws as many training images
// as there are, with replacement, every class equally often: torch.utils.data.WeightedRandomSampler with the
// weights scikit-learn's compute_sample_weight('balanced') gives (tested by a chi-square test of the draws against
// those probabilities). A repeated image gets augmentation draws of its own; the ranks of a data-parallel run
// shard the same draws; a run with it resumes mid-epoch to the uninterrupted history and weights; a multi-label
// run is refused, and weighting the loss as well is warned about.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { DataLoader, balancedOrder, drawNumbers, Rng, type LoaderItem } from '../src/data/index.js';
import { configWarnings } from '../src/train/config/warnings.js';
import { checkSampler, samplerLine } from '../src/train/setup.js';
import { assertSameRun, makeStripes, recordedRun, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';
import { runPython } from './helpers/python.js';

after(removeTempDirs);
const T = { timeout: 600_000 };

// 70 of class 0, 20 of class 1, 10 of class 2, and two unlabelled items that are never drawn.
const labels: (number | null)[] = [...Array<number>(70).fill(0), ...Array<number>(20).fill(1), ...Array<number>(10).fill(2), null, null];
const fakeItems: LoaderItem[] = labels.map((label, i) => ({ path: `/nonexistent/${i}.png`, label }));

test('the draws follow WeightedRandomSampler\'s probabilities with compute_sample_weight(\'balanced\') weights (chi-square)', () => {
  const loader = new DataLoader(fakeItems, { batchSize: 17, train: true, augment: 'flip', sampler: 'balanced', seed: 3, cache: null });
  const epochs = 60;
  const counts = new Array<number>(labels.length).fill(0);
  for (let e = 0; e < epochs; e++) {
    const plans = loader.plan(e);
    const drawn = plans.flatMap((p) => p.indices);
    assert.equal(drawn.length, labels.length, 'as many draws as items (a final batch of one would be dropped)');
    for (const i of drawn) counts[i]!++;
  }
  assert.equal(counts[100], 0);
  assert.equal(counts[101], 0);
  const py = runPython<{ p: number; shares: number[] }>(`
import numpy as np
from scipy.stats import chisquare
from sklearn.utils.class_weight import compute_sample_weight
y = np.array(inp['y']); w = compute_sample_weight('balanced', y)
c = np.array(inp['counts'][:len(y)], dtype=float)
out({'p': float(chisquare(c, w / w.sum() * c.sum()).pvalue), 'shares': [float(c[y == k].sum() / c.sum()) for k in range(3)]})
`, { y: labels.slice(0, 100), counts });
  assert.ok(py.p > 0.001, `chi-square p ${py.p}`);
  for (const share of py.shares) assert.ok(Math.abs(share - 1 / 3) < 0.02, `class shares ${py.shares.join(', ')}`);
});

test('an epoch\'s draws are the seed\'s: the same plan again, another epoch or seed another; shuffle sees each image once', () => {
  const make = (seed: number, sampler: 'shuffle' | 'balanced') => new DataLoader(fakeItems, { batchSize: 10, train: true, augment: 'flip', sampler, seed, cache: null });
  const a = make(1, 'balanced');
  assert.deepEqual(a.plan(4), make(1, 'balanced').plan(4));
  assert.notDeepEqual(a.plan(4).map((p) => p.indices), a.plan(5).map((p) => p.indices));
  assert.notDeepEqual(a.plan(4).map((p) => p.indices), make(2, 'balanced').plan(4).map((p) => p.indices));
  const once = make(1, 'shuffle').plan(0).flatMap((p) => p.indices);
  assert.deepEqual([...once].sort((x, y) => x - y), fakeItems.map((_, i) => i));
  assert.ok(make(1, 'shuffle').plan(0).every((p) => p.draws.every((d) => d === 0)));
  // Repeats are numbered in their order of draw, and each draws its own flip.
  const plans = a.plan(0);
  const drawn = plans.flatMap((p) => p.indices);
  assert.deepEqual(plans.flatMap((p) => p.draws), drawNumbers(drawn));
  const flipsOf = new Map<number, Set<boolean>>();
  for (const v of plans.flatMap((p) => p.views)) flipsOf.set(v.index, (flipsOf.get(v.index) ?? new Set()).add(v.flip));
  assert.ok([...flipsOf.values()].some((f) => f.size === 2), 'some image drawn twice is mirrored in one draw and not in another');
  assert.deepEqual(balancedOrder([null, null], new Rng(0)), []);
});

test('a repeated image gets a random crop of its own each time it is drawn', async () => {
  const dir = tempDir('tlearn-sampler-');
  const items: LoaderItem[] = [];
  for (let i = 0; i < 10; i++) {
    const file = path.join(dir, `${i}.png`);
    const px = Buffer.alloc(24 * 24 * 3);
    for (let k = 0; k < px.length; k++) px[k] = (k * (7 + i) + (k % 24) * 13) & 255;
    await sharp(px, { raw: { width: 24, height: 24, channels: 3 } }).png().toFile(file);
    items.push({ path: file, label: i === 0 ? 1 : 0 });
  }
  const loader = new DataLoader(items, { imageSize: 16, batchSize: 10, train: true, augment: 'light', sampler: 'balanced', seed: 5 });
  const plan = loader.plan(0)[0]!;
  const copies = plan.indices.flatMap((i, k) => (i === 0 ? [k] : []));
  assert.ok(copies.length >= 2, `the one image of class 1 is drawn ${copies.length} times`);
  const batch = (await loader.load(plan))!;
  const bytes = 16 * 16 * 3;
  const pixels = new Set(copies.map((k) => Buffer.from(batch.pixels.subarray(k * bytes, (k + 1) * bytes)).toString('base64')));
  assert.equal(pixels.size, copies.length, 'every draw of it is another crop');
});

test('data-parallel ranks shard the same draws: together they see the single process\'s epoch', () => {
  const opts = { batchSize: 5, train: true, augment: 'flip', sampler: 'balanced', seed: 9, cache: null } as const;
  const single = new DataLoader(fakeItems, { ...opts, batchSize: 10 }).plan(2);
  const ranks = [0, 1].map((rank) => new DataLoader(fakeItems, { ...opts, shard: { rank, worldSize: 2 } }).plan(2));
  assert.equal(ranks[0]!.length, 10); // 51 draws each: a final batch of one is dropped
  ranks[0]!.forEach((_, b) => {
    const p = single[b]!;
    const together = [0, 1, 2, 3, 4].flatMap((k) => [ranks[0]![b]!.indices[k]!, ranks[1]![b]!.indices[k]!]);
    assert.deepEqual(together, p.indices, `batch ${b}`);
    assert.deepEqual([0, 1, 2, 3, 4].flatMap((k) => [ranks[0]![b]!.views[k]!.flip, ranks[1]![b]!.views[k]!.flip]), p.views.map((v) => v.flip));
  });
});

test('balanced is refused for a multi-label run, warned about beside loss weights, and off by default', async () => {
  const data = tempDir('tlearn-sampler-cfg-');
  assert.equal(tinyConfig(data).sampler, 'shuffle');
  const balanced = tinyConfig(data, [], { sampler: 'balanced' });
  assert.throws(() => checkSampler(balanced, 'multilabel'), /config\.sampler: balanced draws every class equally often, and a multilabel image has several labels: weigh each label's positives with posWeight/);
  checkSampler(balanced, 'multiclass');
  assert.deepEqual(configWarnings(balanced), []);
  assert.ok(configWarnings(tinyConfig(data, [], { sampler: 'balanced', posWeight: 'auto' })).some((w) => /sampler balanced already draws every class equally often; with posWeight auto too/.test(w)));
  assert.throws(() => tinyConfig(data, ['sampler=weighted']), /config\.sampler\): expected one of "shuffle", "balanced", got "weighted"/);
  assert.throws(() => new DataLoader(fakeItems, { sampler: 'balanced', labelWidth: 3, cache: null }), /labelWidth/);
  // The info line names each class's count up to 6 classes, then only the rarest and the commonest.
  const classes = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const train = classes.flatMap((_, j) => Array.from({ length: j + 2 }, (_, k) => ({ path: `/x/${j}-${k}.png`, label: j })));
  assert.equal(samplerLine(balanced, train, classes), 'sampler balanced: each epoch draws 35 training images with replacement, every class 1/7 of them (from a 2 to g 8 images)');
  assert.equal(samplerLine(balanced, train.filter((i) => i.label < 2), classes.slice(0, 2)), 'sampler balanced: each epoch draws 5 training images with replacement, every class 1/2 of them (a 2, b 3 images)');
  assert.equal(samplerLine(tinyConfig(data), train, classes), null);
});

test('a run with sampler balanced says how it draws, and a Ctrl-C mid-epoch resumes to the uninterrupted history and weights', T, async () => {
  const data = await makeStripes(tempDir(), { train: 12, val: 4, test: 2 });
  // 12 stripes_h and 4 stripes_v training images.
  for (let k = 4; k < 12; k++) fs.rmSync(path.join(data, 'train', 'stripes_v', `${String(k).padStart(3, '0')}.png`));
  // Without the frozen-prefix cache: an image view first met after the resume would go through the frozen layers
  // in another batch than in the uninterrupted run, which changes the last bits of its features (true of the
  // shuffle sampler too, for a stop in the first epoch; with shuffle every view is cached after it).
  const config = tinyConfig(data, ['featureCache.enabled=false'], { sampler: 'balanced', batchSize: 4 });
  const whole = await recordedRun(config);
  const info = whole.events.flatMap((e) => (e.type === 'info' ? [e.message] : []));
  assert.ok(info.includes('sampler balanced: each epoch draws 16 training images with replacement, every class 1/2 of them (stripes_h 12, stripes_v 4 images)'), info.join('\n'));
  const batches = whole.events.filter((e) => e.type === 'batch' && e.phase === 'phase1' && e.epoch === 1);
  assert.equal(batches.length, 4, 'four batches of 4 draws');
  const out = tempDir('tlearn-sampler-run-');
  assert.equal((await recordedRun(config, { out, abortAt: ['phase1', 2, 2] })).interrupted, true);
  const resumed = await recordedRun(config, { out, resume: true });
  assertSameRun(resumed, whole);
});
