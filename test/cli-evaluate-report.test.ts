// evaluate's report names the split it evaluated and lists unreadable images; its summary says how the
// split was drawn once; --out may be a new folder inside a run but none of the run's own folders; data with
// one class evaluates when the model knows it (metrics needing both classes are null, with a warning).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import * as torch from '../src/torch/index.js';
import { cliIn } from './helpers/cli.js';
import { tinyModelFile } from './helpers/model-files.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('tlearn-cli-evrep-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cli = cliIn(tmp);

async function images(dir: string, n: number, v: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: v + i, g: v, b: 255 - v } } }).png().toFile(path.join(dir, `${i}.png`));
  }
}

torch.manualSeed(1);
const model = tinyModelFile(tmp);

const split = path.join(tmp, 'split');
for (const s of ['train', 'val', 'test']) {
  await images(path.join(split, s, 'cat'), 2, 40);
  await images(path.join(split, s, 'dog'), 2, 200);
}
fs.writeFileSync(path.join(split, 'train', 'cat', 'broken.png'), 'not an image');

test('evaluate --split train/val/all: the report says which images, and lists the unreadable one', async () => {
  for (const [s, words] of [['train', '4 train images'], ['val', '4 val images'], ['all', '12 images (all splits)']] as const) {
    const out = path.join(tmp, `ev-${s}`);
    const r = await cli(['evaluate', model, split, '--split', s, '--out', out]);
    assert.equal(r.code, 0, r.err);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.ok(!/test image|Test metrics/i.test(html), `${s}: no "test" wording`);
    assert.ok(html.includes(words), `${s}: ${words}`);
    assert.ok(html.includes(`<th>${s === 'all' ? 'images' : `${s} images`}</th><td>${s === 'all' ? 12 : 4}</td>`), `${s}: the summary's image count is named`);
    const listed = html.includes('train/cat/broken.png');
    assert.equal(listed, s !== 'val', `${s}: the unreadable train image is listed where it was evaluated`);
  }
  const html = fs.readFileSync(path.join(tmp, 'ev-train', 'report.html'), 'utf8');
  assert.match(html, /1 image could not be read and is not in these metrics/);
});

test('a drawn split is described once in the summary (no "split drawn split drawn")', async () => {
  const flat = path.join(tmp, 'flat');
  await images(path.join(flat, 'cat'), 7, 40);
  await images(path.join(flat, 'dog'), 7, 200);
  const out = path.join(tmp, 'ev-flat');
  const r = await cli(['evaluate', model, flat, '--out', out, '--split', 'all']);
  assert.equal(r.code, 0, r.err);
  const r2 = await cli(['evaluate', model, flat, '--out', out, '--seed', '7']);
  assert.equal(r2.code, 0, r2.err);
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.ok(!/split drawn\s*(<[^>]+>\s*)*split drawn/.test(html), 'not duplicated');
  assert.match(html, /seed 7/);
});

test('evaluate --out: a new folder inside a run is fine, the run\'s own folders are refused', async () => {
  const run = path.join(tmp, 'run');
  fs.mkdirSync(path.join(run, 'last'), { recursive: true });
  fs.writeFileSync(path.join(run, 'last', 'state.json'), 'marker');
  fs.mkdirSync(path.join(run, 'eval'), { recursive: true });
  fs.writeFileSync(path.join(run, 'config.json'), '{}');
  fs.writeFileSync(path.join(run, 'history.csv'), 'phase,epoch\n');
  for (const out of [path.join(run, 'last'), path.join(run, 'last', 'sub'), path.join(run, 'eval', 'again')]) {
    const r = await cli(['evaluate', model, split, '--out', out]);
    assert.equal(r.code, 2, `${out}: ${r.err}`);
    assert.match(r.err, /inside the training run/);
    assert.match(r.err, /eval-split/);
  }
  assert.deepEqual(fs.readdirSync(path.join(run, 'last')), ['state.json']);
  assert.deepEqual(fs.readdirSync(path.join(run, 'eval')), []);
  // A folder of the run that holds something other than an evaluation is not taken either.
  fs.mkdirSync(path.join(run, 'notes'));
  fs.writeFileSync(path.join(run, 'notes', 'n.txt'), 'mine');
  assert.equal((await cli(['evaluate', model, split, '--out', path.join(run, 'notes')])).code, 2);
  // A new folder, and then the same folder again (an earlier evaluation), are fine.
  for (let i = 0; i < 2; i++) {
    const r = await cli(['evaluate', model, split, '--out', path.join(run, 'eval-split')]);
    assert.equal(r.code, 0, r.err);
  }
});

test('one-class data: evaluated when the model knows the class; a clear error when it does not', async () => {
  const pos = path.join(tmp, 'positives');
  await images(path.join(pos, 'test', 'dog'), 3, 200);
  const out = path.join(tmp, 'ev-pos');
  const r = await cli(['evaluate', model, pos, '--out', out, '--json']);
  assert.equal(r.code, 0, r.err);
  const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(metrics.n, 3);
  assert.deepEqual(metrics.classes, ['cat', 'dog']);
  // Precision, F1 and AP would be 1 by construction without negatives (QA round 6): null like the others.
  for (const k of ['auc', 'balanced_accuracy', 'mcc', 'specificity', 'precision', 'f1', 'average_precision']) assert.equal(metrics[k], null, k);
  assert.equal(typeof metrics.recall, 'number', 'the sensitivity is what such data measures');
  assert.ok(metrics.warnings.some((w: string) => /only the class 'dog'/.test(w)), metrics.warnings.join('\n'));
  assert.match(r.err, /only the class 'dog'/);
  assert.ok(fs.existsSync(path.join(out, 'report.html')));

  const bird = path.join(tmp, 'birds');
  await images(path.join(bird, 'test', 'bird'), 2, 100);
  const b = await cli(['evaluate', model, bird, '--out', path.join(tmp, 'ev-bird')]);
  assert.equal(b.code, 2, b.err);
  assert.match(b.err, /'bird'.*not one of the classes of .*model\.safetensors.*cat, dog/);
  assert.ok(!fs.existsSync(path.join(tmp, 'ev-bird')), 'no empty --out left behind');
});
