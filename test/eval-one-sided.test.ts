// A model that predicts one class for every image at its threshold: its accuracy is the share of that class
// (0.865 for a 1:8 split looks good), so metrics.json and the report say what happened and what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { writeEvaluation } from '../src/eval/index.js';
import type { ModelMetadata } from '../src/models/index.js';
import { tempDir } from './helpers/temp.js';

const CLASSES: [string, string] = ['ok', 'defect'];
const metadata = {
  kind: 'tlearn.binary-classifier', formatVersion: 1, arch: 'resnet18', dropout: 0.5, classes: CLASSES, positiveClass: 'defect', imageSize: 32,
  resize: 'squash', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], threshold: 0.5, phase: null, epoch: null,
  metrics: {}, weights: null, toolVersion: 'unknown', createdAt: null, extra: {},
} as ModelMetadata;

async function evaluateProbabilities(labels: (0 | 1)[], probabilities: number[]) {
  const out = tempDir('tlearn-one-sided-');
  const items = labels.map((label, i) => ({ path: `/nowhere/${CLASSES[label]}/${i}.png`, relPath: `${CLASSES[label]}/${i}.png`, label }));
  const metrics = await writeEvaluation({ out, items, root: '/nowhere', probabilities: Float64Array.from(probabilities), skipped: [], metadata, threshold: 0.5 });
  return { metrics, html: fs.readFileSync(path.join(out, 'report.html'), 'utf8') };
}

test('every image predicted as one class: a warning that names the class, the threshold and what to do', async () => {
  const labels: (0 | 1)[] = [0, 0, 0, 0, 0, 0, 0, 1];
  const { metrics, html } = await evaluateProbabilities(labels, [0.1, 0.2, 0.3, 0.35, 0.2, 0.1, 0.4, 0.45]);
  const w = metrics.warnings.find((m) => /predicts 'ok' for every image/.test(m));
  assert.ok(w, metrics.warnings.join('\n'));
  assert.match(w!, /threshold 0\.5/);
  assert.match(w!, /accuracy 0\.875 is the share of 'ok'/);
  assert.match(w!, /--threshold-method/);
  assert.ok(html.includes("predicts &#39;ok&#39; for every image") || html.includes("predicts 'ok' for every image"), 'shown in the report');
  // Both predicted classes occur: no such warning.
  const mixed = await evaluateProbabilities(labels, [0.1, 0.2, 0.3, 0.35, 0.2, 0.1, 0.6, 0.45]);
  assert.ok(!mixed.metrics.warnings.some((m) => /for every image/.test(m)));
});
