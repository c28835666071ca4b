// The web page folder of `tlearn export --format web` (src/export/web): what it holds, that an existing folder
// is only replaced on request (and only when it is an earlier page), that a failure leaves nothing behind, and
// that a missing onnxruntime-web is named with how to install it. The page in a browser: export-web-chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ORT_WEB_FILES, ortWebDir, TTA_FILES, WEB_PAGE_KIND, writeWebPage } from '../src/export/web/index.js';
import { seedMetadata } from '../src/models/metadata.js';
import { tempDir } from './helpers/temp.js';
import { onnxRuntime } from '../src/onnx/index.js';
import { resampleHeight, resampleWidth } from '../src/data/resample.js';
import { evalGeometry } from '../src/data/decode.js';

const BYTES = new Uint8Array([8, 8, 18, 6, 116, 108, 101, 97, 114, 110]); // any bytes: the writer only copies them
const META = { ...seedMetadata('resnet18'), imageSize: 32, classes: ['cat', 'dog'], positiveClass: 'dog', threshold: 0.4 };

test('writeWebPage writes the page, model.json, model.onnx and only the onnxruntime-web files the page loads', () => {
  const parent = tempDir();
  const dir = path.join(parent, 'nested', 'page');
  const written = writeWebPage(dir, { modelBytes: BYTES, metadata: META });
  assert.equal(written.dir, dir);
  const all = fs.readdirSync(dir, { recursive: true }).map(String).sort();
  assert.deepEqual(all, ['app.js', 'favicon.svg', 'index.html', 'model.json', 'model.onnx', 'ort', ...ORT_WEB_FILES.map((f) => `ort/${f}`), 'resize.js', 'resize.onnx', 'style.css'].sort());
  assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx'))), BYTES);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  assert.equal(json.kind, WEB_PAGE_KIND);
  assert.equal(json.input, 'uint8-nhwc');
  assert.equal(json.tta, null, 'no test-time augmentation unless asked, and no TTA graphs');
  assert.deepEqual([json.metadata.task, json.metadata.classes, json.metadata.imageSize, json.metadata.resize, json.metadata.threshold], ['binary', ['cat', 'dog'], 32, 'squash', 0.4]);
  for (const f of ORT_WEB_FILES) assert.ok(fs.readFileSync(path.join(dir, 'ort', f)).equals(fs.readFileSync(path.join(ortWebDir(), f))), f);
  assert.equal(written.bytes, written.files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0));
  // No request leaves the folder: index.html names no http(s) resource and app.js imports only ./ paths.
  const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /(src|href)="https?:/);
  assert.match(html, /Content-Security-Policy" content="default-src 'self'/);
  const app = fs.readFileSync(path.join(dir, 'app.js'), 'utf8');
  assert.deepEqual([...app.matchAll(/from '([^']+)'/g)].map((m) => m[1]), ['./ort/ort.wasm.min.mjs', './resize.js']);
  assert.doesNotMatch(fs.readFileSync(path.join(dir, 'resize.js'), 'utf8'), /\bimport\b/);
  assert.deepEqual(fs.readdirSync(path.join(parent, 'nested')), ['page'], 'no staging folder left');
});

test('with tta flip the page holds the two TTA graphs, sized for the image and the head, and model.json says so', async () => {
  const dir = path.join(tempDir(), 'page');
  const written = writeWebPage(dir, { modelBytes: BYTES, metadata: { ...META, task: 'multiclass', classes: ['a', 'b', 'c'], positiveClass: null }, tta: 'flip' });
  assert.ok(written.files.includes(TTA_FILES.views) && written.files.includes(TTA_FILES.mean), written.files.join());
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).tta, 'flip');
  const ort = await onnxRuntime();
  const views = await ort.InferenceSession.create(fs.readFileSync(path.join(dir, TTA_FILES.views)));
  const pixels = Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => i % 251);
  const out = (await views.run({ [views.inputNames[0]!]: new ort.Tensor('uint8', pixels, [1, 32, 32, 3]) }))[views.outputNames[0]!]!;
  assert.deepEqual(out.dims, [2, 32, 32, 3]);
  const got = out.data as Uint8Array;
  // The second view is the first mirrored: row y, column x is the image's column 31 - x.
  for (const [y, x] of [[0, 0], [5, 7], [31, 31]] as const) {
    for (let c = 0; c < 3; c++) assert.equal(got[32 * 32 * 3 + (y * 32 + x) * 3 + c], pixels[(y * 32 + 31 - x) * 3 + c]);
  }
  const mean = await ort.InferenceSession.create(fs.readFileSync(path.join(dir, TTA_FILES.mean)));
  const rows = new ort.Tensor('float32', Float32Array.from([0.2, 0.3, 0.5, 0.4, 0.5, 0.1]), [2, 3]);
  const m = (await mean.run({ [mean.inputNames[0]!]: rows }))[mean.outputNames[0]!]!;
  assert.deepEqual(m.dims, [1, 3]);
  assert.deepEqual(Array.from(m.data as Float32Array).map((v) => Number(v.toFixed(6))), [0.3, 0.4, 0.3]);
  await views.release();
  await mean.release();
});

test('with tta dihedral the page\'s graphs make the 8 views of an image as one batch and average 8 rows', async () => {
  const dir = path.join(tempDir(), 'page');
  writeWebPage(dir, { modelBytes: BYTES, metadata: { ...META, task: 'multiclass', classes: ['a', 'b', 'c'], positiveClass: null }, tta: 'dihedral' });
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).tta, 'dihedral');
  const ort = await onnxRuntime();
  const [views, mean] = await Promise.all([TTA_FILES.views, TTA_FILES.mean].map((f) => ort.InferenceSession.create(fs.readFileSync(path.join(dir, f)))));
  const pixels = Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => i % 251);
  const out = (await views!.run({ [views!.inputNames[0]!]: new ort.Tensor('uint8', pixels, [1, 32, 32, 3]) }))[views!.outputNames[0]!]!;
  assert.deepEqual(out.dims, [8, 32, 32, 3]);
  const rows = Float32Array.from({ length: 24 }, (_, i) => (i % 3) + Math.floor(i / 3));
  const m = (await mean!.run({ [mean!.inputNames[0]!]: new ort.Tensor('float32', rows, [8, 3]) }))[mean!.outputNames[0]!]!;
  assert.deepEqual(m.dims, [1, 3]);
  assert.deepEqual(Array.from(m.data as Float32Array), [3.5, 4.5, 5.5]);
  await views!.release();
  await mean!.release();
});

test('an existing non-empty folder is refused without force; force replaces an earlier page but never another folder', () => {
  const parent = tempDir();
  const dir = path.join(parent, 'page');
  writeWebPage(dir, { modelBytes: BYTES, metadata: META });
  assert.throws(() => writeWebPage(dir, { modelBytes: new Uint8Array([1]), metadata: META }), /page already exists and is not empty;.*--force/);
  assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx'))), BYTES, 'kept');
  writeWebPage(dir, { modelBytes: new Uint8Array([1, 2]), metadata: { ...META, threshold: 0.7 }, force: true });
  assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx'))), new Uint8Array([1, 2]));
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).metadata.threshold, 0.7);
  assert.deepEqual(fs.readdirSync(parent), ['page'], 'the old page and the staging folder are gone');

  const mine = path.join(parent, 'mine');
  fs.mkdirSync(mine);
  fs.writeFileSync(path.join(mine, 'thesis.tex'), 'keep me');
  assert.throws(() => writeWebPage(mine, { modelBytes: BYTES, metadata: META, force: true }), /is not a page written by tlearn export --format web/);
  assert.deepEqual(fs.readdirSync(mine), ['thesis.tex']);
  const file = path.join(parent, 'a-file');
  fs.writeFileSync(file, 'x');
  assert.throws(() => writeWebPage(file, { modelBytes: BYTES, metadata: META, force: true }), /exists and is not a folder/);
  const empty = path.join(parent, 'empty');
  fs.mkdirSync(empty);
  writeWebPage(empty, { modelBytes: BYTES, metadata: META });
  assert.ok(fs.existsSync(path.join(empty, 'index.html')), 'an empty folder is taken as it is');
});

test('a failure while writing leaves no folder and no staging folder; an earlier page stays whole', () => {
  const parent = tempDir();
  const brokenOrt = tempDir(); // no onnxruntime-web files in it: the copy fails after the page files are written
  assert.throws(() => writeWebPage(path.join(parent, 'made', 'page'), { modelBytes: BYTES, metadata: META, ortDir: brokenOrt }), /ENOENT/);
  assert.deepEqual(fs.readdirSync(parent), [], 'neither the page, its staging folder nor the parent made for it');
  const dir = path.join(parent, 'page');
  writeWebPage(dir, { modelBytes: BYTES, metadata: META });
  assert.throws(() => writeWebPage(dir, { modelBytes: new Uint8Array([9]), metadata: META, force: true, ortDir: brokenOrt }), /ENOENT/);
  assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx'))), BYTES);
  assert.deepEqual(fs.readdirSync(parent), ['page']);
});

test('without onnxruntime-web the message names it and how to install it', () => {
  const elsewhere = tempDir(); // no node_modules above it
  assert.throws(() => ortWebDir(pathToFileURL(path.join(elsewhere, 'x.js')).href), /needs onnxruntime-web, which is not installed: .*npm install onnxruntime-web/);
});

/**
 * The page's resize (resize.onnx with the weights of web-page/resize.js) run in onnxruntime-node against
 * tlearn's Pillow-exact resample (width, then height, then the crop window): float32 sums may land a value on
 * the other side of a .5, so single pixels may differ by 1 grey level, never more, and almost all are equal.
 */
test('resize.onnx with resize.js\'s weights gives Pillow\'s bilinear resize and crop within 1 grey level', async () => {
  const dir = tempDir();
  writeWebPage(path.join(dir, 'page'), { modelBytes: BYTES, metadata: META });
  const { resizeInputs } = await import(pathToFileURL(path.join(dir, 'page', 'resize.js')).href);
  const ort = await onnxRuntime();
  const session = await ort.InferenceSession.create(fs.readFileSync(path.join(dir, 'page', 'resize.onnx')));
  let seed = 3;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  // Upscales, downscales (by 1.3 to 9), one axis kept, both resize modes, odd sizes.
  const cases: [number, number, number, 'squash' | 'crop'][] = [[20, 14, 32, 'squash'], [90, 40, 32, 'crop'], [300, 217, 32, 'crop'],
    [37, 80, 224, 'crop'], [640, 480, 224, 'crop'], [500, 131, 64, 'squash'], [32, 32, 32, 'squash'], [1, 9, 32, 'crop']];
  let differing = 0, total = 0;
  for (const [width, height, size, mode] of cases) {
    const rgb = new Uint8Array(width * height * 3), rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      for (let c = 0; c < 3; c++) rgba[4 * i + c] = rgb[3 * i + c] = Math.floor(rand() * 256);
      rgba[4 * i + 3] = Math.floor(rand() * 256); // the graph must drop it
    }
    const g = evalGeometry(width, height, size, mode);
    const full = await resampleHeight(await resampleWidth({ data: rgb, width, height }, g.resizeWidth), g.resizeHeight);
    const inputs = resizeInputs(width, height, g, size);
    const out = await session.run({
      image: new ort.Tensor('uint8', rgba, [height, width, 4]),
      starts: new ort.Tensor('int64', BigInt64Array.from(inputs.starts.map(BigInt)), [3]),
      ends: new ort.Tensor('int64', BigInt64Array.from(inputs.ends.map(BigInt)), [3]),
      width_weights: new ort.Tensor('float32', inputs.widthWeights.data, inputs.widthWeights.dims),
      height_weights: new ort.Tensor('float32', inputs.heightWeights.data, inputs.heightWeights.dims),
    });
    assert.deepEqual(out.pixels!.dims, [1, size, size, 3]);
    const got = out.pixels!.data as Uint8Array;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size * 3; x++) {
        const want = full.data[(g.top + y) * g.resizeWidth * 3 + g.left * 3 + x]!, d = Math.abs(got[y * size * 3 + x]! - want);
        assert.ok(d <= 1, `${width}×${height} → ${size} (${mode}) at row ${y}, byte ${x}: ${got[y * size * 3 + x]} vs Pillow's ${want}`);
        differing += d; total++;
      }
    }
  }
  assert.ok(differing / total < 0.01, `${differing} of ${total} bytes off by 1`);
});
