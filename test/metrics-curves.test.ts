// ROC / PR curves, ROC AUC and average precision against scikit-learn, over many awkward inputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auc, averagePrecision, precisionRecallCurve, rocAucScore, rocCurve } from '../src/metrics/index.js';
import { runPython } from './helpers/python.js';
import { assertFloat, assertFloats, makeCases } from './metrics-cases.js';

const cases = makeCases(240);

test('rocCurve equals sklearn roc_curve (drop_intermediate True and False), first threshold +Infinity', () => {
  const res = runPython<{ d: number[][]; k: number[][] }[]>(`
import numpy as np
from sklearn.metrics import roc_curve
r = []
for c in inp:
    d = [a.tolist() for a in roc_curve(c['y'], np.array(c['s'], dtype=float))]
    k = [a.tolist() for a in roc_curve(c['y'], np.array(c['s'], dtype=float), drop_intermediate=False)]
    r.append({'d': d, 'k': k})
out(r)`, cases);
  cases.forEach((c, i) => {
    for (const [drop, exp] of [[true, res[i].d], [false, res[i].k]] as const) {
      const what = `case ${i} (${c.kind}, n=${c.y.length}, drop=${drop})`;
      const ours = rocCurve(c.y, c.s, { dropIntermediate: drop });
      assertFloats(ours.fpr, exp[0], `${what} fpr`);
      assertFloats(ours.tpr, exp[1], `${what} tpr`);
      assert.equal(ours.thresholds[0], Infinity, `${what}: first threshold is +Infinity`);
      // scikit-learn 1.2 writes max(score) + 1 there; everything after it must be identical.
      assertFloat(exp[2][0], Math.max(...c.s) + 1, `${what} sklearn 1.2 first threshold`);
      assertFloats(ours.thresholds.slice(1), exp[2].slice(1), `${what} thresholds`);
      assert.deepEqual(ours.warnings, []);
    }
  });
});

test('rocAucScore equals sklearn roc_auc_score exactly (ties count one half)', () => {
  const res = runPython<number[]>(`
from sklearn.metrics import roc_auc_score
out([float(roc_auc_score(c['y'], c['s'])) for c in inp])`, cases);
  cases.forEach((c, i) => assertFloat(rocAucScore(c.y, c.s), res[i], `case ${i} (${c.kind}, n=${c.y.length})`));
  // A tie between a positive and a negative is worth one half: the textbook check.
  assert.equal(rocAucScore([0, 1], [0.5, 0.5]), 0.5);
  assert.equal(rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
});

test('precisionRecallCurve and averagePrecision equal sklearn exactly', () => {
  const res = runPython<{ p: number[]; r: number[]; t: number[]; ap: number }[]>(`
from sklearn.metrics import precision_recall_curve, average_precision_score
r = []
for c in inp:
    p, rc, t = precision_recall_curve(c['y'], c['s'])
    r.append({'p': p.tolist(), 'r': rc.tolist(), 't': t.tolist(), 'ap': float(average_precision_score(c['y'], c['s']))})
out(r)`, cases);
  cases.forEach((c, i) => {
    const what = `case ${i} (${c.kind}, n=${c.y.length})`;
    const pr = precisionRecallCurve(c.y, c.s);
    assertFloats(pr.precision, res[i].p, `${what} precision`);
    assertFloats(pr.recall, res[i].r, `${what} recall`);
    assertFloats(pr.thresholds, res[i].t, `${what} thresholds`);
    assertFloat(averagePrecision(c.y, c.s), res[i].ap, `${what} AP`);
  });
});

test('one class only: roc_curve gives NaN rates and a warning, roc_auc_score throws, AP as sklearn', () => {
  const oneClass = [
    { y: [1, 1, 1], s: [0.2, 0.7, 0.7] },
    { y: [0, 0, 0, 0], s: [0.1, 0.9, 0.3, 0.3] },
    { y: [1], s: [0.4] },
  ];
  const res = runPython<{ roc: number[][]; aucError: string; ap: number }[]>(`
import warnings
from sklearn.metrics import roc_curve, roc_auc_score, average_precision_score
r = []
for c in inp:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        roc = [a.tolist() for a in roc_curve(c['y'], c['s'])]
        ap = float(average_precision_score(c['y'], c['s']))
    try:
        roc_auc_score(c['y'], c['s']); err = ''
    except ValueError as e:
        err = str(e)
    r.append({'roc': roc, 'aucError': err, 'ap': ap})
out(r)`, oneClass);
  oneClass.forEach((c, i) => {
    const ours = rocCurve(c.y, c.s);
    assertFloats(ours.fpr, res[i].roc[0], `case ${i} fpr`);
    assertFloats(ours.tpr, res[i].roc[1], `case ${i} tpr`);
    assertFloats(ours.thresholds.slice(1), res[i].roc[2].slice(1), `case ${i} thresholds`);
    assert.equal(ours.warnings.length, 1);
    assert.match(ours.warnings[0], c.y[0] === 1 ? /No negative samples/ : /No positive samples/);
    assert.match(res[i].aucError, /Only one class present/);
    assert.throws(() => rocAucScore(c.y, c.s), /Only one class present in yTrue/);
    assertFloat(averagePrecision(c.y, c.s), res[i].ap, `case ${i} AP`);
    assert.ok(!Object.is(averagePrecision(c.y, c.s), -0), 'AP is never -0');
  });
  assert.match(precisionRecallCurve([0, 0], [0.1, 0.2]).warnings[0], /No positive class/);
});

test('curves reject bad input with a clear message', () => {
  assert.throws(() => rocCurve([0, 2], [0.1, 0.2]), /yTrue\[1\] = 2: expected 0 .*or 1/);
  assert.throws(() => rocCurve([0, 1], [0.1, NaN]), /scores\[1\] = NaN: expected a finite number/);
  assert.throws(() => rocCurve([0, 1, 1], [0.1, 0.2]), /same length/);
  assert.throws(() => rocAucScore([], []), /empty/);
  assert.throws(() => auc([0, 1, 0.5], [0, 1, 1]), /neither increasing nor decreasing/);
  assert.equal(auc([1, 0.5, 0], [1, 1, 0]), 0.75, 'decreasing x is integrated with the sign flipped, like sklearn.metrics.auc');
});
