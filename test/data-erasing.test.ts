// Random erasing (randomErasing, --random-erasing; torchvision's RandomErasing with value 0): the boxes are drawn as
// torchvision's get_params draws them (two-sample Kolmogorov–Smirnov tests of area, aspect ratio and position against
// it, and the same share of draws with no box that fits); an image is erased with probability p; the box is zeroed
// after the normalisation, as F.erase on the normalised tensor; only training batches are erased, the same ones
// for the same seed, and a run with it trains without the feature cache; bad settings are refused by name.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DataLoader, Rng, type LoaderItem } from '../src/data/index.js';
import { drawErasing, type ErasingSpec } from '../src/data/erasing.js';
import { imagesTensor } from '../src/data/tensor.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../src/data/transforms.js';
import { resolveConfig } from '../src/train/config/index.js';
import { configWarnings } from '../src/train/config/warnings.js';
import { scope } from '../src/torch/index.js';
import { runPython } from './helpers/python.js';
import { makeStripes, recordedRun, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

const TORCHVISION: ErasingSpec = { p: 0.5, scale: [0.02, 0.33], ratio: [0.3, 3.3] };

test('the boxes follow torchvision\'s RandomErasing.get_params: area, aspect, position and no-fit share (KS tests)', () => {
  // A small, oblong image: many tries fail to fit, so the retry loop and its give-up are exercised.
  const [h, w, n] = [12, 40, 4000];
  const spec = { ...TORCHVISION, p: 1, scale: [0.02, 0.6] as [number, number] };
  const ours = Array.from({ length: n }, (_, seed) => drawErasing(new Rng(seed), spec, h, w));
  const py = runPython<{ area: number[]; aspect: number[]; top: number[]; left: number[]; none: number; p: Record<string, number> }>(`
import torch, numpy as np
from scipy.stats import ks_2samp
from torchvision.transforms import RandomErasing
torch.manual_seed(0)
img = torch.zeros(3, inp['h'], inp['w'])
boxes, none = [], 0
for _ in range(inp['n']):
    i, j, h, w, v = RandomErasing.get_params(img, scale=inp['scale'], ratio=inp['ratio'], value=[0.0])
    if v is img: none += 1
    else: boxes.append((i, j, h, w))
b = np.array(boxes, dtype=float)
ours = np.array([[o['top'], o['left'], o['height'], o['width']] for o in inp['ours'] if o is not None], dtype=float)
area = lambda a: a[:, 2] * a[:, 3]
aspect = lambda a: np.log(a[:, 2] / a[:, 3])
out({'none': none, 'p': {
  'area': float(ks_2samp(area(b), area(ours)).pvalue),
  'aspect': float(ks_2samp(aspect(b[b[:, 3] > 0]), aspect(ours[ours[:, 3] > 0])).pvalue),
  'top': float(ks_2samp(b[:, 0] / np.maximum(inp['h'] - b[:, 2], 1), ours[:, 0] / np.maximum(inp['h'] - ours[:, 2], 1)).pvalue),
  'left': float(ks_2samp(b[:, 1] / np.maximum(inp['w'] - b[:, 3], 1), ours[:, 1] / np.maximum(inp['w'] - ours[:, 3], 1)).pvalue)}})
`, { h, w, n, scale: spec.scale, ratio: spec.ratio, ours });
  for (const [k, p] of Object.entries(py.p)) assert.ok(p > 0.001, `${k}: KS p ${p}`);
  const none = ours.filter((b) => b === null).length;
  // Both are binomial counts of the same chance: within 5 standard deviations of each other.
  const sd = Math.sqrt(2 * n * (py.none / n) * (1 - py.none / n)) + 1;
  assert.ok(py.none > 0 && Math.abs(none - py.none) < 5 * sd, `no box fitted: ours ${none}, torchvision ${py.none} of ${n}`);
  for (const b of ours) if (b) assert.ok(b.top >= 0 && b.left >= 0 && b.top + b.height <= h && b.left + b.width <= w && b.height < h && b.width < w, JSON.stringify(b));
});

test('an image is erased with probability p', () => {
  const n = 4000;
  const erased = Array.from({ length: n }, (_, seed) => drawErasing(new Rng(seed), { ...TORCHVISION, p: 0.25 }, 64, 64)).filter(Boolean).length;
  const sd = Math.sqrt(n * 0.25 * 0.75);
  assert.ok(Math.abs(erased - n * 0.25) < 4 * sd, `${erased} of ${n}`);
});

test('the box is zeroed after the normalisation, as F.erase on the normalised tensor', () => {
  const [h, w] = [6, 9];
  const pixels = Uint8Array.from({ length: 2 * h * w * 3 }, (_, i) => (i * 29) % 256);
  const erase = [{ top: 1, left: 2, height: 3, width: 5 }, null];
  const ours = scope(() => imagesTensor({
    pixels, shape: [2, 3, h, w], layout: 'nchw', views: [{ flip: true }, { flip: false }], jitter: [null, null], erase, mean: IMAGENET_MEAN, std: IMAGENET_STD,
  }).toFloat32Array());
  const ref = runPython<number[]>(`
import torch
import torchvision.transforms.functional as F
x = torch.tensor(inp['pixels'], dtype=torch.uint8).reshape(2, inp['h'], inp['w'], 3).permute(0, 3, 1, 2).float().div(255)
x[0] = F.hflip(x[0])
x = F.normalize(x, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
x[0] = F.erase(x[0], 1, 2, 3, 5, torch.tensor(0.0))
out(x.flatten().tolist())`, { pixels: Array.from(pixels), h, w });
  const max = ref.reduce((m, v, i) => Math.max(m, Math.abs(v - ours[i]!)), 0);
  assert.ok(max < 1e-6, `max |diff| ${max}`);
  assert.ok(ours.slice(0, 3 * h * w).filter((v) => v === 0).length >= 3 * 3 * 5, 'the box is zero');
});

test('only training batches are erased, the same boxes for the same seed; the loader then caches no views', async () => {
  const data = await makeStripes(tempDir(), { train: 8, val: 2, test: 2 });
  const items: LoaderItem[] = (await import('node:fs')).readdirSync(`${data}/train/stripes_h`).map((f) => ({ path: `${data}/train/stripes_h/${f}`, label: 0 }));
  const loader = (train: boolean) => new DataLoader(items, { imageSize: 16, batchSize: 8, train, augment: 'flip', erasing: { ...TORCHVISION, p: 1 }, seed: 4, cache: null });
  const boxes = async (l: DataLoader, epoch = 0) => {
    const out = [];
    for await (const b of l.epoch(epoch)) out.push(...b.erase);
    return out;
  };
  const a = await boxes(loader(true));
  assert.ok(a.filter(Boolean).length >= 6, `p 1 erases nearly every image: ${JSON.stringify(a)}`);
  assert.deepEqual(await boxes(loader(true)), a);
  assert.notDeepEqual(await boxes(loader(true), 1), a, 'another epoch, other boxes');
  assert.ok((await boxes(loader(false))).every((b) => b === null), 'evaluation is never erased');
  assert.equal(loader(true).viewsCacheable, false);
  assert.equal(loader(false).viewsCacheable, true);
});

test('config: --random-erasing P gives torchvision\'s box settings; bad settings are refused by name; a run trains without the feature cache', { timeout: 600_000 }, async () => {
  assert.deepEqual(resolveConfig({ overrides: { data: '/d', randomErasing: 0.25 } }).randomErasing, { p: 0.25, scale: [0.02, 0.33], ratio: [0.3, 3.3] });
  assert.deepEqual(resolveConfig({ overrides: { data: '/d', set: ['randomErasing=true'] } }).randomErasing, { p: 0.5, scale: [0.02, 0.33], ratio: [0.3, 3.3] });
  assert.equal(resolveConfig({ overrides: { data: '/d' } }).randomErasing, null);
  const refused = (set: string[]) => assert.throws(() => resolveConfig({ overrides: { data: '/d', set } }), (e: Error) => {
    assert.match(e.message, /randomErasing/, e.message);
    return true;
  });
  refused(['randomErasing.scale=[0.5,0.1]']);
  refused(['randomErasing.p=1.5']);
  refused(['randomErasing.ratio=[0,2]']);
  refused(['randomErasing.value=3']);
  const withFlip = resolveConfig({ overrides: { data: '/d', randomErasing: 0.25 } });
  assert.ok(configWarnings(withFlip).some((w) => /randomErasing .*not cached/.test(w)), configWarnings(withFlip).join('\n'));
  const data = await makeStripes(tempDir(), { train: 8, val: 4, test: 2 });
  const run = await recordedRun(tinyConfig(data, [], { randomErasing: 0.5, epochs1: 1, epochs2: 1 }));
  const starts = run.events.flatMap((e) => (e.type === 'phase' && e.event === 'start' ? [e] : []));
  assert.ok(starts.length === 2 && starts.every((e) => !('cache' in e) || !e.cache), `no feature cache: ${JSON.stringify(starts)}`);
  for (const h of run.history) assert.ok(Number.isFinite(h.train_loss), JSON.stringify(h));
});
