// bench/train_protocol_multi_reference.py, the PyTorch reference of the multi-class and multi-label protocol
// that the benchmark and the parity tests compare tlearn with: it reads both data layouts, weights its loss as
// documented, and its test metrics agree with tlearn's own (sklearn-equal) metrics on its printed probabilities.
// Tiny: resnet18 from random init, 16 px, 1+1 epochs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { multiclassRocAuc } from '../src/metrics/multiclass.js';
import { multilabelRocAuc, subsetAccuracy } from '../src/metrics/multilabel.js';
import { PYTHON } from './helpers/python.js';
import { tempDir } from './helpers/temp.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = here.split(path.sep).slice(-2).join('/') === 'dist/test' ? path.resolve(here, '../..') : path.resolve(here, '..');
const script = path.join(root, 'bench/train_protocol_multi_reference.py');

/** An 8x8 RGB PNG whose colour depends on `k`. */
async function png(file: string, k: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const px = Buffer.alloc(8 * 8 * 3);
  for (let i = 0; i < px.length; i++) px[i] = (k * 53 + i * (1 + (k % 5))) % 256;
  await sharp(px, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(file);
}

interface Result {
  task: string; classes: string[]; weights_used: number[] | null; test_auc: number; test_accuracy: number;
  final: { phase: string; epoch: number; val_auc: number }; history: { phase: string; epoch: number; val_auc: number }[];
  test_paths: string[]; test_probabilities: number[][]; test_targets: (number | number[])[];
}

function reference(cfg: Record<string, unknown>): { status: number | null; lines: string[]; stderr: string } {
  const r = spawnSync(PYTHON, [script, JSON.stringify({
    arch: 'resnet18', size: 16, batch: 4, epochs1: 1, epochs2: 1, threads: 1, seed: 0, predictions: true, ...cfg,
  })], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  return { status: r.status, lines: r.stdout.trim().split('\n'), stderr: r.stderr };
}

function checkHistory(lines: string[], res: Result): void {
  // One JSON line per epoch as it ends, the same rows as the result's history.
  const epochs = lines.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(epochs.map(({ event, ...row }) => { assert.equal(event, 'epoch'); return row; }), res.history);
  assert.deepEqual(res.history.map((h) => [h.phase, h.epoch]), [['phase1', 1], ['phase2', 1]]);
  assert.equal(res.final.val_auc, Math.max(...res.history.map((h) => h.val_auc)));
}

test('multiclass reference: split folders, balanced class weights, test accuracy and ovr AUC as tlearn computes them', async () => {
  const dir = tempDir('tlearn-multiref-');
  // Uneven training classes (6, 4, 2) so that the balanced weights differ; 2 per class in val and test.
  const counts: Record<string, Record<string, number>> = { train: { cat: 6, dog: 4, eel: 2 }, val: { cat: 2, dog: 2, eel: 2 }, test: { cat: 2, dog: 2, eel: 2 } };
  let k = 0;
  for (const [split, per] of Object.entries(counts)) {
    for (const [cls, n] of Object.entries(per)) for (let i = 0; i < n; i++) await png(path.join(dir, split, cls, `${i}.png`), k++);
  }
  const r = reference({ task: 'multiclass', data: dir, class_weight: 'balanced', label_smoothing: 0.1 });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.lines.at(-1)!) as Result;
  assert.deepEqual(res.classes, ['cat', 'dog', 'eel']);
  // sklearn's compute_class_weight('balanced'): n / (C * count).
  assert.deepEqual(res.weights_used!.map((w) => +w.toFixed(6)), [12 / 18, 1, 2].map((w) => +w.toFixed(6)));
  checkHistory(r.lines, res);
  const y = res.test_targets as number[];
  assert.deepEqual(y, [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(res.test_paths.map((p) => path.relative(dir, p)), ['test/cat/0.png', 'test/cat/1.png', 'test/dog/0.png', 'test/dog/1.png', 'test/eel/0.png', 'test/eel/1.png']);
  for (const p of res.test_probabilities) assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'softmax rows sum to 1');
  const argmax = res.test_probabilities.map((p) => p.indexOf(Math.max(...p)));
  assert.equal(res.test_accuracy, argmax.filter((c, i) => c === y[i]).length / y.length);
  assert.ok(Math.abs(res.test_auc - multiclassRocAuc(y, res.test_probabilities)) < 1e-12);
});

test('multiclass reference on 2 classes (softmax over 2, as --task multiclass allows): the AUC of the second class', async () => {
  const dir = tempDir('tlearn-multiref-');
  let k = 0;
  for (const [split, n] of [['train', 4], ['val', 3], ['test', 3]] as const) {
    for (const cls of ['no', 'yes']) for (let i = 0; i < n; i++) await png(path.join(dir, split, cls, `${i}.png`), k++);
  }
  const r = reference({ task: 'multiclass', data: dir, epochs2: 0 });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.lines.at(-1)!) as Result;
  assert.deepEqual(res.classes, ['no', 'yes']);
  assert.equal(res.history.length, 1);
  assert.ok(Math.abs(res.test_auc - multiclassRocAuc(res.test_targets as number[], res.test_probabilities)) < 1e-12);
});

test('multilabel reference: a CSV with ";" labels and a split column, pos_weight auto per label, subset accuracy and macro AUC', async () => {
  const dir = tempDir('tlearn-multiref-');
  // Labels per image, cycling so that each label has positives and negatives in every split.
  const sets = ['a;b', 'a', 'b;c', 'c', '', 'a;c'];
  const rows = ['path,label,split,bytes'];
  let k = 0;
  const train: string[] = [];
  for (const [split, n] of [['train', 12], ['val', 6], ['test', 6]] as const) {
    for (let i = 0; i < n; i++) {
      const rel = `img/${split}-${i}.png`;
      await png(path.join(dir, rel), k++);
      const labels = sets[i % sets.length]!;
      if (split === 'train') train.push(labels);
      // A quoted field, as a CSV writer quotes it.
      rows.push(`${rel},${labels.includes(';') ? `"${labels}"` : labels},${split},0`);
    }
  }
  fs.writeFileSync(path.join(dir, 'labels.csv'), rows.join('\n') + '\n');
  const r = reference({ task: 'multilabel', data: path.join(dir, 'labels.csv'), pos_weight: 'auto' });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.lines.at(-1)!) as Result;
  assert.deepEqual(res.classes, ['a', 'b', 'c']);
  const pos = res.classes.map((c) => train.filter((l) => l.split(';').includes(c)).length);
  assert.deepEqual(res.weights_used!.map((w) => +w.toFixed(6)), pos.map((p) => +((12 - p) / p).toFixed(6)));
  checkHistory(r.lines, res);
  const y = res.test_targets as number[][];
  assert.deepEqual(y.map((row) => res.classes.filter((_, j) => row[j] === 1).join(';')), sets);
  const predicted = res.test_probabilities.map((p) => p.map((v) => (v >= 0.5 ? 1 : 0)));
  assert.equal(res.test_accuracy, subsetAccuracy(y, predicted));
  assert.ok(Math.abs(res.test_auc - multilabelRocAuc(y, res.test_probabilities)) < 1e-12);

  // Without the split column the reference cannot replay tlearn's split: it says so.
  fs.writeFileSync(path.join(dir, 'nosplit.csv'), 'path,label\nimg/train-0.png,a\n');
  const bad = reference({ task: 'multilabel', data: path.join(dir, 'nosplit.csv') });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /nosplit\.csv: no 'split' column/);
});
