// Threshold choice, the bootstrap AUC interval and the metrics.json summary, checked against independent
// Python code built on scikit-learn.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aucBootstrapCI, binaryMetrics, chooseThreshold, mulberry32, resampleIndices, rocAucScore, wilsonCI95 } from '../src/metrics/index.js';
import { nextUp } from '../src/metrics/threshold.js';
import { runPython } from './helpers/python.js';
import { assertFloat, assertFloats, makeCases } from './metrics-cases.js';

const cases = makeCases(200, { long: false });
const TARGETS = [0, 0.5, 0.8, 0.9, 0.95, 1];

test('chooseThreshold (youden, f1, sensitivity, specificity targets) equals a brute-force search over sklearn roc_curve', () => {
  const inputs = cases.map((c, i) => ({ ...c, target: TARGETS[i % TARGETS.length] }));
  const res = runPython<Record<string, number>[]>(`
import math
import numpy as np
from fractions import Fraction
from sklearn.metrics import roc_curve
r = []
for c in inp:
    y = np.array(c['y']); s = np.array(c['s'], dtype=float); t = c['target']
    P, N = int(y.sum()), int(len(y) - y.sum())
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    tp = [round(v * P) for v in tpr]; fp = [round(v * N) for v in fpr]
    thr = [math.nextafter(float(s.max()), math.inf)] + thr[1:].tolist()   # index 0: "nothing positive"
    idx = range(len(thr))
    # The earliest (highest threshold) among exact ties, so no float rounding decides.
    youden = min(idx, key=lambda k: (-(Fraction(tp[k], P) - Fraction(fp[k], N)), k))
    f1 = min(idx[1:], key=lambda k: (-Fraction(2 * tp[k], 2 * tp[k] + fp[k] + P - tp[k]), k))
    sens_ok = [k for k in idx if tp[k] / P >= t]
    sens = min(sens_ok, key=lambda k: (fp[k], -tp[k], k))
    spec_ok = [k for k in idx if (N - fp[k]) / N >= t]
    spec = min(spec_ok, key=lambda k: (-tp[k], fp[k], k)) if spec_ok else None
    r.append({'youden': thr[youden], 'f1': thr[f1], 'sens': thr[sens], 'spec': thr[spec] if spec is not None else None})
out(r)`, inputs);
  let clamped = 0;
  inputs.forEach((c, i) => {
    const what = `case ${i} (${c.kind}, n=${c.y.length}, target ${c.target})`;
    const e = res[i];
    const y = chooseThreshold(c.y, c.s, { method: 'youden' });
    assertFloat(y.threshold, e.youden, `${what} youden`);
    assert.ok(Number.isFinite(y.threshold), `${what}: never Infinity`);
    if (y.threshold > Math.max(...c.s)) clamped++;
    assertFloat(chooseThreshold(c.y, c.s, { method: 'f1' }).threshold, e.f1, `${what} f1`);
    const sens = chooseThreshold(c.y, c.s, { method: 'sensitivity', value: c.target });
    assertFloat(sens.threshold, e.sens, `${what} sensitivity`);
    assert.ok(sens.achieved.sensitivity >= c.target, `${what}: achieved sensitivity reaches the target`);
    if (e.spec === null) {
      assert.throws(() => chooseThreshold(c.y, c.s, { method: 'specificity', value: c.target }), /no threshold reaches/);
    } else {
      const spec = chooseThreshold(c.y, c.s, { method: 'specificity', value: c.target });
      assertFloat(spec.threshold, e.spec, `${what} specificity`);
      assert.ok(spec.achieved.specificity >= c.target, `${what}: achieved specificity reaches the target`);
    }
  });
  assert.ok(clamped > 0, 'some case clamps the "nothing positive" choice to a finite threshold');
});

test('chooseThreshold: achieved rates use positive iff score >= threshold and equal scikit-learn at that threshold', () => {
  const inputs = cases.slice(0, 60).map((c, i) => {
    const ch = chooseThreshold(c.y, c.s, { method: (['fixed', 'youden', 'f1'] as const)[i % 3], value: i % 3 === 0 ? 0.5 : undefined });
    return { ...c, threshold: ch.threshold, achieved: ch.achieved };
  });
  const res = runPython<Record<string, number>[]>(`
import numpy as np
from sklearn.metrics import recall_score, precision_score, f1_score, accuracy_score, balanced_accuracy_score, matthews_corrcoef
r = []
for c in inp:
    y = c['y']; p = (np.array(c['s'], dtype=float) >= c['threshold']).astype(int)
    r.append({'sensitivity': recall_score(y, p), 'specificity': recall_score(y, p, pos_label=0),
              'precision': precision_score(y, p) if p.sum() else float('nan'),
              'f1': f1_score(y, p), 'accuracy': accuracy_score(y, p), 'balancedAccuracy': balanced_accuracy_score(y, p),
              'mcc': matthews_corrcoef(y, p)})
out(r)`, inputs.map(({ y, s, threshold }) => ({ y, s, threshold })));
  inputs.forEach((c, i) => {
    for (const k of Object.keys(res[i])) {
      const ours = (c.achieved as unknown as Record<string, number>)[k];
      assertFloat(ours, res[i][k], `case ${i} ${k}`, k === 'f1' || k === 'balancedAccuracy' ? 1e-15 : 0);
    }
    assertFloat(c.achieved.youden, c.achieved.sensitivity + c.achieved.specificity - 1, `case ${i} youden`);
  });
});

test('chooseThreshold: defaults, clamping and errors', () => {
  assert.equal(chooseThreshold([0, 1], [0.2, 0.7]).threshold, 0.5, "default method 'fixed' at 0.5");
  assert.equal(chooseThreshold([0, 1], [0.2, 0.7], { method: 'fixed', value: 0.3 }).threshold, 0.3);
  // Useless scores: the best Youden choice predicts nothing positive; returned as the next double above max.
  const c = chooseThreshold([1, 0, 1, 0], [0.1, 0.9, 0.2, 0.8], { method: 'youden' });
  assert.equal(c.threshold, nextUp(0.9));
  assert.equal(c.achieved.tp + c.achieved.fp, 0);
  assert.equal(chooseThreshold([0, 1], [0, 1], { method: 'specificity', value: 1 }).threshold, 1);
  assert.equal(nextUp(1), 1 + Number.EPSILON);
  assert.equal(nextUp(-1), -1 + Number.EPSILON / 2);
  assert.throws(() => chooseThreshold([1, 1], [0.2, 0.7], { method: 'youden' }), /needs both classes in yTrue, but it has only positives/);
  assert.throws(() => chooseThreshold([0, 1], [0.2, 0.7], { method: 'sensitivity' }), /needs a target rate in \[0, 1\]/);
  assert.throws(() => chooseThreshold([0, 1], [0.2, 0.7], { method: 'best' as 'f1' }), /method = best/);
  assert.throws(() => chooseThreshold([0, 1], [0.2, 0.7], { method: 'fixed', value: Infinity }), /finite/);
});

test('aucBootstrapCI equals percentiles of sklearn roc_auc_score on the same seeded resamples', () => {
  const inputs = cases.filter((_, i) => i % 16 === 0).map((c, i) => ({ ...c, seed: i, nBoot: 100 }));
  const payload = inputs.map((c) => {
    const rng = mulberry32(c.seed);
    return { y: c.y, s: c.s, idx: Array.from({ length: c.nBoot }, () => Array.from(resampleIndices(c.y.length, rng))) };
  });
  const res = runPython<{ lo: number; hi: number; used: number }[]>(`
import numpy as np
from sklearn.metrics import roc_auc_score
r = []
for c in inp:
    y = np.array(c['y']); s = np.array(c['s'], dtype=float)
    aucs = [roc_auc_score(y[i], s[i]) for i in map(np.array, c['idx']) if len(set(y[i].tolist())) == 2]
    lo, hi = np.percentile(aucs, [2.5, 97.5]) if aucs else (float('nan'), float('nan'))
    r.append({'lo': float(lo), 'hi': float(hi), 'used': len(aucs)})
out(r)`, payload);
  inputs.forEach((c, i) => {
    const ci = aucBootstrapCI(c.y, c.s, { nBoot: c.nBoot, seed: c.seed });
    assert.equal(ci.nUsed, res[i].used, `case ${i} resamples used`);
    assert.equal(ci.nUsed + ci.nSkipped, c.nBoot);
    // Our AUC per resample is one exact division; sklearn's trapezoid sum rounds a little differently.
    assertFloat(ci.lo, res[i].lo, `case ${i} lo`, 1e-12);
    assertFloat(ci.hi, res[i].hi, `case ${i} hi`, 1e-12);
  });
  const a = aucBootstrapCI(cases[0].y, cases[0].s, { seed: 5 });
  assert.deepEqual(aucBootstrapCI(cases[0].y, cases[0].s, { seed: 5 }), a, 'same seed, same interval');
  assert.ok(a.lo <= rocAucScore(cases[0].y, cases[0].s) && rocAucScore(cases[0].y, cases[0].s) <= a.hi);
  const one = aucBootstrapCI([1, 1, 1], [0.1, 0.2, 0.3], { nBoot: 10 });
  assert.ok(Number.isNaN(one.lo) && Number.isNaN(one.hi) && one.nSkipped === 10);
  assert.throws(() => aucBootstrapCI([0, 1], [0.1, 0.2], { level: 95 }), /level/);
});

test('binaryMetrics gives the metrics.json structure with scikit-learn values (and scipy\'s Wilson intervals)', () => {
  const inputs = makeCases(40, { probOnly: true, long: false, seed: 4 }).map((c, i) => ({ ...c, threshold: [0.5, 0.3, 0.7][i % 3] }));
  const res = runPython<Record<string, unknown>[]>(`
import numpy as np
from scipy.stats import binomtest
from sklearn import metrics as M
r = []
for c in inp:
    y = np.array(c['y']); s = np.array(c['s'], dtype=float); p = (s >= c['threshold']).astype(int)
    tn, fp, fn, tp = M.confusion_matrix(y, p, labels=[0, 1]).ravel()
    fpr, tpr, thr = M.roc_curve(y, s)
    r.append({'auc': M.roc_auc_score(y, s), 'accuracy': M.accuracy_score(y, p), 'balanced_accuracy': M.balanced_accuracy_score(y, p),
        'precision': M.precision_score(y, p, zero_division=0), 'recall': M.recall_score(y, p, zero_division=0),
        'specificity': M.recall_score(y, p, pos_label=0, zero_division=0), 'mcc': M.matthews_corrcoef(y, p),
        'npv': M.precision_score(y, p, pos_label=0, zero_division=0),
        # 95 % Wilson intervals of accuracy, precision, recall, specificity and npv (None without a denominator).
        'ci': {k: (list(binomtest(int(a), int(b)).proportion_ci(method='wilson')) if b else None) for k, (a, b) in {
            'accuracy': (tp + tn, len(y)), 'precision': (tp, tp + fp), 'recall': (tp, tp + fn), 'specificity': (tn, tn + fp), 'npv': (tn, tn + fn)}.items()},
        'average_precision': M.average_precision_score(y, s), 'brier': M.brier_score_loss(y, s),
        'log_loss': M.log_loss(y, s, labels=[0, 1]), 'f1_counts': 2.0 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0,
        'confusion': {'tn': int(tn), 'fp': int(fp), 'fn': int(fn), 'tp': int(tp)},
        'report': M.classification_report(y, p, labels=[0, 1], target_names=['cat', 'dog'], output_dict=True, zero_division=0),
        'roc': [fpr.tolist(), tpr.tolist(), thr[1:].tolist()]})
out(r)`, inputs);
  inputs.forEach((c, i) => {
    const what = `case ${i} (${c.kind}, n=${c.y.length})`;
    const m = binaryMetrics(c.y, c.s, c.threshold, { classes: ['cat', 'dog'], bootstrap: { nBoot: 100 } });
    const e = res[i] as Record<string, any>;
    assert.equal(m.n, c.y.length);
    assert.deepEqual(m.classes, ['cat', 'dog']);
    assert.equal(m.positive_class, 'dog');
    assert.equal(m.threshold, c.threshold);
    for (const k of ['auc', 'accuracy', 'balanced_accuracy', 'precision', 'recall', 'specificity', 'npv', 'mcc', 'average_precision', 'brier']) {
      assertFloat((m as any)[k], e[k], `${what} ${k}`);
    }
    assertFloat(m.log_loss, e.log_loss, `${what} log_loss`, 4e-16);
    assertFloat(m.f1, e.f1_counts, `${what} f1`);
    assert.deepEqual(m.confusion, e.confusion);
    assert.deepEqual(Object.keys(m.classification_report), Object.keys(e.report));
    assert.equal(m.classification_report.accuracy, e.report.accuracy);
    assert.equal((m.classification_report.dog as any).support, e.report.dog.support);
    assert.equal(m.roc.thresholds[0], null, '+Infinity is written as null');
    assertFloats(m.roc.fpr as number[], e.roc[0], `${what} roc fpr`);
    assertFloats(m.roc.tpr as number[], e.roc[1], `${what} roc tpr`);
    assertFloats(m.roc.thresholds.slice(1) as number[], e.roc[2], `${what} roc thresholds`);
    const ci = aucBootstrapCI(c.y, c.s, { nBoot: 100 });
    assert.deepEqual(m.auc_ci95, [ci.lo, ci.hi]);
    for (const [k, want] of Object.entries(e.ci as Record<string, [number, number] | null>)) {
      const got = (m as unknown as Record<string, [number, number] | null>)[`${k}_ci95`]!;
      if (want === null) assert.equal(got, null, `${what} ${k}_ci95: no denominator`);
      else assertFloats(got, want, `${what} ${k}_ci95 (Wilson)`, 1e-14);
    }
    assert.ok(!JSON.stringify(m).includes('Infinity') && !JSON.stringify(m).includes('NaN'));
  });
  // One class: AUC and its interval are null, the ROC's undefined rates too, with warnings saying why.
  const one = binaryMetrics([1, 1, 1], [0.6, 0.7, 0.9], 0.5);
  assert.equal(one.auc, null);
  assert.deepEqual(one.auc_ci95, [null, null]);
  assert.ok(one.roc.fpr.every((v) => v === null));
  assert.ok(one.warnings.some((w) => /Only one class present/.test(w)));
  // Only class 1 occurs in labels and predictions: sklearn (labels=[0, 1]) then says 'micro avg', not 'accuracy'.
  assert.deepEqual(Object.keys(one.classification_report), ['0', '1', 'micro avg', 'macro avg', 'weighted avg']);
  assert.throws(() => binaryMetrics([0, 1], [0.2, 0.6], 0.5, { classes: ['a'] }), /two class names/);
  assert.throws(() => binaryMetrics([0, 1], [0.2, 0.6], NaN), /threshold/);
  // Wilson at the edges: no denominator, none right (lower bound 0), all right (upper bound 1); counts are checked.
  assert.equal(wilsonCI95(0, 0), null);
  assert.equal(wilsonCI95(0, 5)![0], 0);
  assert.equal(wilsonCI95(5, 5)![1], 1);
  assert.throws(() => wilsonCI95(6, 5), /0 <= k <= n, got k = 6, n = 5/);
});
