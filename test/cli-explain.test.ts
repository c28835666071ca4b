// `tlearn explain`: an overlay PNG (the picture, then a jet colour bar from 1 at the top to 0 at the bottom) and
// the raw map in JSON per image, for the predicted class or --class; output names made unique.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { manualSeed } from '../src/torch/index.js';
import { BinaryClassifier, ImageClassifier, saveModelFile } from '../src/models/index.js';
import { writePng } from './data-fixtures.js';
import { cliIn } from './helpers/cli.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';

test('explain writes an overlay with a colour bar and a [0, 1] map of the input size for each image', async () => {
  const dir = tempDir();
  try {
    manualSeed(3);
    const m = new BinaryClassifier({ arch: 'resnet18' });
    saveModelFile(path.join(dir, 'model.safetensors'), m, { classes: ['cat', 'dog'], positiveClass: 'dog', imageSize: 64, threshold: 0.5 });
    m.dispose();
    await writePng(path.join(dir, 'a', 'x.png'), 80, 50, 1);
    await writePng(path.join(dir, 'b', 'x.png'), 40, 70, 2);
    const cli = cliIn(dir);
    const r = await cli(['explain', 'model.safetensors', 'a/x.png', 'b/x.png', '--out', 'cam', '--json']);
    assert.equal(r.code, 0, r.err);
    const rows = JSON.parse(r.out) as { path: string; class: string; probability: number; overlay: string; map: string }[];
    assert.deepEqual(rows.map((x) => path.basename(x.overlay)), ['x.gradcam.png', 'x-2.gradcam.png']);
    for (const row of rows) {
      const map = JSON.parse(fs.readFileSync(path.join(dir, row.map), 'utf8'));
      assert.equal(map.layer, 'layer4');
      assert.equal(map.class, row.class);
      assert.deepEqual(map.size, [64, 64]);
      const values = (map.map as number[][]).flat();
      assert.equal(values.length, 64 * 64);
      assert.ok(values.every((v) => v >= 0 && v <= 1) && Math.max(...values) > 0.99, 'the map is scaled to [0, 1]');
      const { data, info } = await sharp(path.join(dir, row.overlay)).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [64 + 6 + 12 + 22, 64]);
      const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
      assert.deepEqual(px(64 + 6 + 5, 0), [128, 0, 0], 'jet(1) at the top of the bar');
      assert.deepEqual(px(64 + 6 + 5, 63), [0, 0, 128], 'jet(0) at the bottom of the bar');
    }
    // The predicted class by default (threshold 0.5): its probability is at least 0.5 (cat: 1 - p(dog)).
    for (const row of rows) assert.ok(row.probability >= 0.5, `${row.class} ${row.probability}`);
    const forced = await cli(['explain', 'model.safetensors', 'a/x.png', '--out', 'cam2', '--class', 'cat', '--json']);
    assert.equal(forced.code, 0, forced.err);
    assert.equal(JSON.parse(forced.out)[0].class, 'cat');
    const bad = await cli(['explain', 'model.safetensors', 'a/x.png', '--out', 'cam3', '--class', 'bird']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--class "bird" is not one of the model's classes \(cat, dog\)/);
  } finally {
    removeTempDirs();
  }
});

test('a binary evaluation report shows Grad-CAM overlays in the misclassified gallery and for a sample of correct predictions', async () => {
  const dir = tempDir();
  try {
    manualSeed(3);
    const m = new BinaryClassifier({ arch: 'resnet18' });
    saveModelFile(path.join(dir, 'model.safetensors'), m, { classes: ['cat', 'dog'], positiveClass: 'dog', imageSize: 32, threshold: 0.5 });
    m.dispose();
    for (const [cls, seeds] of [['cat', [1, 2, 3, 4]], ['dog', [5, 6, 7, 8]]] as const) {
      for (const s of seeds) await writePng(path.join(dir, 'data', 'test', cls, `${s}.png`), 30, 24, s);
    }
    const r = await cliIn(dir)(['evaluate', 'model.safetensors', 'data', '--out', 'ev']);
    assert.equal(r.code, 0, r.err);
    const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'ev', 'metrics.json'), 'utf8'));
    const html = fs.readFileSync(path.join(dir, 'ev', 'report.html'), 'utf8');
    const { fp, fn, tp, tn } = metrics.confusion;
    assert.equal((html.match(/Grad-CAM of the prediction/g) ?? []).length, fp + fn, 'every misclassified image shows its overlay');
    const correct = html.match(/<section id="gradcam-correct">[\s\S]*?<\/section>/)?.[0] ?? '';
    assert.equal((correct.match(/<figure>/g) ?? []).length, Math.min(6, tp + tn), 'a sample of correct predictions');
    assert.match(correct, /src="data:image\/png;base64,/);
  } finally {
    removeTempDirs();
  }
});

test('a multi-class evaluation report shows the overlay of the predicted class in the confused-pair gallery and for correct predictions', async () => {
  const dir = tempDir();
  try {
    manualSeed(3);
    const m = new ImageClassifier({ arch: 'resnet18', outputs: 3, activation: 'softmax' });
    saveModelFile(path.join(dir, 'model.safetensors'), m, { task: 'multiclass', classes: ['a', 'b', 'c'], positiveClass: null, imageSize: 32 });
    m.dispose();
    for (const [cls, seeds] of [['a', [1, 2]], ['b', [3, 4]], ['c', [5, 6]]] as const) {
      for (const s of seeds) await writePng(path.join(dir, 'data', 'test', cls, `${s}.png`), 30, 24, s);
    }
    const r = await cliIn(dir)(['evaluate', 'model.safetensors', 'data', '--out', 'ev']);
    assert.equal(r.code, 0, r.err);
    const rows = fs.readFileSync(path.join(dir, 'ev', 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const wrong = rows.filter((x) => x[1] !== x[2]).length;
    assert.ok(wrong > 0 && wrong < rows.length, `the fixture has both kinds of prediction (${wrong} of ${rows.length} wrong)`);
    const html = fs.readFileSync(path.join(dir, 'ev', 'report.html'), 'utf8');
    const errors = html.match(/<section id="errors">[\s\S]*?<\/section>/)?.[0] ?? '';
    assert.equal((errors.match(/Grad-CAM of the prediction/g) ?? []).length, wrong, 'every misclassified image shows its overlay');
    const correct = html.match(/<section id="gradcam-correct">[\s\S]*?<\/section>/)?.[0] ?? '';
    assert.equal((correct.match(/<figure>/g) ?? []).length, rows.length - wrong, 'the correct predictions (6 at most)');
    assert.match(correct, /src="data:image\/png;base64,/);
  } finally {
    removeTempDirs();
  }
});

test('a multi-label evaluation report shows a sample of correct predictions (every label right) with their overlays', async () => {
  const dir = tempDir();
  try {
    manualSeed(3);
    const m = new ImageClassifier({ arch: 'resnet18', outputs: 3, activation: 'sigmoid' });
    const classes = ['sky', 'sea', 'tree'];
    saveModelFile(path.join(dir, 'model.safetensors'), m, { task: 'multilabel', classes, positiveClass: null, thresholds: [0.5, 0.5, 0.5], imageSize: 32 });
    m.dispose();
    const names = [1, 2, 3, 4, 5, 6].map((s) => `img/${s}.png`);
    for (const [i, name] of names.entries()) await writePng(path.join(dir, name), 30, 24, i + 1);
    const cli = cliIn(dir);
    // The labels are the model's own predictions for 4 images (correct), one label toggled for the other 2 (wrong).
    const p = await cli(['predict', 'model.safetensors', ...names, '--json']);
    assert.equal(p.code, 0, p.err);
    const predicted = (JSON.parse(p.out) as { labels: string[] }[]).map((r) => r.labels);
    const toggled = (labels: string[]) => {
      const j = classes.findIndex((c) => !(labels.length === 1 && labels[0] === c));
      return labels.includes(classes[j]!) ? labels.filter((l) => l !== classes[j]) : [...labels, classes[j]!];
    };
    const given = predicted.map((labels, i) => (i < 4 ? labels : toggled(labels)));
    fs.writeFileSync(path.join(dir, 'labels.csv'), ['path,labels,split', ...names.map((n, i) => `${n},${given[i]!.join(';')},test`)].join('\n') + '\n');
    const r = await cli(['evaluate', 'model.safetensors', 'labels.csv', '--out', 'ev']);
    assert.equal(r.code, 0, r.err);
    const rows = fs.readFileSync(path.join(dir, 'ev', 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    assert.equal(rows.filter((x) => x[1] === x[2]).length, 4, 'the fixture has 4 correct predictions and 2 wrong');
    const html = fs.readFileSync(path.join(dir, 'ev', 'report.html'), 'utf8');
    const correct = html.match(/<section id="gradcam-correct">[\s\S]*?<\/section>/)?.[0] ?? '';
    assert.match(correct, /Where the model looked: correct predictions[\s\S]*the most probable predicted label/);
    assert.equal((correct.match(/<figure>/g) ?? []).length, 4, 'one overlay per correct prediction');
    assert.equal((correct.match(/src="data:image\/png;base64,/g) ?? []).length, 4);
    for (const [i, name] of names.slice(0, 4).entries()) {
      assert.ok(correct.includes(name), `${name} is in the section`);
      assert.ok(correct.includes(`labels: <b>${given[i]!.join(';') || 'none'}</b>`), `${name}'s labels`);
    }
    for (const name of names.slice(4)) assert.ok(!correct.includes(name), `${name} (wrong) is not`);
  } finally {
    removeTempDirs();
  }
});
