// `tlearn cv` end to end through the CLI, on a binary image folder and a multi-label CSV (2 folds of 16 images,
// resnet18 at 32 px, 1 epoch per phase, random weights): exit 0, RUN/fold-1..2, oof.csv with every pool image
// once, cv.json with the folds and mean ± sd, label_issues.csv (multi-label: per image and label), the CV
// report; then --resume on the finished CV changes nothing and says so.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../src/data/csv.js';
import { cliIn } from './helpers/cli.js';
import { makeStripes, removeTempDirs, tempDir } from './train-fixtures.js';

after(removeTempDirs);

const tiny = ['--weights', 'none', '--arch', 'resnet18', '--image-size', '32', '--batch-size', '8', '--threads', '1', '--epochs1', '1', '--epochs2', '1'];
const rowsOf = (file: string, withHeader = false) => parseCsv(fs.readFileSync(file, 'utf8')).slice(withHeader ? 0 : 1).map((r) => r.fields);

/** Runs `tlearn cv DATA --folds 2 --out cv` in dir and checks the CV folder, then its --resume. */
async function checkCv(dir: string, data: string, pool: number, task: 'binary' | 'multilabel'): Promise<void> {
  const cli = cliIn(dir);
  const r = await cli(['cv', data, '--folds', '2', '--out', 'cv', ...tiny]);
  assert.equal(r.code, 0, r.err);
  const out = path.join(dir, 'cv');
  for (const f of [1, 2]) assert.ok(fs.existsSync(path.join(out, `fold-${f}`, 'best_model_final.safetensors')), `fold-${f}`);
  assert.ok(!fs.existsSync(path.join(out, 'fold-3')));
  const folds = rowsOf(path.join(out, 'folds.csv'));
  const oof = rowsOf(path.join(out, 'oof.csv'));
  assert.equal(folds.length, pool);
  assert.equal(oof.length, pool, 'one out-of-fold row per pool image');
  assert.deepEqual(new Set(oof.map((x) => x[0])), new Set(folds.map((x) => x[0])));
  assert.equal(new Set(oof.map((x) => x[0])).size, pool, 'each image once');
  const cv = JSON.parse(fs.readFileSync(path.join(out, 'cv.json'), 'utf8'));
  assert.equal(cv.task, task);
  assert.equal(cv.per_fold.length, 2);
  assert.deepEqual(cv.per_fold.map((x: { fold: number }) => x.fold), [1, 2]);
  for (const [name, v] of Object.entries(cv.mean_sd as Record<string, { mean: number | null; sd: number | null }>)) {
    const values = cv.per_fold.map((x: { metrics: Record<string, number | null> }) => x.metrics[name]).filter((x: unknown) => typeof x === 'number');
    if (values.length === 2) assert.ok(Math.abs(v.mean! - (values[0] + values[1]) / 2) < 1e-9, `${name}: the mean of the folds`);
  }
  assert.equal(typeof cv.mean_sd.val_auc.mean, 'number');
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /Cross-validation: 2 folds/);
  if (task === 'binary') {
    assert.ok(fs.readFileSync(path.join(out, 'label_issues.csv'), 'utf8').startsWith('path,given_label,suggested_label,self_confidence,rank\n'));
    assert.equal(cv.label_issues.file, path.join(out, 'label_issues.csv'));
  } else {
    // Multi-label: one row per (image, label) probably given wrongly, the suggestion being the opposite.
    const rows = rowsOf(path.join(out, 'label_issues.csv'), true);
    assert.deepEqual(rows[0], ['path', 'label', 'given', 'suggested', 'self_confidence', 'rank']);
    for (const [i, r] of rows.slice(1).entries()) {
      assert.ok(folds.some((f) => f[0] === r[0]), `${r[0]} is a pool image`);
      assert.deepEqual(new Set([r[2], r[3]]), new Set(['present', 'absent']));
      assert.equal(r[5], String(i + 1));
    }
    assert.equal(cv.label_issues.n, rows.length - 1);
    assert.match(cv.label_issues.method, /per label/);
  }

  // --resume on the finished CV: nothing trained or rewritten, and the message says why.
  const files = ['cv.json', 'oof.csv', 'report.html', 'fold-1/best_model_final.safetensors'].map((f) => path.join(out, f));
  const stamps = files.map((f) => fs.statSync(f).mtimeMs);
  const again = await cli(['cv', '--out', 'cv', '--folds', '2', '--resume']);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /already finished: nothing to resume/);
  assert.doesNotMatch(again.out, /training on/);
  assert.deepEqual(files.map((f) => fs.statSync(f).mtimeMs), stamps, 'no file rewritten');
}

test('tlearn cv on a binary image folder: two fold runs, oof.csv, cv.json, label_issues.csv, the report; --resume on it is a no-op', async () => {
  const dir = tempDir();
  // 6 train + 2 val per class: a pool of 16. No test split (each fold would evaluate it and write its report:
  // train()'s own, tested with it; cv-run.test.ts checks that a test split stays out of the folds).
  await makeStripes(path.join(dir, 'data'), { train: 6, val: 2, test: 0 });
  fs.rmSync(path.join(dir, 'data', 'test'), { recursive: true });
  await checkCv(dir, 'data', 16, 'binary');
});

test('tlearn cv on a multi-label CSV: two fold runs, oof.csv with every label, cv.json; --resume on it is a no-op', async () => {
  const dir = tempDir();
  await makeStripes(path.join(dir, 'img'), { train: 4, val: 4, test: 0 });
  fs.rmSync(path.join(dir, 'img', 'test'), { recursive: true });
  // Labels: the stripes' direction (h or v), and 'wide' for every other image: 16 images of train and val, 3 labels, no test rows.
  const images = ['train', 'val'].flatMap((s) => ['stripes_h', 'stripes_v'].flatMap((c) => [0, 1, 2, 3].map((k) => ({ rel: `img/${s}/${c}/00${k}.png`, s, c, k }))));
  fs.writeFileSync(path.join(dir, 'labels.csv'), ['path,labels,split', ...images.map((x) => `${x.rel},${x.c === 'stripes_h' ? 'h' : 'v'}${x.k % 2 ? ';wide' : ''},${x.s}`)].join('\n') + '\n');
  await checkCv(dir, 'labels.csv', 16, 'multilabel');
  const oof = parseCsv(fs.readFileSync(path.join(dir, 'cv', 'oof.csv'), 'utf8'));
  const header = oof[0]!.fields;
  for (const label of ['h', 'v', 'wide']) assert.ok(header.some((h) => h.includes(label)), `oof.csv has a column for ${label}: ${header}`);
});
