// classification_report (text byte for byte, output_dict) and confusion matrices against scikit-learn.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binaryConfusion, classificationReport, confusionMatrix, type ClassificationReportOptions } from '../src/metrics/index.js';
import { runPython } from './helpers/python.js';
import { makeCases } from './metrics-cases.js';
import { assertDictEqual, PY_SKLEARN_CURRENT } from './metrics-multi-cases.js';

interface ReportCase {
  y: number[];
  p: number[];
  targetNames?: string[];
  labels?: number[];
  digits: number;
  zd: 'warn' | 0 | 1 | 'nan';
}

const NAME_SETS: (string[] | undefined)[] = [undefined, ['neg', 'pos'], ['cat', 'a much longer class name'], ['é', '😀 dog'], ['0', '1']];
const DIGITS = [2, 0, 1, 3, 4, 13];

/** Predictions from thresholds and at random, with some cases where only one class occurs at all. */
function reportCases(zds: ReportCase['zd'][]): ReportCase[] {
  const out: ReportCase[] = [];
  makeCases(200, { bothClasses: false, long: false, seed: 99 }).forEach((c, i) => {
    const thr = [0.5, 0.3, 0.8, 2, -1][i % 5]; // 2 and -1: nothing / everything predicted positive
    const p = c.s.map((v) => (v >= thr ? 1 : 0));
    const labels = i % 7 === 3 ? [0, 1] : i % 11 === 5 ? [1, 0] : undefined;
    const present = new Set([...c.y, ...p]).size;
    let targetNames = NAME_SETS[i % NAME_SETS.length];
    if (targetNames && !labels && present < 2) targetNames = undefined; // sklearn would raise; tested apart
    out.push({ y: c.y, p, labels, targetNames, digits: DIGITS[i % DIGITS.length], zd: zds[i % zds.length] });
  });
  out.push({ y: [1, 1, 1], p: [1, 1, 1], digits: 2, zd: 'warn' }); // one label in all: a one-row report
  out.push({ y: [1, 1, 1], p: [1, 1, 1], labels: [0, 1], targetNames: ['neg', 'pos'], digits: 2, zd: 1 }); // 'micro avg'
  out.push({ y: [0, 0], p: [0, 0], labels: [0, 1], digits: 3, zd: 0 });
  return out;
}

const toOpts = (c: ReportCase): ClassificationReportOptions => ({
  labels: c.labels, targetNames: c.targetNames, digits: c.digits, zeroDivision: c.zd === 'nan' ? NaN : c.zd,
});

const PY_PREP = `
import numpy as np
from sklearn.metrics import classification_report
def zd(v): return float('nan') if v == 'nan' else v
def report(c, **kw):
    args = dict(labels=c.get('labels'), target_names=c.get('targetNames'), digits=c['digits'], zero_division=zd(c['zd']))
    return classification_report(c['y'], c['p'], **args, **kw)
`;

test("classificationReport(compat '1.2') text and dict equal scikit-learn 1.2's byte for byte", () => {
  const cases = reportCases(['warn', 0, 1]);
  const res = runPython<{ text: string; dict: Record<string, unknown> }[]>(`${PY_PREP}
out([{'text': report(c), 'dict': report(c, output_dict=True)} for c in inp])`, cases);
  cases.forEach((c, i) => {
    const what = `case ${i} ${JSON.stringify({ ...c, y: undefined, p: undefined })}`;
    assert.equal(classificationReport(c.y, c.p, { ...toOpts(c), compat: '1.2' }), res[i].text, what);
    assertDictEqual(classificationReport(c.y, c.p, { ...toOpts(c), compat: '1.2', outputDict: true }), res[i].dict, what);
  });
  // The dict's key order is Python's for non-numeric names.
  const d = classificationReport([0, 1, 1], [0, 1, 0], { targetNames: ['neg', 'pos'], outputDict: true });
  assert.deepEqual(Object.keys(d), ['neg', 'pos', 'accuracy', 'macro avg', 'weighted avg']);
});

test("classificationReport (default compat 'current') equals scikit-learn >= 1.4 arithmetic, zero_division NaN included", () => {
  const cases = reportCases(['warn', 0, 1, 'nan']);
  const res = runPython<{ text: string; dict: Record<string, unknown> }[]>(`${PY_PREP}${PY_SKLEARN_CURRENT}
out([{'text': report(c), 'dict': report(c, output_dict=True)} for c in inp])`, cases);
  let nanSeen = 0;
  cases.forEach((c, i) => {
    const what = `case ${i} ${JSON.stringify({ ...c, y: undefined, p: undefined })}`;
    const text = classificationReport(c.y, c.p, toOpts(c));
    assert.equal(text, res[i].text, what);
    if (text.includes('nan')) nanSeen++;
    assertDictEqual(classificationReport(c.y, c.p, { ...toOpts(c), outputDict: true }), res[i].dict, what);
  });
  assert.ok(nanSeen > 0, 'some case exercises zero_division=NaN in the text');
});

test('classificationReport: F1 of the two compat modes differs only as the two formulas do', () => {
  // tp=1, fp=4, fn=10: P=0.2, R=1/11; 2PR/(P+R) and 2tp/(2tp+fp+fn) round differently.
  const y = [1, ...Array(10).fill(1), ...Array(4).fill(0), 0];
  const p = [1, ...Array(10).fill(0), ...Array(4).fill(1), 0];
  const cur = classificationReport(y, p, { outputDict: true })['1'] as { 'f1-score': number };
  const old = classificationReport(y, p, { outputDict: true, compat: '1.2' })['1'] as { 'f1-score': number };
  assert.equal(cur['f1-score'], 2 / 16);
  assert.equal(old['f1-score'], (2 * 0.2 * (1 / 11)) / (0.2 + 1 / 11));
});

test('classificationReport errors and warnings', () => {
  assert.throws(() => classificationReport([1, 1], [1, 1], { targetNames: ['neg', 'pos'] }),
    /Number of classes, 1, does not match size of target_names, 2/);
  assert.throws(() => classificationReport([0, 1], [0, 1], { digits: -1 }), /digits/);
  assert.throws(() => classificationReport([0, 1], [0, 1], { zeroDivision: 0.5 }), /zeroDivision/);
  assert.throws(() => classificationReport([0, 1], [0, 1], { zeroDivision: NaN, compat: '1.2' }), /NaN needs compat/);
  assert.throws(() => classificationReport([0, 1], [0], {}), /same length/);
  assert.throws(() => classificationReport([0, 1], [0, 1], { labels: [0, 0] }), /duplicates/);
  const warnings: string[] = [];
  classificationReport([0, 1, 1], [0, 0, 0], { warnings });
  assert.deepEqual(warnings, ['Precision is ill-defined and being set to 0.0 in labels with no predicted samples. ' +
    'Use `zero_division` parameter to control this behavior.']);
});

test('confusionMatrix and binaryConfusion equal sklearn confusion_matrix', () => {
  const cases = reportCases(['warn']);
  const res = runPython<{ m: number[][]; m01: number[][] }[]>(`
from sklearn.metrics import confusion_matrix
out([{'m': confusion_matrix(c['y'], c['p']).tolist(), 'm01': confusion_matrix(c['y'], c['p'], labels=[0, 1]).tolist()} for c in inp])`, cases);
  cases.forEach((c, i) => {
    assert.deepEqual(confusionMatrix(c.y, c.p).matrix, res[i].m, `case ${i}`);
    const { tn, fp, fn, tp } = binaryConfusion(c.y, c.p);
    assert.deepEqual([[tn, fp], [fn, tp]], res[i].m01, `case ${i} (tn, fp, fn, tp)`);
  });
  assert.deepEqual(confusionMatrix([0, 1, 1], [1, 1, 0], { labels: [1, 0] }).matrix, [[1, 1], [1, 0]]);
  assert.throws(() => confusionMatrix([0, 0], [0, 1], { labels: [1] }), /at least one label must occur in yTrue/);
  assert.throws(() => binaryConfusion([0, 1], [0, 0.5]), /yPred\[1\] = 0.5/);
});
