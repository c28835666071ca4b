// The page of `tlearn export --format web` in headless Chromium, served by a static server on 127.0.0.1: it loads
// with no console error, no exception, no CSP violation and no request outside that server, and on images
// picked in its file input it gives the same decisions as `tlearn predict` with probabilities within 0.02
// (the browser's decoder is not libvips). A binary model (squash resize) and a 3-class one (crop resize); the
// page's model input itself is compared with tlearn's decoder, pixel by pixel.
// Chromium is required: without it this test fails and says how to install it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cliIn } from './helpers/cli.js';
import { manualSeed } from '../src/torch/index.js';
import { ImageClassifier, saveModelFile, type ModelMetadata } from '../src/models/index.js';
import { findChromium, inspectPage, type PageDriver, type PageInspection } from './helpers/chromium.js';
import { decodeResized } from '../src/data/decode.js';
import { serveFolder } from './helpers/static-server.js';
import { variedImages } from './helpers/varied-images.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';
import sharp from 'sharp';
import { TTA_MODES } from '../src/eval/tta.js';

after(removeTempDirs);

function requireChromium(): void {
  assert.ok(findChromium(), 'chromium is required for the web page test but was not found: '
    + 'install it with `apt-get install -y chromium`, or point TLEARN_CHROMIUM at a Chromium/Chrome binary');
}

/**
 * The page's model input for each file (app.js's `pixels`) against tlearn's decoder: the same geometry and
 * Pillow's filter leave only the decoders' small differences (libvips' shrink, JPEG chroma, alpha rounding)
 * and resize.onnx's float32 sums (a value on the other side of a .5: 1 level). Measured on these images: mean
 * up to 0.65 (the alpha PNG), max 10 (the JPEG at 32 px); the JS port of Pillow's filter gave 0.63 and 10.
 */
async function checkPixels(p: PageDriver, files: string[], size: number, mode: 'squash' | 'crop', meanBound = 0.7): Promise<void> {
  for (const file of files) {
    const ref = await decodeResized(file, size, mode);
    const got = await p.evaluate<number[]>(`(async () => {
      const bytes = Uint8Array.from(atob('${fs.readFileSync(file).toString('base64')}'), (c) => c.charCodeAt(0));
      const { pixels } = await import('./app.js');
      return Array.from((await pixels(new File([bytes], 'x'), ${size}, '${mode}')).rgb); })()`);
    assert.equal(got.length, ref.data.length);
    let max = 0, sum = 0;
    for (let i = 0; i < got.length; i++) { const d = Math.abs(got[i]! - ref.data[i]!); max = Math.max(max, d); sum += d; }
    assert.ok(sum / got.length <= meanBound && max <= 10, `${path.basename(file)} at ${size} px (${mode}): mean ${(sum / got.length).toFixed(2)}, max ${max} grey levels off tlearn's decode`);
  }
}

interface PageResult { file: string; label: string | null; probabilities: number[]; error: string | null; set: string[] | null }

/** Exports MODEL as a web page, serves it, picks FILES in it; returns the page's results and what it loaded. */
async function runPage(dir: string, model: string, files: string[], also?: (p: PageDriver) => Promise<void>, exportArgs: string[] = []): Promise<{ results: PageResult[]; page: PageInspection; served: string[]; url: string }> {
  const cli = cliIn(dir);
  const out = path.join(dir, 'page');
  const r = await cli(['export', model, '--format', 'web', '--out', out, ...exportArgs]);
  assert.equal(r.code, 0, r.err);
  const server = await serveFolder(out);
  let results: PageResult[] = [];
  try {
    const page = await inspectPage(server.url, {
      width: 1000, height: 1400, timeoutMs: 120_000,
      act: async (p) => {
        await p.waitFor(`['ready', 'failed'].includes(document.getElementById('status').dataset.state)`, 60_000);
        assert.equal(await p.evaluate(`document.getElementById('status').dataset.state`), 'ready',
          await p.evaluate<string>(`document.getElementById('status').textContent`));
        await p.setFiles('#files', files);
        await p.waitFor(`document.getElementById('status').dataset.done === '${files.length}'`, 60_000);
        results = await p.evaluate<PageResult[]>(`[...document.querySelectorAll('#results .result')].map((e) => ({
          file: e.dataset.file, label: e.dataset.label ?? null, error: e.dataset.error ?? null, set: e.dataset.set ? JSON.parse(e.dataset.set) : null,
          probabilities: e.dataset.probabilities ? JSON.parse(e.dataset.probabilities) : [] }))`);
        if (also) await also(p);
      },
    });
    return { results, page, served: [...server.requests], url: server.url };
  } finally {
    await server.close();
  }
}

/** The page loaded cleanly: no console problem, no exception, nothing requested outside the server. */
function assertClean(page: PageInspection, url: string): void {
  assert.deepEqual(page.exceptions, []);
  assert.deepEqual(page.problems, [], `console/log problems:\n${page.messages.join('\n')}`);
  const blob = `blob:${url.replace(/\/$/, '')}/`; // the thumbnails: object URLs of the picked files
  for (const u of page.requests) assert.ok(u.startsWith(url) || u.startsWith(blob), `request outside the page's server: ${u.slice(0, 100)}`);
}

async function predictJson(dir: string, model: string, files: string[], extra: string[] = []): Promise<Record<string, any>[]> {
  const r = await cliIn(dir)(['predict', model, ...files, '--json', ...extra]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out);
}

/** A seeded random resnet18 (32 px) like tinyModelFile's, with the given metadata. */
function seededModel(file: string, o: { outputs: number; activation: 'sigmoid' | 'softmax' }, metadata: Partial<ModelMetadata>): string {
  manualSeed(1);
  const m = new ImageClassifier({ arch: 'resnet18', ...o });
  try {
    saveModelFile(file, m, { imageSize: 32, ...metadata });
  } finally {
    m.dispose();
  }
  return file;
}

/**
 * A threshold in the middle of the widest gap between the scores of the middle images (not below the lowest
 * two or above the highest two), so that decisions differ between images (a page that always said one class
 * must fail) and no image sits within the tolerance of the threshold.
 */
function splitThreshold(scores: number[]): number {
  const sorted = [...scores].sort((a, b) => a - b);
  const gaps = [1, 2, 3].map((i) => ({ lo: sorted[i - 1]!, hi: sorted[i]! })).sort((a, b) => (b.hi - b.lo) - (a.hi - a.lo));
  assert.ok(gaps[0]!.hi - gaps[0]!.lo > 0.02, `the images score too alike for a decision test: ${sorted}`);
  return Number(((gaps[0]!.lo + gaps[0]!.hi) / 2).toFixed(6));
}

/** What the page showed for each of predict's rows, matched by file name. */
function pairs(expected: Record<string, any>[], results: PageResult[]): [Record<string, any>, PageResult][] {
  assert.equal(results.length, expected.length);
  return expected.map((e) => {
    const got = results.find((r) => r.file === path.basename(e.path));
    assert.ok(got, `no result for ${e.path}`);
    assert.equal(got.error, null, `${got.file}: ${got.error}`);
    return [e, got];
  });
}

test('the binary page gives tlearn predict\'s decisions on 5 images (probabilities within 0.02), with no outside request', async () => {
  requireChromium();
  const dir = tempDir();
  const files = await variedImages(dir);
  const meta = { classes: ['cat', 'dog'], positiveClass: 'dog' };
  // The decisions must differ between images (a page that always said one class must fail) and no image may
  // sit within the tolerance of the threshold: the threshold goes in the middle of the widest gap between
  // the probabilities of the middle images.
  const scores = (await predictJson(dir, seededModel(path.join(dir, 'probe.safetensors'), { outputs: 1, activation: 'sigmoid' }, meta), files))
    .map((e) => e.probability as number);
  const threshold = splitThreshold(scores);
  const model = seededModel(path.join(dir, 'model.safetensors'), { outputs: 1, activation: 'sigmoid' }, { ...meta, threshold });
  const expected = await predictJson(dir, model, files);
  assert.ok(new Set(expected.map((e) => e.label)).size === 2, 'both classes predicted');

  const { results, page, served, url } = await runPage(dir, model, files, (p) => checkPixels(p, files, 32, 'squash'));
  assertClean(page, url);
  assert.deepEqual(served.filter((p) => p.startsWith('/ort/')).sort(), ['/ort/ort-wasm-simd-threaded.mjs', '/ort/ort-wasm-simd-threaded.wasm', '/ort/ort.wasm.min.mjs']);
  for (const [e, got] of pairs(expected, results)) {
    assert.ok(Math.abs(got.probabilities[0]! - e.probability) <= 0.02, `${got.file}: page ${got.probabilities[0]} vs predict ${e.probability}`);
    assert.equal(got.label, e.label, got.file);
  }
});

test('the multi-class page (crop resize) gives tlearn predict\'s class, probabilities within 0.02 and conformal sets', async () => {
  requireChromium();
  const dir = tempDir();
  const files = await variedImages(dir);
  const meta: Partial<ModelMetadata> = { task: 'multiclass', classes: ['boot', 'sandal', 'sneaker'], positiveClass: null, resize: 'crop' };
  const plainModel = seededModel(path.join(dir, 'plain.safetensors'), { outputs: 3, activation: 'softmax' }, meta);
  // The same weights with conformal sets (class-conditional: one q̂ per class) whose cut (1 − q̂) lies in a wide gap
  // between the images' probabilities, so that sets differ between images and no probability sits within the tolerance of the cut.
  const probs = (await predictJson(dir, plainModel, files)).flatMap((e) => Object.values(e.probabilities) as number[]).sort((x, y) => x - y);
  const gap = probs.slice(1).map((hi, i) => ({ lo: probs[i]!, hi })).sort((x, y) => (y.hi - y.lo) - (x.hi - x.lo))[0]!;
  assert.ok(gap.hi - gap.lo > 0.04, `the probabilities are too close for a set test: ${probs}`);
  const cut = Number(((gap.lo + gap.hi) / 2).toFixed(6));
  const model = seededModel(path.join(dir, 'model.safetensors'), { outputs: 3, activation: 'softmax' }, { ...meta, conformal: { alpha: 0.1, qhat: [1 - cut, 1 - cut, 1 - cut], n: 100 } });
  const expected = await predictJson(dir, model, files);
  assert.ok(new Set(expected.map((e) => (e.set as string[]).length)).size > 1, `sets of one size only: ${expected.map((e) => e.set)}`);
  const { results, page, url } = await runPage(dir, model, files, async (p) => { await checkPixels(p, files, 32, 'crop'); await checkPixels(p, files, 224, 'crop'); });
  assertClean(page, url);
  for (const [e, got] of pairs(expected, results)) {
    const want = ['boot', 'sandal', 'sneaker'].map((c) => e.probabilities[c] as number);
    assert.equal(got.probabilities.length, 3);
    for (const [i, p] of want.entries()) assert.ok(Math.abs(got.probabilities[i]! - p) <= 0.02, `${got.file}: page ${got.probabilities} vs predict ${want}`);
    assert.equal(got.label, e.label, got.file);
    assert.deepEqual(got.set, e.set, `${got.file}: the page's conformal set`);
  }
});

for (const mode of TTA_MODES) {
  test(`a page exported with --tta ${mode} gives predict --tta ${mode}'s probabilities within 0.02, nearer them than the plain ones`, async () => {
    requireChromium();
    const dir = tempDir();
    const files = await variedImages(dir);
    const classes = ['boot', 'sandal', 'sneaker'];
    const model = seededModel(path.join(dir, 'model.safetensors'), { outputs: 3, activation: 'softmax' },
      { task: 'multiclass', classes, positiveClass: null, resize: 'crop' });
    const expected = await predictJson(dir, model, files, ['--tta', mode]);
    const plain = new Map((await predictJson(dir, model, files)).map((e) => [path.basename(e.path), classes.map((c) => e.probabilities[c] as number)]));
    let summary = '';
    const { results, page, url } = await runPage(dir, model, files, async (p) => {
      summary = await p.evaluate<string>(`document.getElementById('summary').textContent`);
    }, ['--tta', mode]);
    assertClean(page, url);
    assert.match(summary, mode === 'flip' ? /test-time augmentation: the mean of each image and its mirror/ : /test-time augmentation: the mean of each image's 8 symmetries/);
    let telling = 0; // images where the views move a probability by more than the decoders' differences
    for (const [e, got] of pairs(expected, results)) {
      const want = classes.map((c) => e.probabilities[c] as number), without = plain.get(got.file)!;
      for (const [i, p] of want.entries()) assert.ok(Math.abs(got.probabilities[i]! - p) <= 0.02, `${got.file}: page ${got.probabilities} vs predict --tta ${mode} ${want}`);
      assert.equal(got.label, e.label, got.file);
      const i = want.reduce((best, p, k) => (Math.abs(p - without[k]!) > Math.abs(want[best]! - without[best]!) ? k : best), 0);
      if (Math.abs(want[i]! - without[i]!) > 0.025) {
        telling++;
        assert.ok(Math.abs(got.probabilities[i]! - want[i]!) < Math.abs(got.probabilities[i]! - without[i]!), `${got.file}: the page's ${got.probabilities[i]} is nearer the plain ${without[i]} than TTA's ${want[i]}`);
      }
    }
    assert.ok(telling > 0, 'no image where TTA and the plain forward pass differ enough to tell them apart');
  });
}

test('the multi-label page gives tlearn predict\'s labels at the per-label thresholds, probabilities within 0.02', async () => {
  requireChromium();
  const dir = tempDir();
  const files = await variedImages(dir);
  const classes = ['red', 'striped', 'round'];
  const meta = { task: 'multilabel' as const, classes, positiveClass: null };
  const probe = await predictJson(dir, seededModel(path.join(dir, 'probe.safetensors'), { outputs: 3, activation: 'sigmoid' }, meta), files);
  const thresholds = classes.map((c) => splitThreshold(probe.map((e) => e.probabilities[c] as number)));
  const model = seededModel(path.join(dir, 'model.safetensors'), { outputs: 3, activation: 'sigmoid' }, { ...meta, thresholds });
  const expected = await predictJson(dir, model, files);
  const { results, page, url } = await runPage(dir, model, files);
  assertClean(page, url);
  for (const [e, got] of pairs(expected, results)) {
    const want = classes.map((c) => e.probabilities[c] as number);
    for (const [i, p] of want.entries()) assert.ok(Math.abs(got.probabilities[i]! - p) <= 0.02, `${got.file}: page ${got.probabilities} vs predict ${want}`);
    assert.equal(got.label, e.labels.join(', '), got.file);
  }
  assert.ok(new Set(expected.map((e) => e.labels.join())).size > 1, 'the label sets differ between images');
});

/** A 12-megapixel photo-like JPEG (4000×3000 stored, EXIF orientation 6: upright it is 3000×4000). */
async function bigRotatedJpeg(file: string): Promise<string> {
  const [w, h] = [4000, 3000];
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = (y * w + x) * 3;
      px[k] = (x * 255) / w; px[k + 1] = 128 + 100 * Math.sin(x / 37 + y / 53); px[k + 2] = x < w / 2 ? (y * 255) / h : 40;
    }
  }
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toFile(file);
  return file;
}

test('a 12-megapixel EXIF-rotated JPEG: the page\'s pixels are tlearn\'s within the bounds and its class is predict\'s', async () => {
  requireChromium();
  const dir = tempDir();
  const files = [await bigRotatedJpeg(path.join(dir, 'big-rotated.jpg'))];
  const model = seededModel(path.join(dir, 'model.safetensors'), { outputs: 3, activation: 'softmax' },
    { task: 'multiclass', classes: ['boot', 'sandal', 'sneaker'], positiveClass: null, resize: 'crop' });
  const expected = await predictJson(dir, model, files);
  // The JPEG decoders differ more on this photo at 32 px (measured: mean 0.78, max 8, with the JS port of Pillow's
  // filter too; 0.51 and 2 at 224 px). It also checks that resize.onnx's float32 copy of the image fits.
  const { results, page, url } = await runPage(dir, model, files, async (p) => { await checkPixels(p, files, 32, 'crop', 0.85); await checkPixels(p, files, 224, 'crop', 0.85); });
  assertClean(page, url);
  for (const [e, got] of pairs(expected, results)) {
    const want = ['boot', 'sandal', 'sneaker'].map((c) => e.probabilities[c] as number);
    for (const [i, p] of want.entries()) assert.ok(Math.abs(got.probabilities[i]! - p) <= 0.02, `${got.file}: page ${got.probabilities} vs predict ${want}`);
    assert.equal(got.label, e.label, got.file);
  }
});

test('the checks see an outside request and a console error of a page served over http (negative control)', async () => {
  requireChromium();
  const dir = tempDir();
  // Port 9 is on Chromium's unsafe-port list: the request is refused locally, no network is touched.
  fs.writeFileSync(path.join(dir, 'index.html'), '<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad</title></head><body>'
    + '<img src="http://127.0.0.1:9/x.png" alt=""><script>console.error("boom")</script></body></html>');
  const server = await serveFolder(dir);
  try {
    const page = await inspectPage(server.url, { width: 400, height: 300 });
    assert.throws(() => assertClean(page, server.url), /console\.error: boom/);
    assert.throws(() => assertClean({ ...page, problems: [] }, server.url), /request outside the page's server: http:\/\/127\.0\.0\.1:9\/x\.png/);
  } finally {
    await server.close();
  }
});
