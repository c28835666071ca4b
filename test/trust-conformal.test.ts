// Conformal prediction sets (conformal, --conformal ALPHA): q̂ is numpy's quantile (method 'higher') of the
// validation scores at ⌈(n + 1)(1 − α)⌉/n, for multi-class rows and binary probabilities; on exchangeable data the
// sets cover the true class at least 1 − α of the time (and not much more); a run with it stores q̂ fitted on its
// validation probabilities in the final model, and predict (JSON, CSV, table), evaluate (metrics.json, the report,
// the console), info and serve give the sets; a multi-label run and a bad alpha are refused by name.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { conformalCoverage, fitConformal, mulberry32, predictionSet, tooFewForAlpha } from '../src/metrics/index.js';
import { completeMetadata, loadModelFile, seedMetadata } from '../src/models/index.js';
import { resolveConfig } from '../src/train/config/index.js';
import { writePng } from './data-fixtures.js';
import { cliIn } from './helpers/cli.js';
import { runPython } from './helpers/python.js';
import { get, postJson, withServer } from './helpers/serve.js';
import { makeStripes, removeTempDirs, tempDir } from './train-fixtures.js';

after(removeTempDirs);

/** n rows of k probabilities (k = 1: binary p) and labels drawn from them, from a seeded generator. */
function sample(n: number, k: number, seed: number): { rows: number[][]; labels: number[] } {
  const r = mulberry32(seed);
  const rows: number[][] = [], labels: number[] = [];
  for (let i = 0; i < n; i++) {
    if (k === 1) {
      const p = r();
      rows.push([p]);
      labels.push(r() < p ? 1 : 0);
      continue;
    }
    const e = Array.from({ length: k }, () => (-Math.log(1 - r())) ** 2);
    const s = e.reduce((a, b) => a + b, 0);
    const row = e.map((v) => v / s);
    let u = r(), y = 0;
    while (y < k - 1 && u >= row[y]!) u -= row[y++]!;
    rows.push(row);
    labels.push(y);
  }
  return { rows, labels };
}

test('q̂ is numpy\'s quantile (method higher) of the scores at ⌈(n + 1)(1 − α)⌉/n; sets and coverage as numpy counts them', () => {
  const cases = [7, 50, 201].flatMap((n) => [1, 4].flatMap((k) => [0.05, 0.1, 0.2, 0.5].map((alpha) => ({ n, k, alpha, ...sample(n, k, n * 10 + k) }))));
  const py = runPython<{ qhat: number; sets: number[][]; coverage: number }[]>(`
import numpy as np
res = []
for c in inp:
    p = np.array(c['rows'], dtype=float); y = np.array(c['labels'])
    probs = np.hstack([1 - p, p]) if p.shape[1] == 1 else p
    scores = 1 - probs[np.arange(len(y)), y]
    n = len(y); level = np.ceil((n + 1) * (1 - c['alpha'])) / n
    q = 1.0 if level > 1 else float(np.quantile(scores, level, method='higher'))
    sets = [list(map(int, np.nonzero(1 - row <= q)[0])) for row in probs]
    res.append({'qhat': q, 'sets': sets, 'coverage': float(np.mean([y[i] in s for i, s in enumerate(sets)]))})
out(res)`, cases.map(({ rows, labels, alpha }) => ({ rows, labels, alpha })));
  for (const [i, c] of cases.entries()) {
    const fit = fitConformal(c.rows, c.labels, c.alpha, c.k === 1);
    assert.equal(fit.qhat, py[i]!.qhat, `n ${c.n} k ${c.k} alpha ${c.alpha}`);
    assert.deepEqual(c.rows.map((row) => predictionSet(row, fit.qhat, c.k === 1)), py[i]!.sets);
    assert.equal(conformalCoverage(c.rows, c.labels, fit.qhat, c.k === 1, c.k === 1 ? 2 : c.k).coverage, py[i]!.coverage);
  }
  assert.equal(fitConformal(sample(7, 4, 1).rows, sample(7, 4, 1).labels, 0.1, false).qhat, 1, '7 images are too few for alpha 0.1: full sets');
  assert.throws(() => fitConformal([[0.5]], [1], 1, true), /alpha must be between 0 and 1/);
  // Too few images for alpha 0.2 (at least 4): said, and the sets hold every class (per class: those classes).
  assert.equal(tooFewForAlpha([0, 1, 1], ['a', 'b'], 0.2, false), '3 images are too few for alpha 0.2 (at least 4 are needed): every set holds every class');
  assert.equal(tooFewForAlpha([0, 0, 0, 0, 1, 1], ['a', 'b'], 0.2, false), null);
  assert.equal(tooFewForAlpha([0, 0, 0, 0, 1, 1], ['a', 'b'], 0.2, true), 'b has fewer than 4 images for alpha 0.2: every set holds it');
  const few = fitConformal([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4], [0.3, 0.7]], [0, 0, 0, 0, 1], 0.2, false, true);
  assert.equal((few.qhat as number[])[1], 1, 'the class with one image gets q̂ 1: always in the set');
});

test('on exchangeable data the sets cover the true class at least 1 − α of the time, and at most 1 − α + 1/(n + 1)', () => {
  for (const [k, alpha] of [[5, 0.1], [1, 0.2]] as const) {
    const n = 40, trials = 400;
    let covered = 0, total = 0;
    for (let t = 0; t < trials; t++) {
      const cal = sample(n, k, 1000 + t), fresh = sample(100, k, 50_000 + t);
      const fit = fitConformal(cal.rows, cal.labels, alpha, k === 1);
      covered += conformalCoverage(fresh.rows, fresh.labels, fit.qhat, k === 1, Math.max(k, 2)).coverage * 100;
      total += 100;
    }
    const mean = covered / total;
    // 40 000 test images: the mean's standard error is below 0.003.
    assert.ok(mean >= 1 - alpha - 0.01 && mean <= 1 - alpha + 1 / (n + 1) + 0.01, `k ${k} alpha ${alpha}: coverage ${mean}`);
  }
});

test('per class: each q̂ is numpy\'s quantile of that class\'s scores; on exchangeable data every class is covered at least 1 − α', () => {
  const { rows, labels } = sample(120, 4, 7);
  const fit = fitConformal(rows, labels, 0.1, false, true);
  const want = runPython<number[]>(`
import numpy as np
p = np.array(inp['rows']); y = np.array(inp['labels'])
res = []
for k in range(p.shape[1]):
    s = 1 - p[y == k, k]; n = len(s); level = np.ceil((n + 1) * 0.9) / n
    res.append(1.0 if level > 1 else float(np.quantile(s, level, method='higher')))
out(res)`, { rows, labels });
  assert.deepEqual(fit.qhat, want);
  // A skewed model: class 0 is rare and its probability low, so marginal sets cover it poorly; per-class sets do not.
  const skewed = (n: number, seed: number) => {
    const r = mulberry32(seed);
    const out = { rows: [] as number[][], labels: [] as number[] };
    for (let i = 0; i < n; i++) {
      const y = r() < 0.1 ? 0 : 1 + Math.floor(r() * 2);
      const p0 = y === 0 ? 0.05 + 0.3 * r() : 0.02 * r(), rest = 1 - p0, p1 = rest * (y === 1 ? 0.6 + 0.4 * r() : 0.4 * r());
      out.rows.push([p0, p1, rest - p1]);
      out.labels.push(y);
    }
    return out;
  };
  const cover = { marginal: [0, 0, 0], perClass: [0, 0, 0], count: [0, 0, 0] };
  for (let t = 0; t < 200; t++) {
    const cal = skewed(300, 10 + t), fresh = skewed(200, 90_000 + t);
    for (const mode of ['marginal', 'perClass'] as const) {
      const f = fitConformal(cal.rows, cal.labels, 0.1, false, mode === 'perClass');
      fresh.rows.forEach((row, i) => { cover[mode][fresh.labels[i]!]! += predictionSet(row, f.qhat, false).includes(fresh.labels[i]!) ? 1 : 0; });
    }
    fresh.labels.forEach((y) => { cover.count[y]!++; });
  }
  const share = (mode: 'marginal' | 'perClass') => cover[mode].map((c, k) => c / cover.count[k]!);
  for (const [k, c] of share('perClass').entries()) assert.ok(c >= 0.89, `per class: class ${k} covered ${c}`);
  assert.ok(share('marginal')[0]! < 0.85, `marginal sets should miss the rare class more often: ${share('marginal')}`);
});

test('a run with --conformal stores q̂ of its validation probabilities; predict, evaluate, info and serve give the sets', { timeout: 600_000 }, async () => {
  const dir = tempDir();
  const data = await makeStripes(path.join(dir, 'data'), { train: 10, val: 5, test: 4 });
  // A third class of noise images makes the task multi-class.
  for (const [split, n] of [['train', 10], ['val', 5], ['test', 4]] as const) {
    for (let k = 0; k < n; k++) await writePng(path.join(data, split, 'noise', `${k}.png`), 20, 20, 500 + k + (split === 'val' ? 50 : split === 'test' ? 90 : 0));
  }
  const cli = cliIn(dir);
  const r = await cli(['train', 'data', '--out', 'run', '--arch', 'resnet18', '--weights', 'none', '--image-size', '32', '--epochs1', '2', '--epochs2', '1',
    '--threads', '2', '--batch-size', '8', '--conformal', '0.2']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err + r.out, /conformal prediction sets \(alpha 0\.2\): q̂ [0-9.]+ \(each class of probability at least [0-9.]+\), from 15 validation images/);
  const model = path.join(dir, 'run', 'best_model_final.safetensors');
  const { model: m, metadata } = loadModelFile(model);
  m.dispose();
  assert.equal(metadata.task, 'multiclass');
  assert.equal(metadata.conformal!.alpha, 0.2);
  assert.equal(metadata.conformal!.n, 15);

  // q̂ is numpy's, from the final model's validation probabilities (predict on the validation files).
  const valFiles = metadata.classes.flatMap((c, y) => fs.readdirSync(path.join(data, 'val', c)).map((f) => ({ file: path.join(data, 'val', c, f), y })));
  const p = await cli(['predict', model, ...valFiles.map((v) => v.file), '--json']);
  assert.equal(p.code, 0, p.err);
  const rows = JSON.parse(p.out) as { path: string; probabilities: Record<string, number>; set: string[] }[];
  const probs = rows.map((row) => metadata.classes.map((c) => row.probabilities[c]!));
  const { qhat } = runPython<{ qhat: number }>(`
import numpy as np
p = np.array(inp['probs']); y = np.array(inp['y']); n = len(y)
scores = 1 - p[np.arange(n), y]
out({'qhat': float(np.quantile(scores, np.ceil((n + 1) * 0.8) / n, method='higher'))})`, { probs, y: valFiles.map((v) => v.y) });
  const fitted = metadata.conformal!.qhat as number;
  assert.ok(Math.abs(fitted - qhat) < 1e-5, `${fitted} vs numpy ${qhat}`);
  for (const [i, row] of rows.entries()) {
    assert.deepEqual(row.set, metadata.classes.filter((_, k) => 1 - probs[i]![k]! <= fitted), row.path);
  }
  const tta = await cli(['predict', model, valFiles[0]!.file, '--json', '--tta', 'flip']);
  assert.equal(tta.code, 0, tta.err);
  assert.match(tta.err, /conformal sets were fitted without test-time augmentation; with --tta flip their coverage of 0\.8 is not guaranteed/);
  assert.doesNotMatch(p.err, /test-time augmentation/, 'no warning without --tta');
  const csv = await cli(['predict', model, valFiles[0]!.file, '--csv']);
  assert.match(csv.out.split('\n')[0]!, /,set$/);
  const table = await cli(['predict', model, valFiles[0]!.file]);
  assert.match(table.out, /label +set +path/);
  assert.match(table.out, /\{[a-z_, ]*\}/);

  // evaluate: the test split's coverage and set sizes, as numpy counts them from the predictions.
  const e = await cli(['evaluate', model, 'data', '--out', 'eval-conformal', '--split', 'val']);
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /conformal sets \(alpha 0\.2\): coverage [0-9.]+ \(promised at least 0\.8\)/);
  const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'eval-conformal', 'metrics.json'), 'utf8'));
  const setsHold = rows.map((row, i) => row.set.includes(metadata.classes[valFiles[i]!.y]!));
  assert.ok(Math.abs(metrics.conformal.coverage - setsHold.filter(Boolean).length / rows.length) < 1e-9, JSON.stringify(metrics.conformal));
  assert.ok(Math.abs(metrics.conformal.mean_set_size - rows.reduce((a, row) => a + row.set.length, 0) / rows.length) < 1e-9);
  assert.equal(metrics.conformal.n_calibration, 15);
  assert.deepEqual(Object.keys(metrics.conformal.class_coverage), metadata.classes);
  assert.match(fs.readFileSync(path.join(dir, 'eval-conformal', 'report.html'), 'utf8'), /Conformal prediction sets[\s\S]*Coverage/);
  const info = await cli(['info', model]);
  assert.match(info.out, /conformal sets +alpha 0\.2: q̂ [0-9.]+ \(each class of probability at least [0-9.]+\), from 15 validation images/);

  // serve: each answer's set, and the model's description says the sets are there.
  await withServer(model, {}, async (s) => {
    const a = await postJson(`${s.url}/v1/predict`, { images: [fs.readFileSync(valFiles[0]!.file).toString('base64')] });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(a.body.predictions[0].set, rows[0]!.set);
    assert.deepEqual((await get(`${s.url}/v1/models/model`)).body.conformal, { alpha: 0.2, qhat: metadata.conformal!.qhat });
  });

  // The .onnx export carries q̂: prediction without libtorch gives the sets of its own probabilities.
  const x = await cli(['export', model, '--format', 'onnx', '--out', 'm.onnx']);
  assert.equal(x.code, 0, x.err);
  const o = await cli(['predict', 'm.onnx', ...valFiles.slice(0, 4).map((v) => v.file), '--json']);
  assert.equal(o.code, 0, o.err);
  for (const row of JSON.parse(o.out) as { probabilities: Record<string, number>; set: string[] }[]) {
    assert.deepEqual(row.set, metadata.classes.filter((c) => 1 - row.probabilities[c]! <= fitted));
  }

  // --conformal-per-class: one q̂ per class, numpy's quantile of that class's validation scores.
  const pc = await cli(['train', 'data', '--out', 'run-per-class', '--arch', 'resnet18', '--weights', 'none', '--image-size', '32', '--epochs1', '2', '--epochs2', '1',
    '--threads', '2', '--batch-size', '8', '--conformal', '0.2', '--conformal-per-class']);
  assert.equal(pc.code, 0, pc.err);
  const perClassModel = path.join(dir, 'run-per-class', 'best_model_final.safetensors');
  const loadedPc = loadModelFile(perClassModel);
  loadedPc.model.dispose();
  const qs = loadedPc.metadata.conformal!.qhat as number[];
  assert.equal(qs.length, 3);
  const pp = await cli(['predict', perClassModel, ...valFiles.map((v) => v.file), '--json']);
  const pcRows = JSON.parse(pp.out) as { probabilities: Record<string, number>; set: string[] }[];
  const pcProbs = pcRows.map((row) => metadata.classes.map((c) => row.probabilities[c]!));
  const want = runPython<number[]>(`
import numpy as np
p = np.array(inp['probs']); y = np.array(inp['y'])
res = []
for k in range(p.shape[1]):
    s = 1 - p[y == k, k]; n = len(s)
    res.append(float(np.quantile(s, np.ceil((n + 1) * 0.8) / n, method='higher')))
out(res)`, { probs: pcProbs, y: valFiles.map((v) => v.y) });
  for (const [k, q] of qs.entries()) assert.ok(Math.abs(q - want[k]!) < 1e-5, `class ${k}: ${q} vs numpy ${want[k]}`);
  for (const [i, row] of pcRows.entries()) assert.deepEqual(row.set, metadata.classes.filter((_, k) => 1 - pcProbs[i]![k]! <= qs[k]!));
  assert.match((await cli(['info', perClassModel])).out, /conformal sets +alpha 0\.2 per class: q̂ per class: \w+ [0-9.]+, \w+ [0-9.]+, \w+ [0-9.]+, from 15 validation images/);
});

test('a bad alpha and a multi-label run are refused by name', async () => {
  assert.deepEqual(resolveConfig({ overrides: { data: '/d', conformalPerClass: true } }).conformal, { alpha: 0.1, perClass: true });
  for (const set of [['conformal=1.5'], ['conformal.alpha=0'], ['conformal.beta=1'], ['conformal.perClass=3']]) {
    assert.throws(() => resolveConfig({ overrides: { data: '/d', set } }), /config\.conformal/, set.join());
  }
  assert.deepEqual(resolveConfig({ overrides: { data: '/d', set: ['conformal=true'] } }).conformal, { alpha: 0.1, perClass: false });
  const dir = tempDir();
  const imgs = path.join(dir, 'imgs');
  const lines = ['path,labels'];
  for (let k = 0; k < 12; k++) {
    await writePng(path.join(imgs, `${k}.png`), 20, 20, k);
    lines.push(`imgs/${k}.png,${k % 2 ? 'a;b' : 'b'}`);
  }
  fs.writeFileSync(path.join(dir, 'labels.csv'), `${lines.join('\n')}\n`);
  const r = await cliIn(dir)(['train', 'labels.csv', '--out', 'run', '--arch', 'resnet18', '--weights', 'none', '--image-size', '32', '--epochs1', '1', '--epochs2', '0', '--conformal', '0.1']);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /config\.conformal: prediction sets are for binary and multi-class models/);
});

test('a model file whose conformal record is out of range is refused, naming the key', () => {
  const base = seedMetadata('resnet18');
  assert.deepEqual(completeMetadata({ conformal: { alpha: 0.1, qhat: 0.7, n: 40 } }, base).conformal, { alpha: 0.1, qhat: 0.7, n: 40 });
  assert.throws(() => completeMetadata({ conformal: { alpha: 2, qhat: 0.7, n: 40 } }, base, 'm.safetensors'), /checkpoint metadata conformal\.alpha 2 is out of range.*: m\.safetensors/);
  assert.throws(() => completeMetadata({ conformal: { alpha: 0.1, qhat: 0.7, n: 2.5 } }, base, 'm.safetensors'), /conformal\.n 2\.5/);
  assert.throws(() => completeMetadata({ conformal: 'yes' }, base, 'm.safetensors'), /conformal "yes" must be an object \{alpha, qhat, n\}, or null/);
  assert.equal(completeMetadata({ conformal: null }, base).conformal, null);
  assert.deepEqual(completeMetadata({ conformal: { alpha: 0.1, qhat: [0.2, 0.9], n: 40 } }, base).conformal!.qhat, [0.2, 0.9]);
  assert.throws(() => completeMetadata({ conformal: { alpha: 0.1, qhat: [0.2, 0.9, 0.5], n: 40 } }, base, 'm.pth'), /conformal\.qhat \[.*\] must hold one threshold per class \(2\) or be one number: m\.pth/);
  assert.throws(() => completeMetadata({ conformal: { alpha: 0.1, qhat: [0.2, -1], n: 40 } }, base, 'm.pth'), /conformal\.qhat\[1\] -1 is out of range/);
});
