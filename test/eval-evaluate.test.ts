// evaluate and predict end to end on a tiny model and tiny images: the files of the evaluation contract,
// metrics equal to scikit-learn on the written predictions, probabilities equal to the model's own, errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import * as torch from '../src/torch/index.js';
import { BinaryClassifier, loadModelFile, saveModelFile } from '../src/models/index.js';
import { evaluate, predict, type BinaryEvaluationMetrics, type EvaluationMetrics } from '../src/eval/index.js';
import { predictionLoader, predictItems } from '../src/eval/predict.js';
import { runPython } from './helpers/python.js';
import { seedStateDictPth } from './helpers/model-files.js';
import { tempDir } from './helpers/temp.js';

/** A binary model's metrics (evaluate() also returns those of multi-class and multi-label models, which carry `task`). */
function binary(m: EvaluationMetrics): BinaryEvaluationMetrics {
  assert.ok(!('task' in m), 'a binary model\'s metrics');
  return m;
}

const SIZE = 32;

async function makeImages(root: string): Promise<void> {
  // Class 'cat' images are dark, 'dog' bright, with some overlap so the model is imperfect.
  for (const [cls, base] of [['cat', 60], ['dog', 150]] as const) {
    const dir = path.join(root, 'test', cls);
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 6; i++) {
      const v = base + i * 12;
      await sharp({ create: { width: 20 + i, height: 24, channels: 3, background: { r: v, g: (v * 3) % 256, b: 255 - v } } })
        .png().toFile(path.join(dir, `${i}.png`));
    }
  }
  fs.mkdirSync(path.join(root, 'train', 'cat'), { recursive: true });
}

function tinyModel(file: string): BinaryClassifier {
  torch.manualSeed(3);
  const model = new BinaryClassifier({ arch: 'resnet18' });
  saveModelFile(file, model, { classes: ['cat', 'dog'], positiveClass: 'dog', imageSize: SIZE, threshold: 0.5 });
  return model;
}

test('evaluate writes the evaluation contract; metrics equal scikit-learn on its own predictions', async () => {
  const dir = tempDir('tlearn-eval-');
  const data = path.join(dir, 'data');
  await makeImages(data);
  const modelFile = path.join(dir, 'model.safetensors');
  const model = tinyModel(modelFile);
  const out = path.join(dir, 'eval');
  const logs: string[] = [];
  const metrics = binary(await evaluate({ model: modelFile, data, split: 'test', out, log: (l) => logs.push(l) }));
  for (const f of ['metrics.json', 'classification_report.txt', 'predictions.csv', 'report.html', 'roc_curve.svg', 'roc_curve.png',
    'pr_curve.svg', 'confusion_matrix.png', 'probability_histogram.svg', 'reliability.svg']) {
    assert.ok(fs.existsSync(path.join(out, f)), `${f} is written`);
  }
  assert.equal(metrics.n, 12);
  assert.deepEqual(metrics.classes, ['cat', 'dog']);
  const onDisk = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(onDisk.roc.thresholds[0], null, 'the +inf first ROC threshold is written as null');

  const lines = fs.readFileSync(path.join(out, 'predictions.csv'), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'path,label,probability,predicted');
  const rows = lines.slice(1).map((l) => l.split(','));
  const y = rows.map((r) => (r[1] === 'dog' ? 1 : 0));
  const p = rows.map((r) => Number(r[2]));

  // The written probabilities are the model's own for the same files.
  const files = rows.map((r) => path.join(data, r[0]));
  const predicted = await predict({ model: modelFile, files, log: () => {} });
  predicted.forEach((r, i) => assert.ok('probability' in r && Math.abs(r.probability - p[i]) < 1e-6, `prediction ${i}`));

  const ref = runPython<{ auc: number; acc: number; report: string; cm: number[] }>(`
from sklearn.metrics import roc_auc_score, accuracy_score, classification_report, confusion_matrix
y, p = inp
pred = [1 if v >= 0.5 else 0 for v in p]
out({'auc': roc_auc_score(y, p), 'acc': accuracy_score(y, pred),
     'report': classification_report(y, pred, labels=[0, 1], target_names=['cat', 'dog'], zero_division=0),
     'cm': confusion_matrix(y, pred, labels=[0, 1]).ravel().tolist()})
`, [y, p]);
  assert.ok(Math.abs((metrics.auc ?? NaN) - ref.auc) < 1e-12);
  assert.ok(Math.abs(metrics.accuracy - ref.acc) < 1e-12);
  const c = metrics.confusion;
  assert.deepEqual([c.tn, c.fp, c.fn, c.tp], ref.cm);
  const reportText = fs.readFileSync(path.join(out, 'classification_report.txt'), 'utf8');
  assert.equal(reportText, ref.report);
  model.dispose();
});

// The contract: classification_report.txt is byte-identical to sklearn's classification_report(digits=2) with its
// default zero_division ('warn': 0.00 printed and a warning) also when one class is never predicted. Thresholds
// 0 (every image 'dog') and just above the largest probability (every image 'cat') force both cases whatever the
// tiny model predicts.
test('classification_report.txt equals scikit-learn when a class is never predicted (0/0 precision printed as 0.00)', async () => {
  const dir = tempDir('tlearn-eval-zd-');
  const data = path.join(dir, 'data');
  await makeImages(data);
  const modelFile = path.join(dir, 'model.safetensors');
  tinyModel(modelFile).dispose();
  const readRows = (out: string) =>
    fs.readFileSync(path.join(out, 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  await evaluate({ model: modelFile, data, split: 'test', out: path.join(dir, 'e0'), threshold: 0, log: () => {} });
  const highest = Math.max(...readRows(path.join(dir, 'e0')).map((r) => Number(r[2])));
  const aboveAll = highest + 1e-9;
  assert.ok(aboveAll <= 1, `a threshold above every probability exists (highest ${highest})`);
  await evaluate({ model: modelFile, data, split: 'test', out: path.join(dir, 'e1'), threshold: aboveAll, log: () => {} });
  for (const [name, threshold, only] of [['e0', 0, 'dog'], ['e1', aboveAll, 'cat']] as const) {
    const rows = readRows(path.join(dir, name));
    assert.ok(rows.every((r) => r[3] === only), `threshold ${threshold}: every image predicted '${only}'`);
    const y = rows.map((r) => (r[1] === 'dog' ? 1 : 0));
    const pred = rows.map((r) => (r[3] === 'dog' ? 1 : 0));
    const ref = runPython<string>(`
from sklearn.metrics import classification_report
y, pred = inp
out(classification_report(y, pred, labels=[0, 1], target_names=['cat', 'dog'], digits=2))
`, [y, pred]);
    assert.match(ref, / 0\.00 /, 'the reference prints a 0/0 precision as 0.00');
    assert.equal(fs.readFileSync(path.join(dir, name, 'classification_report.txt'), 'utf8'), ref, `threshold ${threshold}`);
  }
});

test('predict reports unreadable files per file; evaluate refuses other class names', async () => {
  const dir = tempDir('tlearn-pred-');
  const data = path.join(dir, 'data');
  await makeImages(data);
  const modelFile = path.join(dir, 'model.pth');
  tinyModel(modelFile).dispose();
  const bad = path.join(dir, 'broken.png');
  fs.writeFileSync(bad, 'not an image');
  const good = path.join(data, 'test', 'dog', '0.png');
  const rows = await predict({ model: modelFile, files: [good, bad], threshold: 0, log: () => {} });
  assert.equal(rows.length, 2);
  assert.ok('probability' in rows[0] && rows[0].predicted === 1 && rows[0].label === 'dog');
  assert.ok('error' in rows[1] && rows[1].error.length > 0);

  const other = path.join(dir, 'other');
  for (const cls of ['ok', 'defect']) {
    fs.mkdirSync(path.join(other, 'test', cls), { recursive: true });
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toFile(path.join(other, 'test', cls, 'a.png'));
  }
  await assert.rejects(evaluate({ model: modelFile, data: other, split: 'test', out: path.join(dir, 'e'), log: () => {} }),
    /classes \[defect, ok\] but .* was trained on \[cat, dog\]/);
});

test("a seed PyTorch state_dict evaluates with --classes and --image-size", async () => {
  const dir = tempDir('tlearn-seed-');
  const data = path.join(dir, 'data');
  await makeImages(data);
  const seedFile = path.join(dir, 'best_model_phase1.pth');
  seedStateDictPth(seedFile);
  const metrics = binary(await evaluate({ model: seedFile, data, split: 'test', out: path.join(dir, 'e'), classes: ['cat', 'dog'], imageSize: SIZE, log: () => {} }));
  assert.equal(metrics.n, 12);
  assert.equal(metrics.positive_class, 'dog');
  // The report's footer names the tlearn that wrote it, not the model file's writer ('unknown' for PyTorch's).
  const html = fs.readFileSync(path.join(dir, 'e', 'report.html'), 'utf8');
  assert.doesNotMatch(html, /tlearn unknown/);
  const version = (JSON.parse(fs.readFileSync(path.join(process.cwd(), 'package.json'), 'utf8')) as { version: string }).version;
  assert.ok(html.includes(`tlearn ${version}`), 'the running version in the footer');
});

test('predictions in channels-last (NHWC, the default on CPU from 96 px) equal NCHW ones', async () => {
  const dir = tempDir('tlearn-eval-nhwc-');
  const data = path.join(dir, 'data');
  await makeImages(data);
  const model = tinyModel(path.join(dir, 'model.safetensors'));
  const meta = loadModelFile(path.join(dir, 'model.safetensors')).metadata;
  const items = fs.readdirSync(path.join(data, 'test', 'dog')).map((f) => ({ path: path.join(data, 'test', 'dog', f), label: null }));
  const nchw = await predictItems(model, meta, items, { channelsLast: false });
  const nhwc = await predictItems(model, meta, items, { channelsLast: true });
  assert.equal(nhwc.probabilities.length, 6);
  nhwc.probabilities.forEach((p, i) => assert.ok(Math.abs(p - nchw.probabilities[i]!) < 1e-5, `${p} vs ${nchw.probabilities[i]}`));
  // By default: NHWC on CPU from 96 px (where it is faster), not for this 32 px model, not on CUDA.
  assert.equal(predictionLoader(meta, items).channelsLast, false);
  assert.equal(predictionLoader({ ...meta, imageSize: 224 }, items).channelsLast, true);
  assert.equal(predictionLoader({ ...meta, imageSize: 224 }, items, { device: 'cuda' }).channelsLast, false);
});
