// An evaluation folder written straight from labels and probabilities (no model, no images): for tests of
// what metrics.json and the report say about a given set of predictions.
import fs from 'node:fs';
import path from 'node:path';
import { writeEvaluation } from '../../src/eval/index.js';
import type { ModelMetadata } from '../../src/models/index.js';
import { tempDir } from './temp.js';

export const CLASSES: [string, string] = ['ok', 'defect'];
const metadata = {
  kind: 'tlearn.binary-classifier', formatVersion: 1, arch: 'resnet18', dropout: 0.5, task: 'binary', thresholds: null, classes: CLASSES, positiveClass: 'defect', imageSize: 32,
  resize: 'squash', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], threshold: 0.5, phase: null, epoch: null,
  metrics: {}, weights: null, toolVersion: 'unknown', createdAt: null, extra: {},
} as ModelMetadata;

/** Writes an evaluation of images labelled `labels` (0 = ok, 1 = defect) scored `probabilities`, threshold 0.5. */
export async function evaluateProbabilities(labels: (0 | 1)[], probabilities: number[], prefix = 'tlearn-eval-') {
  const out = tempDir(prefix);
  const items = labels.map((label, i) => ({ path: `/nowhere/${CLASSES[label]}/${i}.png`, relPath: `${CLASSES[label]}/${i}.png`, label }));
  const metrics = await writeEvaluation({ out, items, root: '/nowhere', probabilities: Float64Array.from(probabilities), skipped: [], metadata, threshold: 0.5 });
  const read = (f: string) => fs.readFileSync(path.join(out, f), 'utf8');
  return { out, metrics, read };
}
