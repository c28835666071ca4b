// `tlearn evaluate` on data without split folders must evaluate the split the model was trained with: the
// seed and fractions come from the checkpoint's metadata (or --seed / --val-fraction / --test-fraction), and
// the evaluated images are exactly the run's manifest.csv test split. Also: the CSV wording, and the count
// of images evaluated when some cannot be read.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { parseCsv } from '../src/data/index.js';
import { loadModelFile } from '../src/models/index.js';
import { cliIn } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

const T = { timeout: 600_000 };
const tmp = tempDir('tlearn-cli-evsplit-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cli = cliIn(tmp);

/** DIR/a/*.png and DIR/b/*.png (class folders, no split folders), n per class, small solid images. */
async function makeFlat(dir: string, n = 12): Promise<string> {
  for (const [cls, base] of [['a', 40], ['b', 170]] as const) {
    fs.mkdirSync(path.join(dir, cls), { recursive: true });
    for (let i = 0; i < n; i++) {
      const v = base + i * 5;
      await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: v, g: 255 - v, b: (v * 7) % 256 } } })
        .png().toFile(path.join(dir, cls, `${cls}${i}.png`));
    }
  }
  return dir;
}

const rowsOf = (file: string) => parseCsv(fs.readFileSync(file, 'utf8'), file).slice(1).map((r) => r.fields);

/** The run's split from manifest.csv (paths relative to the run folder), as paths relative to the data folder. */
function manifestSplit(run: string, split: string): string[] {
  return rowsOf(path.join(run, 'manifest.csv')).filter((f) => f[2] === split)
    .map((f) => path.relative(flat, path.resolve(run, f[0]!)).split(path.sep).join('/')).sort();
}

const evaluated = (dir: string) => rowsOf(path.join(dir, 'predictions.csv')).map((f) => f[0]!).sort();

const flat = await makeFlat(path.join(tmp, 'flat'));
const run = path.join(tmp, 'runs', 'seed7');
const TRAIN = ['--weights', 'none', '--arch', 'resnet18', '--image-size', '32', '--threads', '1', '--batch-size', '8',
  '--epochs1', '1', '--epochs2', '0', '--seed', '7', '--val-fraction', '0.25', '--test-fraction', '0.25'];

test('a run with a non-default seed and fractions: evaluate on the same flat folder evaluates its test split', T, async () => {
  const t = await cli(['train', flat, '--out', run, ...TRAIN]);
  assert.equal(t.code, 0, t.err);
  const model = path.join(run, 'best_model_final.safetensors');
  const { model: m, metadata } = loadModelFile(model);
  m.dispose();
  assert.equal(metadata.extra.seed, 7);
  assert.equal(metadata.extra.val_fraction, 0.25);
  assert.equal(metadata.extra.test_fraction, 0.25);

  const testSplit = manifestSplit(run, 'test');
  // With the defaults (seed 0, 0.15/0.15) the split would differ: the test below would not be meaningful otherwise.
  assert.equal(testSplit.length, 6);

  const ev = path.join(tmp, 'ev', 's7');
  const r = await cli(['evaluate', model, flat, '--out', ev]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(evaluated(ev), testSplit);
  assert.match(r.err, /seed 7.*val 0\.25.*test 0\.25/);
  assert.match(r.err, /from the checkpoint/);

  // --split val is the run's val split too.
  const evVal = path.join(tmp, 'ev', 's7val');
  assert.equal((await cli(['evaluate', model, flat, '--out', evVal, '--split', 'val'])).code, 0);
  assert.deepEqual(evaluated(evVal), manifestSplit(run, 'val'));
});

test('--seed / --val-fraction / --test-fraction override the checkpoint; bad values are usage errors', T, async () => {
  const model = path.join(run, 'best_model_final.safetensors');
  const ev = path.join(tmp, 'ev', 'override');
  const r = await cli(['evaluate', model, flat, '--out', ev, '--seed', '0', '--val-fraction', '0.15', '--test-fraction', '0.15']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /seed 0.*val 0\.15.*test 0\.15/);
  assert.match(r.err, /differ|not the split .* trained/i);
  // 12 per class, 0.15 -> 2 per class.
  assert.equal(evaluated(ev).length, 4);
  const bad = await cli(['evaluate', model, flat, '--out', ev, '--val-fraction', '0.6', '--test-fraction', '0.5']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /below 1/);
});

test('a checkpoint without split metadata: evaluate says the split cannot be guaranteed to match training', T, async () => {
  // A plain PyTorch-style file: the tlearn checkpoint's tensors re-saved without metadata.
  const { loadCheckpoint, saveCheckpoint } = await import('../src/io/index.js');
  const ck = loadCheckpoint(path.join(run, 'best_model_final.safetensors'));
  const foreign = path.join(tmp, 'foreign.pth');
  saveCheckpoint(foreign, ck.tensors, {}, { format: 'pth' });
  const ev = path.join(tmp, 'ev', 'foreign');
  const r = await cli(['evaluate', foreign, flat, '--out', ev, '--classes', 'a,b', '--image-size', '32']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /cannot be guaranteed/);
  assert.match(r.err, /--seed/);
});

test('an older checkpoint that stored only the seed: the fractions come from its run\'s config.json', T, async () => {
  const { loadCheckpoint, saveCheckpoint } = await import('../src/io/index.js');
  const ck = loadCheckpoint(path.join(run, 'best_model_final.safetensors'));
  const extra = { ...(ck.metadata.extra as Record<string, unknown>) };
  delete extra.val_fraction;
  delete extra.test_fraction;
  const old = path.join(tmp, 'oldrun');
  fs.mkdirSync(old);
  fs.copyFileSync(path.join(run, 'config.json'), path.join(old, 'config.json'));
  const model = path.join(old, 'best_model_final.safetensors');
  saveCheckpoint(model, ck.tensors, { ...ck.metadata, extra });
  const ev = path.join(tmp, 'ev', 'old');
  const r = await cli(['evaluate', model, flat, '--out', ev]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(evaluated(ev), manifestSplit(run, 'test'));
  assert.match(r.err, /seed 7, val 0\.25, test 0\.25 \(the model's training split, from .*config\.json\)/);
  // Without the config.json, only the seed is known: evaluate says so.
  fs.rmSync(path.join(old, 'config.json'));
  const r2 = await cli(['evaluate', model, flat, '--out', ev]);
  assert.equal(r2.code, 0, r2.err);
  assert.match(r2.err, /the checkpoint does not record val-fraction, test-fraction.*cannot be guaranteed/);
});

test('a CSV without a split column is called that, not "no split folders"; skipped images are counted', T, async () => {
  const csv = path.join(flat, 'nosplit.csv');
  const lines = ['path,label'];
  for (const cls of ['a', 'b']) for (let i = 0; i < 12; i++) lines.push(`${cls}/${cls}${i}.png,${cls}`);
  fs.writeFileSync(csv, lines.join('\n') + '\n');
  const model = path.join(run, 'best_model_final.safetensors');
  const r = await cli(['evaluate', model, csv, '--out', path.join(tmp, 'ev', 'csv')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /has no split column/);
  assert.doesNotMatch(r.err, /split folders/);

  // Unreadable files: the log says how many images the metrics are over.
  const broken = path.join(tmp, 'broken');
  for (const cls of ['a', 'b']) {
    fs.mkdirSync(path.join(broken, 'test', cls), { recursive: true });
    for (let i = 0; i < 3; i++) fs.copyFileSync(path.join(flat, cls, `${cls}${i}.png`), path.join(broken, 'test', cls, `${i}.png`));
  }
  fs.writeFileSync(path.join(broken, 'test', 'a', 'bad.png'), 'not an image');
  const b = await cli(['evaluate', model, broken, '--out', path.join(tmp, 'ev', 'broken'), '--json']);
  assert.equal(b.code, 0, b.err);
  assert.equal(JSON.parse(b.out).n, 6);
  assert.match(b.err, /1 of 7 images could not be read/);
  assert.match(b.err, /metrics are over 6 images/);
});

test('DATA/train and DATA/test without val/: evaluate --split val is the val the run drew from train', T, async () => {
  const data = path.join(tmp, 'noval');
  await makeFlat(path.join(data, 'train'));
  await makeFlat(path.join(data, 'test'), 2);
  const run2 = path.join(tmp, 'runs', 'noval');
  const t = await cli(['train', data, '--out', run2, ...TRAIN]);
  assert.equal(t.code, 0, t.err);
  const ev = path.join(tmp, 'ev', 'noval');
  const r = await cli(['evaluate', path.join(run2, 'best_model_final.safetensors'), data, '--out', ev, '--split', 'val']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /has no val\/ folder: evaluating the val part of the split drawn with seed 7, val 0\.25/);
  const val = rowsOf(path.join(run2, 'manifest.csv')).filter((f) => f[2] === 'val')
    .map((f) => path.relative(data, path.resolve(run2, f[0]!)).split(path.sep).join('/')).sort();
  assert.equal(val.length, 6);
  assert.deepEqual(evaluated(ev), val);

  // The test split needs no val: a train/ too small to draw one from does not stop `--split test`.
  const tiny = path.join(tmp, 'tinytrain');
  await makeFlat(path.join(tiny, 'train'), 1);
  await makeFlat(path.join(tiny, 'test'), 2);
  const evTest = path.join(tmp, 'ev', 'tinytrain');
  const rt = await cli(['evaluate', path.join(run2, 'best_model_final.safetensors'), tiny, '--out', evTest, '--split', 'test']);
  assert.equal(rt.code, 0, rt.err);
  assert.deepEqual(evaluated(evTest), ['test/a/a0.png', 'test/a/a1.png', 'test/b/b0.png', 'test/b/b1.png']);
  const rv = await cli(['evaluate', path.join(run2, 'best_model_final.safetensors'), tiny, '--out', path.join(tmp, 'ev', 'tinyval'), '--split', 'val']);
  assert.equal(rv.code, 2);
  assert.match(rv.err, /no val\/ folder, so a validation split is drawn from train\/: too few images/);
});
