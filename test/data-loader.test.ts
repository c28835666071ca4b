// DataLoader: batching, seeded determinism, dropping a final batch of one, the cache (memory and disk)
// returning exactly the pixels of a fresh decode, flip views, random-resized-crop presets, skipped
// files, channels-last, bounded prefetch, and the whole eval path against torchvision.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import {
  DataLoader, decodeFull, decodeResized, ImageCache, Rng, deriveSeed, randomResizedCropBox, drawJitter, IMAGENET_MEAN, IMAGENET_STD,
  type Batch, type JitterParams, type LoaderItem, type RawImage,
} from '../src/data/index.js';
import { batchTensors, imagesTensor } from '../src/data/tensor.js';
import { scope } from '../src/torch/index.js';
import { rawSharp, smoothRgb, tempDir, touch, writePng } from './data-fixtures.js';
import { runPython } from './helpers/python.js';

const dir = tempDir('tlearn-loader-');
const items: LoaderItem[] = [];
const ready = (async () => {
  for (let i = 0; i < 7; i++) {
    const file = path.join(dir, `${i}.${i % 2 ? 'jpg' : 'png'}`);
    const w = 20 + 3 * i, h = 16 + 2 * i;
    const pipe = rawSharp(smoothRgb(w, h, i * 5), w, h);
    await (i % 2 ? pipe.jpeg({ quality: 90 }) : pipe.png()).toFile(file);
    items.push({ path: file, label: (i % 2) as 0 | 1 });
  }
})();

/** The float32 values a batch becomes (logical NCHW order). */
const xOf = (b: Batch): Float32Array => scope(() => imagesTensor(b).toFloat32Array());

/** One image as the engine sees it, with an optional jitter and normalisation. */
function oneImage(img: RawImage, o: { jitter?: JitterParams; flip?: boolean; mean?: [number, number, number]; std?: [number, number, number] } = {}): Float32Array {
  return scope(() => imagesTensor({
    pixels: img.data, shape: [1, 3, img.height, img.width], layout: 'nchw', views: [{ flip: o.flip ?? false }],
    jitter: [o.jitter ?? null], mean: o.mean ?? IMAGENET_MEAN, std: o.std ?? IMAGENET_STD,
  }).toFloat32Array());
}

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

test('eval batches keep order and every item; train drops a final batch of one', async () => {
  await ready;
  const ev = new DataLoader(items, { imageSize: 16, batchSize: 3 });
  const eb = await collect(ev.epoch(0));
  assert.deepEqual(eb.map((b) => b.indices), [[0, 1, 2], [3, 4, 5], [6]]);
  assert.deepEqual(eb[0]!.shape, [3, 3, 16, 16]);
  assert.equal(eb[0]!.pixels.length, 3 * 16 * 16 * 3);
  assert.equal(xOf(eb[0]!).length, 3 * 3 * 16 * 16);
  assert.deepEqual(Array.from(eb[1]!.y), [1, 0, 1]);
  assert.equal(eb[2]!.paths[0], items[6]!.path);
  assert.equal(ev.length, 3);

  const tr = new DataLoader(items, { imageSize: 16, batchSize: 3, train: true, seed: 1 });
  assert.equal(tr.length, 2);
  const tb = await collect(tr.epoch(0));
  assert.deepEqual(tb.map((b) => b.indices.length), [3, 3]);
  const seen = tb.flatMap((b) => b.indices);
  assert.equal(new Set(seen).size, 6);
  const two = new DataLoader(items.slice(0, 6), { imageSize: 8, batchSize: 4, train: true });
  assert.deepEqual((await collect(two.epoch(0))).map((b) => b.indices.length), [4, 2], 'a final batch of two is kept');
  const dl = new DataLoader(items, { imageSize: 8, batchSize: 3, dropLast: true });
  assert.equal(dl.length, 2);
  assert.throws(() => new DataLoader(items, { batchSize: 0 }), /batchSize must be an integer >= 1/);
  assert.throws(() => new DataLoader(items, { augment: 'heavy' as never }), /augment must be one of none, flip, light, standard/);
  assert.throws(() => new DataLoader([{ path: 'a', label: 0.5 }]), /item 0 must be/);
});

test('same seed gives the same batches; epochs and seeds differ', async () => {
  await ready;
  for (const augment of ['flip', 'standard'] as const) {
    const mk = (seed: number) => new DataLoader(items, { imageSize: 16, batchSize: 3, train: true, augment, seed, cache: null });
    const a = await collect(mk(5).epoch(2));
    const b = await collect(mk(5).epoch(2));
    assert.deepEqual(a.map((x) => x.indices), b.map((x) => x.indices));
    assert.deepEqual(a.map((x) => x.views), b.map((x) => x.views));
    a.forEach((batch, i) => assert.deepEqual(xOf(batch), xOf(b[i]!), `${augment}: batch ${i} pixels`));
    const e3 = await collect(mk(5).epoch(3));
    assert.notDeepEqual(e3.map((x) => x.indices), a.map((x) => x.indices));
    const s6 = await collect(mk(6).epoch(2));
    assert.notDeepEqual(s6.map((x) => x.indices), a.map((x) => x.indices));
  }
  // The async iterator walks epochs 0, 1, ... and setEpoch repositions it.
  const it = new DataLoader(items, { imageSize: 8, batchSize: 4, train: true, seed: 9 });
  const e0 = await collect(it), e1 = await collect(it);
  assert.deepEqual(e0.map((b) => b.epoch), [0, 0]);
  assert.deepEqual(e1.map((b) => b.epoch), [1, 1]);
  it.setEpoch(0);
  assert.deepEqual((await collect(it)).map((b) => b.indices), e0.map((b) => b.indices));
});

test('the cache returns exactly the pixels of a fresh decode, from memory and from disk', async () => {
  await ready;
  const cache = new ImageCache({ memoryBytes: 1 << 20 });
  const loader = new DataLoader(items, { imageSize: 24, batchSize: 4, cache, resize: 'crop' });
  const first = await collect(loader.epoch(0));
  assert.equal(cache.stats.misses, 7);
  const second = await collect(loader.epoch(1));
  assert.equal(cache.stats.memoryHits, 7);
  assert.equal(cache.stats.misses, 7, 'no decode after the first epoch');
  second.forEach((b, i) => assert.deepEqual(b.pixels, first[i]!.pixels));
  for (let i = 0; i < items.length; i++) {
    const fresh = await decodeResized(items[i]!.path, 24, 'crop');
    assert.deepEqual(await loader.evalImage(i), fresh);
  }
  // Beyond the memory budget entries go to disk; a new cache on the same folder reads them back.
  const cacheDir = tempDir('tlearn-cache-');
  const small = new ImageCache({ memoryBytes: 24 * 24 * 3 * 2, dir: cacheDir });
  const l1 = new DataLoader(items, { imageSize: 24, batchSize: 4, cache: small, resize: 'crop' });
  const b1 = await collect(l1.epoch(0));
  assert.equal(small.stats.memoryEntries, 2);
  assert.equal(small.stats.diskEntries, 5);
  assert.equal(fs.readdirSync(cacheDir).filter((f) => f.endsWith('.rgb')).length, 5);
  assert.equal(fs.readdirSync(cacheDir).filter((f) => f.endsWith('.tmp')).length, 0);
  const reopened = new ImageCache({ memoryBytes: 0, dir: cacheDir });
  const l2 = new DataLoader(items, { imageSize: 24, batchSize: 4, cache: reopened, resize: 'crop' });
  const b2 = await collect(l2.epoch(0));
  assert.equal(reopened.stats.diskHits, 5);
  b2.forEach((b, i) => assert.deepEqual(b.pixels, b1[i]!.pixels));
  // A damaged entry is detected and treated as a miss.
  const entry = path.join(cacheDir, fs.readdirSync(cacheDir).find((f) => f.endsWith('.rgb'))!);
  fs.writeFileSync(entry, fs.readFileSync(entry).subarray(0, 100));
  const third = new ImageCache({ memoryBytes: 0, dir: cacheDir });
  const b3 = await collect(new DataLoader(items, { imageSize: 24, batchSize: 4, cache: third, resize: 'crop' }).epoch(0));
  assert.equal(third.stats.badEntries, 1);
  b3.forEach((b, i) => assert.deepEqual(b.pixels, b1[i]!.pixels));
  // Another size or resize mode never hits these entries.
  const other = new ImageCache({ memoryBytes: 0, dir: cacheDir });
  await collect(new DataLoader(items, { imageSize: 24, batchSize: 4, cache: other, resize: 'squash' }).epoch(0));
  assert.equal(other.stats.diskHits, 0);
});

test('flip preset: views are known before decoding and flipped pixels mirror the cached image', async () => {
  await ready;
  const s = 12;
  const loader = new DataLoader(items, { imageSize: s, batchSize: 7, train: true, augment: 'flip', seed: 3 });
  assert.equal(loader.viewsCacheable, true);
  const plan = loader.plan(0)[0]!;
  const [batch] = await collect(loader.epoch(0));
  assert.deepEqual(batch!.views, plan.views);
  const flips = batch!.views.map((v) => v.flip);
  assert.ok(flips.includes(true) && flips.includes(false), 'both flipped and unflipped views in 7 draws (seed 3)');
  const x = xOf(batch!);
  for (let k = 0; k < batch!.indices.length; k++) {
    const v = batch!.views[k]!;
    assert.equal(v.index, batch!.indices[k]);
    assert.equal(v.key, `${v.index}${v.flip ? 'f' : ''}`);
    const ref = oneImage(await loader.evalImage(v.index));
    const got = x.subarray(k * 3 * s * s, (k + 1) * 3 * s * s);
    for (let c = 0; c < 3; c++) for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) {
      const sx = v.flip ? s - 1 - x : x;
      assert.equal(got[c * s * s + y * s + x], ref[c * s * s + y * s + sx]);
    }
  }
  assert.equal(new DataLoader(items, { train: true, augment: 'light' }).viewsCacheable, false);
  assert.equal(new DataLoader(items, { train: false, augment: 'standard' }).viewsCacheable, true, 'eval ignores augmentation');
});

test('random-resized-crop presets: boxes in range, shapes right, base-image cache deterministic', async () => {
  await ready;
  const rng = new Rng(deriveSeed(1, 'box'));
  for (let i = 0; i < 500; i++) {
    const W = 5 + (i % 50), H = 3 + ((i * 7) % 60);
    const b = randomResizedCropBox(rng, W, H, [0.08, 1], [3 / 4, 4 / 3]);
    assert.ok(b.left >= 0 && b.top >= 0 && b.width >= 1 && b.height >= 1 && b.left + b.width <= W && b.top + b.height <= H, JSON.stringify({ W, H, b }));
  }
  const light = new Rng(2);
  for (let i = 0; i < 200; i++) {
    const b = randomResizedCropBox(light, 100, 100, [0.8, 1], [3 / 4, 4 / 3]);
    assert.ok(b.width * b.height >= 0.8 * 100 * 100 * 0.95, 'light crops keep most of the image');
  }
  const base = new DataLoader(items, { imageSize: 16, batchSize: 4, train: true, augment: 'light', seed: 2, augmentBaseSide: 16 });
  const a = await collect(base.epoch(0));
  const b = await collect(base.epoch(0));
  a.forEach((batch, i) => assert.deepEqual(xOf(batch), xOf(b[i]!)));
  assert.deepEqual([base.cache!.stats.misses, base.cache!.stats.memoryHits], [7, 7], 'base images came from the cache the second time');
  for (const batch of a) for (const v of xOf(batch)) assert.ok(Number.isFinite(v));
  const standard = await collect(new DataLoader(items, { imageSize: 16, batchSize: 7, train: true, augment: 'standard', seed: 2 }).epoch(0));
  assert.ok(standard[0]!.jitter.every((j) => j !== null), "'standard' jitters every image");
  assert.ok(standard[0]!.autoAugment.every((t) => t === null), "'standard' draws no TrivialAugment operation");
  // 'trivial': a random crop and flip as 'standard', then one TrivialAugment operation per image, no jitter; the
  // same seed draws the same batch again.
  const trivialLoader = () => new DataLoader(items, { imageSize: 16, batchSize: 7, train: true, augment: 'trivial', seed: 2 });
  const [t1, t2] = [await collect(trivialLoader().epoch(0)), await collect(trivialLoader().epoch(0))];
  assert.ok(t1[0]!.autoAugment.every((t) => t !== null) && t1[0]!.jitter.every((j) => j === null), JSON.stringify(t1[0]!.autoAugment));
  assert.deepEqual(t1[0]!.autoAugment, t2[0]!.autoAugment);
  assert.deepEqual(xOf(t1[0]!), xOf(t2[0]!));
  assert.notDeepEqual((await collect(trivialLoader().epoch(1)))[0]!.autoAugment, t1[0]!.autoAugment, 'another epoch draws again');
  const rand = await collect(new DataLoader(items, { imageSize: 16, batchSize: 7, train: true, augment: 'randaugment', seed: 2 }).epoch(0));
  assert.ok(rand[0]!.autoAugment.every((d) => d?.policy === 'randaugment' && d.steps.length === 2), JSON.stringify(rand[0]!.autoAugment));
  // Colour jitter keeps values in [0,1] and is the identity at factor 1.
  const img = { data: new Uint8Array(smoothRgb(6, 5)), width: 6, height: 5 };
  const unit = { mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };
  const plain = oneImage(img, unit);
  const id = oneImage(img, { ...unit, jitter: { order: [0, 1, 2], brightness: 1, contrast: 1, saturation: 1 } });
  id.forEach((v, i) => assert.ok(Math.abs(v - plain[i]!) < 1e-6));
  const j = oneImage(img, { ...unit, jitter: drawJitter(new Rng(4), 0.2) });
  for (const v of j) assert.ok(v >= 0 && v <= 1);
  assert.notDeepEqual(Array.from(j), Array.from(id));
});

test('files that fail to decode are skipped, reported once and left out afterwards', async () => {
  await ready;
  const bad = touch(path.join(dir, 'bad', 'corrupt.png'), 'garbage');
  const withBad: LoaderItem[] = [...items.slice(0, 3), { path: bad, label: 1 }, ...items.slice(3, 5)];
  const reported: string[] = [];
  const loader = new DataLoader(withBad, { imageSize: 8, batchSize: 4, onSkip: (s) => reported.push(s.path) });
  const e0 = await collect(loader.epoch(0));
  assert.deepEqual(e0.map((b) => b.indices), [[0, 1, 2], [4, 5]]);
  assert.deepEqual(reported, [bad]);
  assert.equal(loader.skipped[0]!.index, 3);
  assert.ok(loader.skipped[0]!.reason.length > 0);
  const e1 = await collect(loader.epoch(1));
  assert.deepEqual(e1.map((b) => b.indices), [[0, 1, 2, 4], [5]]);
  assert.equal(reported.length, 1);
  // In training, a batch reduced to one image by failures is dropped too.
  const tr = new DataLoader([items[0]!, { path: bad, label: 1 }], { imageSize: 8, batchSize: 2, train: true });
  assert.deepEqual(await collect(tr.epoch(0)), []);
});

test('channels-last layout and unlabelled items', async () => {
  await ready;
  const s = 10;
  const nchw = (await collect(new DataLoader(items, { imageSize: s, batchSize: 7 }).epoch(0)))[0]!;
  const nhwc = (await collect(new DataLoader(items, { imageSize: s, batchSize: 7, channelsLast: true }).epoch(0)))[0]!;
  assert.equal(nhwc.layout, 'nhwc');
  assert.deepEqual(nhwc.shape, nchw.shape);
  scope(() => {
    const a = batchTensors(nchw).x, b = batchTensors(nhwc).x;
    assert.deepEqual(a.shape, [7, 3, s, s]);
    assert.deepEqual(b.shape, [7, 3, s, s]);
    assert.deepEqual(a.strides(), [3 * s * s, s * s, s, 1]);
    assert.deepEqual(b.strides(), [3 * s * s, 1, 3 * s, 3], 'channels-last memory');
    assert.deepEqual(b.toFloat32Array(), a.toFloat32Array(), 'same values in either layout');
  });
  const unl = (await collect(new DataLoader(items.map((it) => ({ path: it.path, label: null })), { imageSize: s }).epoch(0)))[0]!;
  assert.ok(Array.from(unl.y).every(Number.isNaN));
});

test('prefetch keeps a bounded number of batches in flight', async () => {
  await ready;
  let inflight = 0, maxInflight = 0;
  class Counting extends DataLoader {
    override async load(plan: Parameters<DataLoader['load']>[0]) {
      inflight++; maxInflight = Math.max(maxInflight, inflight);
      try { return await super.load(plan); } finally { inflight--; }
    }
  }
  const loader = new Counting(items, { imageSize: 8, batchSize: 1, prefetch: 2 });
  let n = 0;
  for await (const _ of loader.epoch(0)) {
    n++;
    await new Promise((r) => setTimeout(r, 5)); // a slow consumer
  }
  assert.equal(n, 7);
  assert.equal(maxInflight, 2);
});

test('eval batches match torchvision ImageFolder-style preprocessing', async (t) => {
  await ready;
  const file = path.join(dir, 'big.png');
  await rawSharp(smoothRgb(160, 120), 160, 120).png().toFile(file);
  const s = 48;
  const batches = await collect(new DataLoader([{ path: file, label: 1 }], { imageSize: s, resize: 'crop' }).epoch(0));
  const ref = runPython<number[]>(`
from PIL import Image
import torchvision.transforms as T
t = T.Compose([T.Resize(round(inp['s'] / 0.875)), T.CenterCrop(inp['s']), T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
out(t(Image.open(inp['f']).convert('RGB')).flatten().tolist())`, { f: file, s });
  const x = xOf(batches[0]!);
  let sum = 0, max = 0, maxLevels = 0;
  ref.forEach((v, i) => {
    const d = Math.abs(v - x[i]!);
    sum += d; max = Math.max(max, d);
    // The same difference in 8-bit pixel levels: undo Normalize's division by the channel's std (NCHW order).
    maxLevels = Math.max(maxLevels, d * IMAGENET_STD[Math.floor(i / (s * s))]! * 255);
  });
  t.diagnostic(`loader vs torchvision (160x120 -> crop ${s}): mean |diff| ${(sum / ref.length).toExponential(2)}, max ${max.toFixed(4)} (${maxLevels.toFixed(3)} levels)`);
  assert.ok(sum / ref.length < 0.02);
  // Measured: max 0.0175 = exactly one 8-bit level (1/255/std; libvips' and Pillow's downscaling round a few
  // pixels differently). Differences come in whole levels, so a bound of 1.5 levels allows that rounding and
  // fails at the first 2-level difference (a shifted crop, a wrong filter, a channel mix-up give far more).
  assert.ok(maxLevels < 1.5, `max |diff| ${max} is ${maxLevels} pixel levels`);
});

// Keeps the fixture helper honest: the written PNG is what smoothRgb describes (size and every pixel, read back
// by sharp and by the loader's own full decode), and seeds give distinct content.
test('fixture sanity', async () => {
  const f = await writePng(path.join(dir, 'fx.png'), 5, 4, 1);
  const { data, info } = await sharp(f).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [5, 4, 3]);
  assert.deepEqual(data, smoothRgb(5, 4, 7), 'writePng(seed 1) holds smoothRgb(phase 7)');
  const full = await decodeFull(f);
  assert.deepEqual([full.width, full.height], [5, 4]);
  assert.deepEqual(Buffer.from(full.data), data);
  const other = await sharp(await writePng(path.join(dir, 'fx2.png'), 5, 4, 2)).raw().toBuffer();
  assert.notDeepEqual(other, data, 'another seed, other pixels');
});

test('prepareData with a cache: the audit decode fills it, so the first epoch decodes nothing', async () => {
  const { prepareData } = await import('../src/data/index.js');
  const root = tempDir();
  for (let i = 0; i < 4; i++) await writePng(path.join(root, 'train', i % 2 ? 'b' : 'a', `${i}.png`), 30, 20, i);
  touch(path.join(root, 'train', 'a', 'bad.png'), 'corrupt');
  const cache = new ImageCache();
  const { dataset } = await prepareData(root, { imageSize: 16, resize: 'crop', cache });
  assert.equal(cache.stats.memoryEntries, 4, 'one entry per readable file');
  const loader = new DataLoader(dataset.items, { imageSize: 16, resize: 'crop', batchSize: 4, cache });
  const [batch] = await collect(loader.epoch(0));
  assert.equal(cache.stats.misses, 0);
  assert.equal(cache.stats.memoryHits, 4);
  const fresh = new DataLoader(dataset.items, { imageSize: 16, resize: 'crop', batchSize: 4, cache: null });
  assert.deepEqual((await collect(fresh.epoch(0)))[0]!.pixels, batch!.pixels);
  // A loader with another size does not pick these entries up.
  await collect(new DataLoader(dataset.items, { imageSize: 12, batchSize: 4, cache }).epoch(0));
  assert.equal(cache.stats.misses, 4);
});

test('flip, colour jitter and normalisation match torchvision hflip, adjust_brightness/contrast/saturation and Normalize', (t) => {
  const w = 9, h = 7;
  const img = { data: new Uint8Array(smoothRgb(w, h, 2)), width: w, height: h };
  const p = { order: [1, 2, 0], brightness: 1.17, contrast: 0.84, saturation: 1.19 };
  const ours = oneImage(img, { jitter: p, flip: true });
  const ref = runPython<number[]>(`
import torch
import torchvision.transforms.functional as F
x = torch.tensor(inp['data'], dtype=torch.uint8).reshape(inp['h'], inp['w'], 3).permute(2, 0, 1).float().div(255)
x = F.hflip(x)
for op in inp['order']:
    if op == 0: x = F.adjust_brightness(x, inp['b'])
    elif op == 1: x = F.adjust_contrast(x, inp['c'])
    else: x = F.adjust_saturation(x, inp['s'])
x = F.normalize(x, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
out(x.flatten().tolist())`, { data: Array.from(img.data), w, h, order: p.order, b: p.brightness, c: p.contrast, s: p.saturation });
  let max = 0;
  ref.forEach((v, i) => { max = Math.max(max, Math.abs(v - ours[i]!)); });
  t.diagnostic(`max |diff| ${max}`);
  assert.ok(max < 1e-6, `max diff ${max}`);
});

test('a disk cache entry is not served for a file replaced by one of the same name, size and mtime', async () => {
  // QA 7a F5: cp -p, rsync -t, touch -r, unzip keep the mtime; uncompressed PNGs of one size have one byte size.
  const dir = tempDir('tlearn-stale-');
  const file = path.join(dir, 'img.png'), other = path.join(dir, 'other.png');
  await rawSharp(smoothRgb(20, 16, 0), 20, 16).png({ compressionLevel: 0 }).toFile(file);
  await rawSharp(smoothRgb(20, 16, 9), 20, 16).png({ compressionLevel: 0 }).toFile(other);
  assert.equal(fs.statSync(file).size, fs.statSync(other).size, 'fixture: same byte size');
  fs.utimesSync(file, 1_000_000_000, 1_000_000_000);
  const cacheDir = tempDir('tlearn-cache-');
  const load = async () => {
    const cache = new ImageCache({ memoryBytes: 0, dir: cacheDir });
    const [b] = await collect(new DataLoader([{ path: file, label: 0 }], { imageSize: 16, batchSize: 1, cache }).epoch(0));
    return { pixels: b!.pixels, cache };
  };
  const before = await load();
  assert.equal((await load()).cache.stats.diskHits, 1, 'an unchanged file is served from the cache folder');
  fs.copyFileSync(other, file); // overwritten in place: same inode
  fs.utimesSync(file, 1_000_000_000, 1_000_000_000);
  const after = await load();
  assert.equal(after.cache.stats.diskHits, 0);
  assert.deepEqual(after.pixels, (await decodeResized(file, 16, 'squash')).data);
  assert.notDeepEqual(after.pixels, before.pixels);
});

test('a cache folder that cannot be written to (a full disk) never fails an image: the cache stops writing and says why once', async () => {
  await ready;
  const cacheDir = tempDir('tlearn-cache-');
  const reasons: string[] = [];
  const cache = new ImageCache({ memoryBytes: 24 * 24 * 3 * 2, dir: cacheDir, onDiskError: (why) => reasons.push(why) });
  // The folder is replaced by a file: every write in it fails, as it would on a full disk (ENOSPC).
  fs.rmSync(cacheDir, { recursive: true });
  fs.writeFileSync(cacheDir, '');
  const loader = new DataLoader(items, { imageSize: 24, batchSize: 4, cache, resize: 'crop' });
  const batches = await collect(loader.epoch(0));
  assert.equal(batches.reduce((n, b) => n + b.shape[0], 0), items.length, 'every image was loaded');
  assert.deepEqual(loader.skipped, []);
  assert.equal(reasons.length, 1);
  assert.match(reasons[0]!, /^cannot write to .*tlearn-cache-\w+: E[A-Z]+/);
  assert.equal(cache.stats.memoryEntries, 2);
  assert.equal(cache.stats.diskEntries, 0);
  assert.equal(cache.hasRoomFor(1), false, 'memory is full and the disk is given up');
  // Later epochs decode what is not in memory again, with the same pixels.
  const again = await collect(loader.epoch(0));
  again.forEach((b, i) => assert.deepEqual(b.pixels, batches[i]!.pixels));
  assert.equal(reasons.length, 1);
  fs.rmSync(cacheDir);
});
