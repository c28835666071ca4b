// The embedded demo dataset and the script that makes it from Fashion-MNIST IDX files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { tempDir } from './helpers/temp.js';

// Tests run from test/ (tsx) or dist/test/ (compiled): find the repository root either way.
const here = path.dirname(fileURLToPath(import.meta.url));
const root = here.split(path.sep).slice(-2).join('/') === 'dist/test' ? path.resolve(here, '../..') : path.resolve(here, '..');
const demo = path.join(root, 'demo-data');
const script = path.join(root, 'scripts/make-demo-data.mjs');

/**
 * Checks one embedded demo folder: the class folders of each split hold exactly NNNN.png for 0..n-1, all listed
 * in SOURCES.csv, 28x28 one-channel PNGs (first and last of each folder decoded); train/val from train-images,
 * test from t10k, no source image twice; the MIT notice and the regenerating command. Returns the PNG bytes.
 */
async function checkDemoFolder(dir: string, classes: string[], expected: Record<string, number>, command: RegExp): Promise<number> {
  let bytes = 0;
  const sources = fs.readFileSync(path.join(dir, 'SOURCES.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(sources[0], 'path,label,source_file,source_index');
  const listed = new Set(sources.slice(1).map((l) => l.split(',')[0]));
  for (const [split, n] of Object.entries(expected)) {
    assert.deepEqual(fs.readdirSync(path.join(dir, split)).sort(), [...classes].sort());
    for (const cls of classes) {
      const files = fs.readdirSync(path.join(dir, split, cls)).sort();
      assert.equal(files.length, n, `${split}/${cls}`);
      assert.deepEqual(files, Array.from({ length: n }, (_, i) => `${String(i).padStart(4, '0')}.png`));
      for (const f of files) {
        const file = path.join(dir, split, cls, f);
        bytes += fs.statSync(file).size;
        assert.ok(listed.has(`${split}/${cls}/${f}`), `SOURCES.csv lists ${split}/${cls}/${f}`);
      }
      // Decoding every file would be slow on a shared machine: check the first and the last of each folder.
      for (const f of [files[0], files[files.length - 1]]) {
        const meta = await sharp(path.join(dir, split, cls, f)).metadata();
        assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 28, 28, 1], `${split}/${cls}/${f}`);
      }
    }
  }
  assert.equal(listed.size, classes.length * Object.values(expected).reduce((a, b) => a + b, 0));
  // Train/val come from train-images, test from t10k, and no source image is used twice.
  const keys = sources.slice(1).map((l) => l.split(',').slice(2).join(':'));
  assert.equal(new Set(keys).size, keys.length);
  for (const l of sources.slice(1)) assert.equal(l.split(',')[2], l.startsWith('test/') ? 't10k-images-idx3-ubyte.gz' : 'train-images-idx3-ubyte.gz');
  const licence = fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8');
  assert.match(licence, /Copyright © \[2017\] Zalando SE/);
  assert.match(licence, /Permission is hereby granted, free of charge/);
  assert.match(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'), command);
  return bytes;
}

/** Every file under a folder, in bytes. */
function folderBytes(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile()).reduce((sum, e) => sum + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
}

test('demo-data: layout, counts, 28x28 grayscale PNGs, licence, size', async () => {
  const bytes = await checkDemoFolder(demo, ['ankle_boot', 'sneaker'], { train: 200, val: 50, test: 100 }, /node scripts\/make-demo-data\.mjs/);
  assert.ok(bytes < 1024 * 1024, `demo PNGs take ${bytes} bytes`);
});

test('demo-data-multiclass: four classes, layout, counts, 28x28 grayscale PNGs, licence, at most 1 MB in all', async () => {
  const dir = path.join(root, 'demo-data-multiclass');
  await checkDemoFolder(dir, ['ankle_boot', 'bag', 'sneaker', 'trouser'], { train: 150, val: 40, test: 75 },
    /node scripts\/make-demo-data\.mjs --task multiclass/);
  // Issue #16 allows the demo data to grow by 1 MB: everything in the folder counts (PNGs, SOURCES.csv, notices).
  const bytes = folderBytes(dir);
  assert.ok(bytes <= 1_000_000, `demo-data-multiclass/ takes ${bytes} bytes`);
  // It cannot live inside demo-data/: the binary demo's loader would read it as a stray class folder.
  assert.deepEqual(fs.readdirSync(demo, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort(), ['test', 'train', 'val']);
});

function idx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return zlib.gzipSync(Buffer.concat([head, data]));
}

/** A fake Fashion-MNIST folder: image i is filled with the value (i * 7 + row) % 256 and has labels[i]. */
function fakeDataset(dir: string, set: 'train' | 't10k', labels: number[]): Uint8Array {
  const pixels = new Uint8Array(labels.length * 784);
  for (let i = 0; i < labels.length; i++) for (let p = 0; p < 784; p++) pixels[i * 784 + p] = (i * 7 + Math.floor(p / 28) * 3 + (p % 28)) % 256;
  fs.writeFileSync(path.join(dir, `${set}-images-idx3-ubyte.gz`), idx(0x803, [labels.length, 28, 28], pixels));
  fs.writeFileSync(path.join(dir, `${set}-labels-idx1-ubyte.gz`), idx(0x801, [labels.length], Uint8Array.from(labels)));
  return pixels;
}

test('make-demo-data.mjs: first N per class, exact pixels, size checks before use', async () => {
  const tmp = tempDir('tlearn-demo-');
  const src = path.join(tmp, 'src');
  fs.mkdirSync(src);
  const trainLabels = [7, 3, 9, 9, 7, 1, 7, 9, 7, 9];
  const trainPixels = fakeDataset(src, 'train', trainLabels);
  const testPixels = fakeDataset(src, 't10k', [9, 7, 0, 7, 9]);
  const out = path.join(tmp, 'out');
  const r = spawnSync(process.execPath, [script, '--source', src, '--out', out, '--train', '2', '--val', '1', '--test', '2'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // train = first 2 of each class, val = the 3rd, test = first 2 of each class in t10k.
  const expect: Record<string, [Uint8Array, number[]]> = {
    'train/sneaker': [trainPixels, [0, 4]], 'train/ankle_boot': [trainPixels, [2, 3]],
    'val/sneaker': [trainPixels, [6]], 'val/ankle_boot': [trainPixels, [7]],
    'test/sneaker': [testPixels, [1, 3]], 'test/ankle_boot': [testPixels, [0, 4]],
  };
  for (const [folder, [pixels, indices]] of Object.entries(expect)) {
    const files = fs.readdirSync(path.join(out, folder)).sort();
    assert.equal(files.length, indices.length, folder);
    for (let k = 0; k < files.length; k++) {
      const file = path.join(out, folder, files[k]);
      const meta = await sharp(file).metadata();
      assert.deepEqual([meta.width, meta.height, meta.channels], [28, 28, 1]);
      // sharp hands out gray as three equal sRGB channels: compare the first.
      const data = await sharp(file).extractChannel(0).raw().toBuffer();
      assert.deepEqual(Buffer.from(data), Buffer.from(pixels.subarray(indices[k] * 784, indices[k] * 784 + 784)), `${folder}/${files[k]}`);
    }
  }
  assert.match(fs.readFileSync(path.join(out, 'SOURCES.csv'), 'utf8'), /\ntest\/ankle_boot\/0001\.png,ankle_boot,t10k-images-idx3-ubyte\.gz,4\n/);

  // Not enough images of a class, a wrong magic number, a truncated file: clear errors, exit 1.
  const few = spawnSync(process.execPath, [script, '--source', src, '--out', out, '--train', '4', '--val', '1'], { encoding: 'utf8' });
  assert.equal(few.status, 1);
  assert.match(few.stderr, /only 0 images of label 7 after skipping 4, wanted 1/);
  fs.writeFileSync(path.join(src, 't10k-labels-idx1-ubyte.gz'), idx(0x803, [5], new Uint8Array(5)));
  const magic = spawnSync(process.execPath, [script, '--source', src, '--out', out], { encoding: 'utf8' });
  assert.equal(magic.status, 1);
  assert.match(magic.stderr, /t10k-labels-idx1-ubyte\.gz: magic 0x803, expected 0x801/);
  fs.writeFileSync(path.join(src, 't10k-labels-idx1-ubyte.gz'), idx(0x801, [500], new Uint8Array(5)));
  const short = spawnSync(process.execPath, [script, '--source', src, '--out', out], { encoding: 'utf8' });
  assert.equal(short.status, 1);
  assert.match(short.stderr, /t10k-labels-idx1-ubyte\.gz: 13 bytes, the header promises 508/);
  const badArg = spawnSync(process.execPath, [script, '--train', 'many'], { encoding: 'utf8' });
  assert.equal(badArg.status, 1);
  assert.match(badArg.stderr, /--train: expected an integer 0\.\.6000, got "many"/);
});

test('make-demo-data.mjs --task multiclass: four classes into demo-data-multiclass/, first N per class, exact pixels', async () => {
  const tmp = tempDir('tlearn-demo-');
  const src = path.join(tmp, 'src');
  fs.mkdirSync(src);
  // Labels 1 Trouser, 7 Sneaker, 8 Bag, 9 Ankle boot; 0 and 3 are other classes that must be skipped.
  const trainPixels = fakeDataset(src, 'train', [8, 1, 0, 9, 7, 1, 8, 3, 7, 9, 9, 8, 1, 7]);
  const testPixels = fakeDataset(src, 't10k', [7, 9, 3, 8, 1]);
  // No --out: the default folder, relative to the working directory.
  const r = spawnSync(process.execPath, [script, '--task', 'multiclass', '--source', src, '--train', '1', '--val', '2', '--test', '1'], { cwd: tmp, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = path.join(tmp, 'demo-data-multiclass');
  const expect: Record<string, [Uint8Array, number[]]> = {
    'train/trouser': [trainPixels, [1]], 'train/sneaker': [trainPixels, [4]], 'train/bag': [trainPixels, [0]], 'train/ankle_boot': [trainPixels, [3]],
    'val/trouser': [trainPixels, [5, 12]], 'val/sneaker': [trainPixels, [8, 13]], 'val/bag': [trainPixels, [6, 11]], 'val/ankle_boot': [trainPixels, [9, 10]],
    'test/trouser': [testPixels, [4]], 'test/sneaker': [testPixels, [0]], 'test/bag': [testPixels, [3]], 'test/ankle_boot': [testPixels, [1]],
  };
  for (const split of ['train', 'val', 'test']) assert.deepEqual(fs.readdirSync(path.join(out, split)).sort(), ['ankle_boot', 'bag', 'sneaker', 'trouser']);
  for (const [folder, [pixels, indices]] of Object.entries(expect)) {
    const files = fs.readdirSync(path.join(out, folder)).sort();
    assert.equal(files.length, indices.length, folder);
    for (let k = 0; k < files.length; k++) {
      const data = await sharp(path.join(out, folder, files[k]!)).extractChannel(0).raw().toBuffer();
      assert.deepEqual(Buffer.from(data), Buffer.from(pixels.subarray(indices[k]! * 784, indices[k]! * 784 + 784)), `${folder}/${files[k]}`);
    }
  }
  const sources = fs.readFileSync(path.join(out, 'SOURCES.csv'), 'utf8');
  assert.equal(sources.trimEnd().split('\n').length, 1 + 16);
  assert.match(sources, /\nval\/bag\/0001\.png,bag,train-images-idx3-ubyte\.gz,11\n/);
  assert.ok(!fs.existsSync(path.join(tmp, 'demo-data')), 'the binary demo folder is left alone');

  const badTask = spawnSync(process.execPath, [script, '--task', 'multilabel'], { cwd: tmp, encoding: 'utf8' });
  assert.equal(badTask.status, 1);
  assert.match(badTask.stderr, /--task: expected binary or multiclass, got "multilabel"/);
});
