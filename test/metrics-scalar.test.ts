// Scalar metrics, Brier, log loss, calibration curve and ECE against scikit-learn.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  accuracy, balancedAccuracy, brierScore, calibrationCurve, eceFromCurve, expectedCalibrationError, f1, logLoss, mcc, precision,
  recall, specificity,
} from '../src/metrics/index.js';
import { runPython } from './helpers/python.js';
import { assertFloat, assertFloats, makeCases } from './metrics-cases.js';

const probCases = makeCases(240, { bothClasses: false, probOnly: true });
const withPred = probCases.map((c, i) => ({ ...c, p: c.s.map((v) => (v >= [0.5, 0.3, 0.9, 1.5][i % 4] ? 1 : 0)) }));

test('accuracy, balanced accuracy, precision, recall, specificity, F1 and MCC equal scikit-learn', () => {
  const res = runPython<Record<string, number>[]>(`
import numpy as np
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, precision_score, recall_score, f1_score,
    matthews_corrcoef, confusion_matrix)
r = []
for c in inp:
    y, p = c['y'], c['p']
    tn, fp, fn, tp = confusion_matrix(y, p, labels=[0, 1]).ravel()
    d = {'acc': accuracy_score(y, p), 'bacc': balanced_accuracy_score(y, p), 'mcc': matthews_corrcoef(y, p),
         'f1_counts': (2.0 * tp / (2.0 * tp + fp + fn)) if 2 * tp + fp + fn else 0.0}
    for zd in ['warn', 0, 1]:
        d[f'prec_{zd}'] = precision_score(y, p, zero_division=zd)
        d[f'rec_{zd}'] = recall_score(y, p, zero_division=zd)
        d[f'spec_{zd}'] = recall_score(y, p, pos_label=0, zero_division=zd)
        d[f'f1_{zd}'] = f1_score(y, p, zero_division=zd)
    r.append({k: float(v) for k, v in d.items()})
out(r)`, withPred);
  withPred.forEach((c, i) => {
    const what = `case ${i} (${c.kind}, n=${c.y.length})`;
    const e = res[i];
    assertFloat(accuracy(c.y, c.p), e.acc, `${what} accuracy`);
    assertFloat(balancedAccuracy(c.y, c.p), e.bacc, `${what} balanced accuracy`);
    assertFloat(mcc(c.y, c.p), e.mcc, `${what} mcc`);
    for (const zd of ['warn', 0, 1] as const) {
      assertFloat(precision(c.y, c.p, { zeroDivision: zd }), e[`prec_${zd}`], `${what} precision zd=${zd}`);
      assertFloat(recall(c.y, c.p, { zeroDivision: zd }), e[`rec_${zd}`], `${what} recall zd=${zd}`);
      assertFloat(specificity(c.y, c.p, { zeroDivision: zd }), e[`spec_${zd}`], `${what} specificity zd=${zd}`);
      // Debian's scikit-learn 1.2 computes F1 as 2PR/(P+R): exact in compat '1.2'.
      assertFloat(f1(c.y, c.p, { zeroDivision: zd, compat: '1.2' }), e[`f1_${zd}`], `${what} f1(1.2) zd=${zd}`);
      // Current scikit-learn: 2tp/(2tp+fp+fn); within a few ulps of the 1.2 formula.
      assertFloat(f1(c.y, c.p, { zeroDivision: zd }), e[`f1_${zd}`], `${what} f1 vs 1.2 zd=${zd}`, 1e-15);
    }
    assertFloat(f1(c.y, c.p, { zeroDivision: 0 }), e.f1_counts, `${what} f1 = 2tp/(2tp+fp+fn)`);
  });
  assert.equal(f1([0, 0], [0, 0], { zeroDivision: 1 }), 1, 'no true and no predicted positive: zeroDivision');
  assert.ok(Number.isNaN(precision([0, 1], [0, 0], { zeroDivision: NaN })));
});

test('brierScore exact and logLoss (1.2 clipping and renormalisation) equal scikit-learn', () => {
  const res = runPython<{ brier: number; ll: number }[]>(`
import numpy as np
from sklearn.metrics import brier_score_loss, log_loss
out([{'brier': float(brier_score_loss(c['y'], np.array(c['s'], dtype=float))),
      'll': float(log_loss(c['y'], np.array(c['s'], dtype=float), labels=[0, 1]))} for c in inp])`, probCases);
  let clipped = 0;
  probCases.forEach((c, i) => {
    const what = `case ${i} (${c.kind}, n=${c.y.length})`;
    assertFloat(brierScore(c.y, c.s), res[i].brier, `${what} brier`);
    // Same operations; only libm's log may differ from V8's in the last bit.
    assertFloat(logLoss(c.y, c.s), res[i].ll, `${what} log loss`, 4e-16);
    if (c.s.some((v, j) => (v === 0 && c.y[j] === 1) || (v === 1 && c.y[j] === 0))) clipped++;
  });
  assert.ok(clipped > 5, 'confidently wrong 0/1 probabilities are covered');
  assert.equal(logLoss([1], [0]), -Math.log(Number.EPSILON), 'p = 0 for a positive costs -log(eps), not Infinity');
  assert.throws(() => logLoss([0, 1], [0.2, 1.2]), /prob\[1\] = 1.2: expected a probability in \[0, 1\]/);
  assert.throws(() => brierScore([0, 1], [-0.1, 0.5]), /prob\[0\]/);
});

test("calibrationCurve equals sklearn calibration_curve ('uniform' and 'quantile'); ECE as documented", () => {
  const configs = [[5, 'uniform'], [10, 'uniform'], [3, 'uniform'], [1, 'uniform'], [5, 'quantile'], [4, 'quantile'], [10, 'quantile']] as const;
  const inputs = probCases.map((c, i) => ({ y: c.y, s: c.s, nBins: configs[i % configs.length][0], strategy: configs[i % configs.length][1] }));
  const res = runPython<{ t: number[]; p: number[]; counts: number[]; ece: number }[]>(`
import numpy as np
from sklearn.calibration import calibration_curve
r = []
for c in inp:
    y, s = np.array(c['y']), np.array(c['s'], dtype=float)
    t, p = calibration_curve(y, s, n_bins=c['nBins'], strategy=c['strategy'])
    # ECE over 10 equal-width bins, from scikit-learn's own binning.
    t10, p10 = calibration_curve(y, s, n_bins=10)
    ids = np.searchsorted(np.linspace(0, 1, 11)[1:-1], s)
    counts = np.bincount(ids, minlength=11)
    counts = counts[counts > 0]
    ece = float(np.sum(counts / len(s) * np.abs(t10 - p10)))
    r.append({'t': t.tolist(), 'p': p.tolist(), 'counts': counts.tolist(), 'ece': ece})
out(r)`, inputs);
  inputs.forEach((c, i) => {
    const what = `case ${i} (n=${c.y.length}, ${c.nBins} ${c.strategy})`;
    const ours = calibrationCurve(c.y, c.s, { nBins: c.nBins, strategy: c.strategy });
    assertFloats(ours.probTrue, res[i].t, `${what} prob_true`);
    assertFloats(ours.probPred, res[i].p, `${what} prob_pred`);
    assert.equal(ours.counts.reduce((a, b) => a + b, 0), c.y.length);
    assertFloats(calibrationCurve(c.y, c.s, { nBins: 10 }).counts, res[i].counts, `${what} counts of 10 bins`);
    assertFloat(expectedCalibrationError(c.y, c.s), res[i].ece, `${what} ECE`, 1e-15);
    assert.equal(eceFromCurve(calibrationCurve(c.y, c.s, { nBins: 10 })), expectedCalibrationError(c.y, c.s), `${what} ECE from the curve`);
  });
  // A probability on an inner edge belongs to the lower bin (searchsorted side='left').
  assert.deepEqual(calibrationCurve([0, 1, 1], [0.2, 0.4, 0.6], { nBins: 5 }).counts, [1, 1, 1]);
  assert.deepEqual(calibrationCurve([0, 1], [0.2, 0.2000001], { nBins: 5 }).counts, [1, 1]);
  assert.equal(expectedCalibrationError([0, 1], [0, 1]), 0);
  assert.equal(expectedCalibrationError([0, 1], [1, 0]), 1);
  assert.throws(() => calibrationCurve([0, 1], [0.5, 0.5], { strategy: 'median' as 'uniform' }), /strategy/);
  assert.throws(() => calibrationCurve([0, 1], [0.5, 0.5], { nBins: 0 }), /nBins/);
  assert.throws(() => eceFromCurve({ probTrue: [0.5], probPred: [0.5], counts: [1, 2] }), /2 counts but 1 probTrue/);
});

test('scalar metrics reject bad input clearly', () => {
  assert.throws(() => accuracy([0, 1], [1]), /yTrue has 2 entries but yPred has 1/);
  assert.throws(() => precision([0, 1], [1, 1], { zeroDivision: 2 }), /zeroDivision = 2/);
  assert.throws(() => mcc([0, -1], [0, 1]), /yTrue\[1\] = -1/);
  assert.throws(() => accuracy([], []), /empty/);
});
