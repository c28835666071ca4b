// A chart or report write that fails (a full disk, something in the way) leaves no temporary file behind and
// nothing under the real name. Simulated as root too: a folder where the file should be renamed makes the
// rename fail after the temporary file was written completely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { writeCharts, writeReport, confusionFromCounts } from '../src/report/index.js';
import { tempDir } from './helpers/temp.js';

const CLASSES: [string, string] = ['cat', 'dog'];
const ROC = { fpr: [0, 0.25, 1], tpr: [0, 0.75, 1], auc: 0.81 };

test('writeCharts: a failed rename leaves no temporary file in the folder', async () => {
  const dir = tempDir();
  // The ROC's PNG cannot be renamed into place: its name is taken by a folder.
  fs.mkdirSync(path.join(dir, 'roc_curve.png'));
  await assert.rejects(writeCharts(dir, { roc: ROC }), /roc_curve\.png/);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['roc_curve.png', 'roc_curve.svg']);
  assert.ok(fs.statSync(path.join(dir, 'roc_curve.png')).isDirectory());
});

test('writeReport: a failed rename leaves no temporary file; the error names the report', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'report.html');
  fs.mkdirSync(file);
  await assert.rejects(writeReport(file, {
    title: 'x', charts: { confusion: confusionFromCounts(CLASSES, { tn: 1, fp: 0, fn: 0, tp: 1 }, 0.5) },
  }), /report\.html/);
  assert.deepEqual(fs.readdirSync(dir), ['report.html']);
  assert.deepEqual(fs.readdirSync(file), []);
});
