// `crossValidate`: stratified, disjoint folds covering the training pool (the test split stays out); one run
// folder per fold; out-of-fold probabilities for every pool image exactly once; the frozen prefix run once per
// image view for the whole CV (counted at FeatureCache.put: every row it is given was computed by the prefix);
// an interrupted CV resumed at the first unfinished fold, the finished ones kept as they were. (The folds' test
// evaluations and run reports are skipped here for time: they are train()'s own, tested with it.) Each image file
// decoded once per CV session (the data check's decode is shared by the folds), and a fold's run folder as a plain
// train() on that fold's split makes it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { crossValidate, type CvEvent, type CvResult } from '../src/cv/index.js';
import { parseCsv } from '../src/data/csv.js';
import { decodeCount } from '../src/data/index.js';
import { train } from '../src/train/index.js';
import { FeatureCache } from '../src/train/cache/feature-cache.js';
import { loadModelFile, StagedNet } from '../src/models/index.js';
import { predictItems } from '../src/eval/predict.js';
import type { Tensor } from '../src/torch/index.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

/**
 * Rows given to FeatureCache.put per stage (each one frozen forward of an image view) and the distinct keys;
 * `images`: rows that entered the network as images (every pass through the frozen layers, cached or not).
 */
function countPuts(): { rows: Map<string, number>; keys: Map<string, Set<string>>; images: { rows: number }; restore: () => void } {
  const rows = new Map<string, number>(), keys = new Map<string, Set<string>>();
  const images = { rows: 0 };
  const forward = StagedNet.prototype.forwardStages;
  StagedNet.prototype.forwardStages = function (this: StagedNet, x: Tensor, from?: string, to?: string) {
    if (from === undefined || from === this.stages[0]) images.rows += x.size(0);
    return forward.call(this, x, from, to);
  };
  const put = FeatureCache.prototype.put;
  FeatureCache.prototype.put = function (this: FeatureCache, ks: readonly string[], batch: Tensor) {
    rows.set(this.stage, (rows.get(this.stage) ?? 0) + ks.length);
    const set = keys.get(this.stage) ?? new Set<string>();
    for (const k of ks) set.add(k);
    keys.set(this.stage, set);
    return put.call(this, ks, batch);
  };
  return { rows, keys, images, restore: () => { FeatureCache.prototype.put = put; StagedNet.prototype.forwardStages = forward; } };
}

const csv = (file: string) => parseCsv(fs.readFileSync(file, 'utf8')).slice(1).map((r) => r.fields);

test('3-fold CV: folds stratified, disjoint and covering the pool; oof once per image; the prefix once per view; resume keeps finished folds', async () => {
  const root = tempDir();
  // 6 train + 3 val per class: a pool of 18 (9 per class, 3 per class and fold); 2 test images per class.
  const data = await makeStripes(path.join(root, 'data'), { train: 6, val: 3, test: 2 });
  const config = tinyConfig(data, [], { epochs1: 1, epochs2: 1, checkpointFormat: 'safetensors' });
  const out = path.join(root, 'cv');
  const files = 2 * (6 + 3 + 2);

  // Session 1: stopped once fold 1 is done.
  const stop = new AbortController();
  const count1 = countPuts();
  const events1: CvEvent[] = [];
  let first: CvResult;
  const decodes1 = decodeCount();
  try {
    first = await crossValidate(config, {
      out, folds: 3, handleSigint: false, signal: stop.signal, skipEvaluation: true,
      onEvent: (e) => { events1.push(e); if (e.type === 'cv' && e.event === 'fold' && e.status === 'done' && e.fold === 1) stop.abort(); },
    });
  } finally {
    count1.restore();
  }
  assert.equal(first.interrupted, true);
  assert.equal(decodeCount() - decodes1, files, 'session 1 decoded each file once (the CV\'s data check; fold 1 read its images from it)');
  assert.ok(fs.existsSync(path.join(out, 'fold-1', 'fold.json')) && !fs.existsSync(path.join(out, 'fold-2', 'fold.json')));
  const fold1Model = path.join(out, 'fold-1', 'best_model_final.safetensors');
  const fold1Stamp = fs.statSync(fold1Model).mtimeMs;
  // Fold 1 alone: its training folds with both views, its held-out fold unflipped; each computed once.
  for (const stage of ['pool', 'layer3']) {
    assert.equal(count1.rows.get(stage), count1.keys.get(stage)!.size, `${stage}: a view computed twice in session 1`);
    assert.equal(count1.keys.get(stage)!.size, 12 * 2 + 6, stage);
  }
  // ... and no view entered the frozen layers again: the final model's validation pass reads the shared cache.
  assert.equal(count1.images.rows, 12 * 2 + 6, 'image views through the frozen layers in session 1');

  // Session 2: --resume.
  const count2 = countPuts();
  const events2: CvEvent[] = [];
  let result: CvResult;
  const decodes2 = decodeCount();
  try {
    result = await crossValidate(config, { out, folds: 3, resume: true, handleSigint: false, skipEvaluation: true, onEvent: (e) => events2.push(e) });
  } finally {
    count2.restore();
  }
  assert.equal(result.interrupted, false);
  assert.equal(decodeCount() - decodes2, files, 'each image file decoded once for the whole session (folds 2 and 3 share the check decode)');
  const foldEvents = events2.filter((e) => e.type === 'cv' && e.event === 'fold').map((e) => e.type === 'cv' && e.event === 'fold' ? `${e.fold}:${e.status}` : '');
  assert.deepEqual(foldEvents, ['1:kept', '2:resume', '2:done', '3:start', '3:done']);
  assert.equal(fs.statSync(fold1Model).mtimeMs, fold1Stamp, 'fold 1 was not trained again');
  // Every view of the pool (18 images x 2) through the prefix exactly once in this session, for both stages.
  for (const stage of ['pool', 'layer3']) {
    assert.equal(count2.rows.get(stage), count2.keys.get(stage)!.size, `${stage}: a view computed twice`);
    assert.equal(count2.keys.get(stage)!.size, 18 * 2, stage);
  }
  assert.equal(count2.images.rows, 18 * 2, 'image views through the frozen layers: once each for the whole CV');

  // Folds: disjoint, covering the pool (train + val, no test image), 6 images of each class in each fold.
  const folds = csv(path.join(out, 'folds.csv'));
  assert.equal(folds.length, 18);
  assert.equal(new Set(folds.map((r) => r[0])).size, 18);
  assert.ok(folds.every((r) => !r[0]!.includes(`${path.sep}test${path.sep}`)));
  for (const f of ['1', '2', '3']) for (const cls of ['stripes_h', 'stripes_v']) {
    assert.equal(folds.filter((r) => r[2] === f && r[1] === cls).length, 3, `fold ${f} class ${cls}`);
  }
  // Each fold's run: validation = its fold, training = the others, test = the data's test split.
  for (const f of [1, 2, 3]) {
    // The manifest's paths are relative to the fold's data CSV (RUN/folds/fold-K.csv).
    const manifest = csv(path.join(out, `fold-${f}`, 'manifest.csv')).map((r) => [path.resolve(out, 'folds', r[0]!), ...r.slice(1)]);
    const val = new Set(manifest.filter((r) => r[2] === 'val').map((r) => r[0]));
    assert.deepEqual(val, new Set(folds.filter((r) => r[2] === String(f)).map((r) => r[0])));
    assert.equal(manifest.filter((r) => r[2] === 'train').length, 12);
    assert.equal(manifest.filter((r) => r[2] === 'test').length, 4);
    assert.ok(fs.existsSync(path.join(out, `fold-${f}`, 'history.csv')));
  }
  // oof.csv: every pool image exactly once, with the fold that held it out and a probability.
  const oof = csv(path.join(out, 'oof.csv'));
  assert.equal(oof.length, 18);
  assert.deepEqual(new Set(oof.map((r) => r[0])), new Set(folds.map((r) => r[0])));
  const foldOf = new Map(folds.map((r) => [r[0], r[2]]));
  for (const r of oof) {
    assert.equal(r[2], foldOf.get(r[0]));
    assert.ok(Number(r[3]) >= 0 && Number(r[3]) <= 1);
  }
  // Fold 3's held-out probabilities came from the shared cache: equal to its final model's uncached forward within 1e-6.
  const final = loadModelFile(path.join(out, 'fold-3', 'best_model_final.safetensors'));
  try {
    const held = oof.filter((r) => r[2] === '3');
    const { probabilities } = await predictItems(final.model, final.metadata, held.map((r) => ({ path: path.resolve(out, r[0]!), label: null })));
    held.forEach((r, i) => assert.ok(Math.abs(probabilities[i]! - Number(r[3])) <= 1e-6, `${r[0]}: ${probabilities[i]} uncached, ${r[3]} in oof.csv`));
  } finally {
    final.model.dispose();
  }
  // cv.json: the folds' metrics, mean ± sd, the AUC's t interval; label_issues.csv and the report.
  const cv = JSON.parse(fs.readFileSync(path.join(out, 'cv.json'), 'utf8'));
  assert.equal(cv.per_fold.length, 3);
  for (const m of ['val_auc', 'val_accuracy', 'val_log_loss', 'val_f1']) assert.equal(typeof cv.mean_sd[m].mean, 'number', m);
  assert.equal(cv.auc_ci95_across_folds.interval.length, 2);
  assert.ok(fs.readFileSync(path.join(out, 'label_issues.csv'), 'utf8').startsWith('path,given_label,suggested_label,self_confidence,rank\n'));
  assert.match(fs.readFileSync(path.join(out, 'report.html'), 'utf8'), /Cross-validation: 3 folds/);
  assert.ok(!fs.existsSync(path.join(out, '.feature-cache')));
  assert.ok(!fs.existsSync(path.join(out, '.image-cache')));

  // Fold 3's run is a plain train() on its split (its own caches, its own data check): the same epochs, data check
  // files and run files, besides the CV's fold.json and oof.csv. (Not the same numbers to the last bit: the shared
  // cache holds the prefix's outputs of fold 1's batches, which differ from a fresh run's in the last float bits,
  // and Adam's first steps amplify that.)
  const plain = path.join(root, 'plain', 'fold-3'); // as deep as the fold's: manifest.csv's relative paths
  const csv3 = path.join(out, 'folds', 'fold-3.csv');
  await train({ ...config, data: { ...config.data, csv: csv3, path: path.dirname(csv3) } }, { out: plain, quiet: true, handleSigint: false, skipEvaluation: true });
  const epochs = (dir: string) => fs.readFileSync(path.join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { phase, epoch, lr } = JSON.parse(l) as Record<string, unknown>;
    return { phase, epoch, lr };
  });
  assert.deepEqual(epochs(path.join(out, 'fold-3')), epochs(plain));
  for (const f of ['manifest.csv', 'audit.json']) {
    assert.equal(fs.readFileSync(path.join(out, 'fold-3', f), 'utf8'), fs.readFileSync(path.join(plain, f), 'utf8'), f);
  }
  assert.deepEqual(fs.readdirSync(path.join(out, 'fold-3')).filter((n) => n !== 'fold.json' && n !== 'oof.csv').sort(), fs.readdirSync(plain).sort());
});
