#!/usr/bin/env node
// Generates demo-data/ (the dataset `tlearn demo` trains on) from Debian's `dataset-fashion-mnist` package
// (Fashion-MNIST, MIT licence, (c) 2017 Zalando SE). Binary task: Sneaker (label 7) vs Ankle boot (label 9).
//
//   node scripts/make-demo-data.mjs                     # apt-get download + dpkg-deb -x into a temp dir
//   node scripts/make-demo-data.mjs --source DIR|FILE   # an extracted package tree, a folder holding the
//                                                       # four *-ubyte.gz files, or the .deb itself
//   options: --out demo-data  --train 200  --val 50  --test 100   (images per class)
//   --task multiclass: demo-data-multiclass/ instead, 4 classes (Trouser 1, Sneaker 7, Bag 8, Ankle boot 9),
//                      by default --train 150 --val 40 --test 75
//
// Deterministic: train = the first `train` images of each class in train-images, val = the next `val` ones,
// test = the first `test` images of each class in t10k-images. The same package gives byte-identical PNGs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';

// Per task: the classes, where they go and how many images per class by default. The multi-class set has its
// own folder: next to demo-data/'s split folders, another folder of images would be a stray class folder.
const TASKS = {
  binary: {
    classes: [{ label: 7, dir: 'sneaker' }, { label: 9, dir: 'ankle_boot' }],
    out: 'demo-data', train: 200, val: 50, test: 100,
  },
  // Trousers and bags are easy; sneaker vs ankle boot is the confusable pair the confusion matrix shows.
  multiclass: {
    classes: [{ label: 1, dir: 'trouser' }, { label: 7, dir: 'sneaker' }, { label: 8, dir: 'bag' }, { label: 9, dir: 'ankle_boot' }],
    out: 'demo-data-multiclass', train: 150, val: 40, test: 75,
  },
};
const IDX_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

function parseArgs(argv) {
  const opts = { task: 'binary', out: undefined, train: undefined, val: undefined, test: undefined, source: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--out') opts.out = value();
    else if (a === '--source') opts.source = value();
    else if (a === '--task') {
      opts.task = value();
      if (!Object.hasOwn(TASKS, opts.task)) throw new Error(`--task: expected ${Object.keys(TASKS).join(' or ')}, got "${opts.task}"`);
    } else if (a === '--train' || a === '--val' || a === '--test') {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 6000) throw new Error(`${a}: expected an integer 0..6000, got "${v}"`);
      opts[a.slice(2)] = n;
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 13).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument "${a}"`);
  }
  const preset = TASKS[opts.task];
  for (const k of ['out', 'train', 'val', 'test']) opts[k] ??= preset[k];
  opts.classes = preset.classes;
  if (opts.train + opts.val > 6000) throw new Error('--train + --val must not exceed 6000 (images per class in train-images)');
  if (opts.test > 1000) throw new Error('--test must not exceed 1000 (images per class in t10k-images)');
  return opts;
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} could not be run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
}

/** Finds the folder holding the four IDX files, downloading/extracting the Debian package as needed. */
function locateIdxDir(source, tmp) {
  let deb = source && fs.statSync(source).isFile() ? source : undefined;
  if (source && !deb) {
    for (const cand of [source, path.join(source, 'usr/share/datasets/fashion-mnist')]) {
      if (IDX_FILES.every((f) => fs.existsSync(path.join(cand, f)))) return cand;
    }
    throw new Error(`${source}: none of it holds ${IDX_FILES.join(', ')}`);
  }
  if (!deb) {
    console.error('downloading dataset-fashion-mnist with apt-get download ...');
    run('apt-get', ['download', 'dataset-fashion-mnist'], tmp);
    const found = fs.readdirSync(tmp).filter((f) => /^dataset-fashion-mnist_.*\.deb$/.test(f));
    if (found.length !== 1) throw new Error(`apt-get download left ${found.length} matching .deb files in ${tmp}`);
    deb = path.join(tmp, found[0]);
  }
  const outDir = path.join(tmp, 'extracted');
  run('dpkg-deb', ['-x', deb, outDir]);
  const dir = path.join(outDir, 'usr/share/datasets/fashion-mnist');
  for (const f of IDX_FILES) if (!fs.existsSync(path.join(dir, f))) throw new Error(`${deb}: the package has no ${f}`);
  return dir;
}

/** Reads an IDX file (big-endian header; magic 0x00000801 labels / 0x00000803 images), checking sizes first. */
function readIdx(file, kind) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const magic = kind === 'images' ? 0x803 : 0x801;
  const headerBytes = kind === 'images' ? 16 : 8;
  if (buf.length < headerBytes) throw new Error(`${file}: ${buf.length} bytes, shorter than the IDX header`);
  if (buf.readUInt32BE(0) !== magic) throw new Error(`${file}: magic 0x${buf.readUInt32BE(0).toString(16)}, expected 0x${magic.toString(16)}`);
  const n = buf.readUInt32BE(4);
  const rows = kind === 'images' ? buf.readUInt32BE(8) : 1;
  const cols = kind === 'images' ? buf.readUInt32BE(12) : 1;
  if (kind === 'images' && (rows !== 28 || cols !== 28)) throw new Error(`${file}: images are ${rows}x${cols}, expected 28x28`);
  const expected = headerBytes + n * rows * cols;
  if (buf.length !== expected) throw new Error(`${file}: ${buf.length} bytes, the header promises ${expected}`);
  return { n, data: buf.subarray(headerBytes) };
}

function pickIndices(labels, label, start, count, file) {
  const out = [];
  let seen = 0;
  for (let i = 0; i < labels.n && out.length < count; i++) {
    if (labels.data[i] !== label) continue;
    if (seen++ >= start) out.push(i);
  }
  if (out.length < count) throw new Error(`${file}: only ${out.length} images of label ${label} after skipping ${start}, wanted ${count}`);
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-demo-'));
  try {
    const idxDir = locateIdxDir(opts.source, tmp);
    const sets = {};
    for (const set of ['train', 't10k']) {
      const images = readIdx(path.join(idxDir, `${set}-images-idx3-ubyte.gz`), 'images');
      const labels = readIdx(path.join(idxDir, `${set}-labels-idx1-ubyte.gz`), 'labels');
      if (images.n !== labels.n) throw new Error(`${set}: ${images.n} images but ${labels.n} labels`);
      sets[set] = { images, labels };
    }
    const plan = [
      { split: 'train', set: 'train', start: 0, count: opts.train },
      { split: 'val', set: 'train', start: opts.train, count: opts.val },
      { split: 'test', set: 't10k', start: 0, count: opts.test },
    ];
    for (const split of ['train', 'val', 'test']) fs.rmSync(path.join(opts.out, split), { recursive: true, force: true });
    const sourceRows = ['path,label,source_file,source_index'];
    let bytes = 0;
    let files = 0;
    for (const p of plan) {
      const { images, labels } = sets[p.set];
      for (const cls of opts.classes) {
        const dir = path.join(opts.out, p.split, cls.dir);
        fs.mkdirSync(dir, { recursive: true });
        const idx = pickIndices(labels, cls.label, p.start, p.count, `${p.set}-labels-idx1-ubyte.gz`);
        for (let k = 0; k < idx.length; k++) {
          const pixels = images.data.subarray(idx[k] * 784, idx[k] * 784 + 784);
          // One-channel PNG (grayscale, as in the source); the data pipeline expands gray to RGB.
          const png = await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } })
            .toColourspace('b-w')
            .png({ compressionLevel: 9, adaptiveFiltering: true })
            .toBuffer();
          const name = `${String(k).padStart(4, '0')}.png`;
          fs.writeFileSync(path.join(dir, name), png);
          sourceRows.push(`${p.split}/${cls.dir}/${name},${cls.dir},${p.set}-images-idx3-ubyte.gz,${idx[k]}`);
          bytes += png.length;
          files++;
        }
      }
    }
    fs.writeFileSync(path.join(opts.out, 'SOURCES.csv'), sourceRows.join('\n') + '\n');
    console.error(`wrote ${files} PNGs (${(bytes / 1024).toFixed(1)} KiB) under ${opts.out}/{train,val,test}/{${opts.classes.map((c) => c.dir).join(',')}}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`make-demo-data: ${err.message}`);
  process.exit(1);
});
