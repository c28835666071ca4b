// Multiclass metrics against Debian's scikit-learn on seeded random problems (metrics-multi-cases.ts):
// one Python run computes every expected value, each test compares one family.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  classificationReport, multiclassAccuracy, multiclassBalancedAccuracy, multiclassConfusionMatrix, multiclassLogLoss,
  multiclassPrf, multiclassPrfPerClass, multiclassRocAuc, ovrRocAucPerClass, topKAccuracy, type ZeroDivision,
} from '../src/metrics/index.js';
import { runPython } from './helpers/python.js';
import { assertFloat, assertFloats } from './metrics-cases.js';
import { assertDictEqual, makeMulticlassCases, PY_SKLEARN_CURRENT, valueOrError, pyOracleHelpers, type MulticlassCase } from './metrics-multi-cases.js';

const NAMES = [['cat', 'dog', 'bird', 'fish', 'horse', 'mouse', 'owl', 'pig', 'rat', 'seal', 'toad', 'wolf'],
  ['é', '😀 smile', 'a much longer class name', 'x', 'y', 'z', 'q', 'w', 'e', 'r', 't', 'u']];
const DIGITS = [2, 0, 1, 3, 4, 13];

interface Input extends MulticlassCase {
  /** Not probabilities: 4·p - 1 (top-k needs no normalisation; C = 2 then thresholds at 0). */
  scores: number[][];
  /** Labels option of the per-class scores and the report: none, all classes, or a reordered subset. */
  labels: number[] | null;
  targetNames: string[] | null;
  digits: number;
  zd: 'warn' | 0 | 1 | 'nan';
}

const cases: Input[] = makeMulticlassCases().map((c, i) => {
  const all = Array.from({ length: c.c }, (_, j) => j);
  const labels = [null, all, all.slice().reverse().slice(0, Math.max(1, c.c - 1))][i % 3];
  const present = new Set([...c.y, ...c.p]).size;
  const count = labels ? labels.length : present;
  const targetNames = i % 4 === 1 || (i % 4 === 2 && (labels || present === c.c)) ? NAMES[i % 2].slice(0, count) : null;
  return {
    ...c, scores: c.proba.map((r) => r.map((v) => 4 * v - 1)), labels, targetNames,
    digits: DIGITS[i % DIGITS.length], zd: (['warn', 0, 1, 'nan'] as const)[i % 4],
  };
});

const PY = `
import warnings
import numpy as np
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, precision_recall_fscore_support,
    top_k_accuracy_score, log_loss, roc_auc_score, confusion_matrix, classification_report)
${pyOracleHelpers(['micro', 'macro', 'weighted'])}
def report(c, zd, **kw):
    return classification_report(c['y'], c['p'], labels=c['labels'], target_names=c['targetNames'], digits=c['digits'],
        zero_division=zd, **kw)
res = []
for c in inp:
    y, p, P, S = np.array(c['y']), np.array(c['p']), np.array(c['proba'], dtype=float), np.array(c['scores'], dtype=float)
    K = c['c']; L = list(range(K))
    d = {'acc': accuracy_score(y, p), 'cm': confusion_matrix(y, p, labels=L).tolist(), 'll': log_loss(y, P, labels=L)}
    d['bacc'], d['bacc_w'] = caught(lambda: balanced_accuracy_score(y, p))
    d['topk'] = [top_k_accuracy_score(y, P if K > 2 else P[:, 1], k=k, labels=L) for k in range(1, K + 1)]
    d['topk_scores'] = [top_k_accuracy_score(y, S if K > 2 else S[:, 1], k=k, labels=L) for k in range(1, K + 1)]
    if K > 2:
        d['auc'] = {str(a): err(lambda: roc_auc_score(y, P, multi_class='ovr', average=a, labels=L)) for a in ['macro', 'weighted', 'micro', None]}
    else:
        d['auc'] = {a: err(lambda: roc_auc_score(y, P[:, 1])) for a in ['macro', 'weighted', 'micro']}
        d['auc']['None'] = [err(lambda: roc_auc_score((y == j).astype(int), P[:, j])) for j in range(2)]
    d['prf'] = {}
    d['prf_w'] = {}
    zd12 = c['zd'] if c['zd'] != 'nan' else 0
    for zd, lab in [('warn', 'none'), (0, 'none'), (1, 'none'), (zd12, 'all'), (zd12, 'given')]:
        labels = None if lab == 'none' else L if lab == 'all' else c['labels']
        d['prf'][f'{zd}_{lab}'], d['prf_w'][f'{zd}_{lab}'] = caught(lambda: prfs(precision_recall_fscore_support, y, p, labels, zd))
    zd = c['zd'] if c['zd'] != 'nan' else 0
    (d['text12'], d['report_w']), d['dict12'] = caught(lambda: report(c, zd)), report(c, zd, output_dict=True)
    res.append(d)
${PY_SKLEARN_CURRENT}
for c, d in zip(inp, res):
    y, p = np.array(c['y']), np.array(c['p'])
    zd = float('nan') if c['zd'] == 'nan' else c['zd']
    d['text'], d['dict'] = report(c, zd), report(c, zd, output_dict=True)
    d['prf_cur'] = {str(zd): prfs(C.precision_recall_fscore_support, y, p, c['labels'], zd) for zd in [c['zd'] if c['zd'] != 'nan' else 'warn', float('nan')]}
out(res)`;

interface Prfs { per: number[][]; micro: number[]; macro: number[]; weighted: number[] }
interface Expected {
  acc: number; bacc: number; bacc_w: string[]; cm: number[][]; ll: number; topk: number[]; topk_scores: number[];
  auc: Record<string, number | number[] | string | (number | string)[]>;
  prf: Record<string, Prfs>; prf_w: Record<string, string[]>; prf_cur: Record<string, Prfs>;
  text12: string; dict12: Record<string, unknown>; report_w: string[]; text: string; dict: Record<string, unknown>;
}

let expected: Expected[] | undefined;
const oracle = (): Expected[] => (expected ??= runPython<Expected[]>(PY, cases));
const what = (c: Input, i: number) => `case ${i} (${c.kind}, C=${c.c}, N=${c.y.length})`;

test('multiclass accuracy, balanced accuracy and the C×C confusion matrix equal scikit-learn', () => {
  const exp = oracle();
  let predictedOnly = 0;
  cases.forEach((c, i) => {
    assertFloat(multiclassAccuracy(c.y, c.p), exp[i].acc, `${what(c, i)} accuracy`);
    const warnings: string[] = [];
    assertFloat(multiclassBalancedAccuracy(c.y, c.p, { warnings }), exp[i].bacc, `${what(c, i)} balanced accuracy`);
    assert.deepEqual(warnings, exp[i].bacc_w, `${what(c, i)} balanced accuracy warnings`);
    if (warnings.length) predictedOnly++;
    assert.deepEqual(multiclassConfusionMatrix(c.y, c.p, c.c), exp[i].cm, `${what(c, i)} confusion matrix`);
  });
  assert.ok(predictedOnly > 0, 'some case predicts a class absent from yTrue');
});

test('multiclass precision, recall and F1 (per class, micro, macro, weighted; labels; zero_division) equal scikit-learn', () => {
  const exp = oracle();
  const check = (got: { precision: number; recall: number; f1: number }, e: number[], w: string) => {
    assertFloat(got.precision, e[0], `${w} precision`);
    assertFloat(got.recall, e[1], `${w} recall`);
    assertFloat(got.f1, e[2], `${w} f1`);
  };
  const run = (c: Input, i: number, e: Prfs, opts: { zeroDivision: ZeroDivision; compat: 'current' | '1.2'; labels?: number[] },
    tag: string, expectWarnings?: string[]) => {
    const w = `${what(c, i)} ${tag}`;
    const warnings: string[] = [];
    const per = multiclassPrfPerClass(c.y, c.p, { ...opts, warnings });
    assertFloats(per.precision, e.per[0], `${w} per-class precision`);
    assertFloats(per.recall, e.per[1], `${w} per-class recall`);
    assertFloats(per.f1, e.per[2], `${w} per-class f1`);
    assert.deepEqual(per.support, e.per[3], `${w} support`);
    for (const a of ['micro', 'macro', 'weighted'] as const) {
      check(multiclassPrf(c.y, c.p, a, { ...opts, warnings }), e[a], `${w} ${a}`);
    }
    if (expectWarnings) assert.deepEqual(warnings, expectWarnings, `${w} warnings`);
  };
  cases.forEach((c, i) => {
    const all = Array.from({ length: c.c }, (_, j) => j);
    const zd12 = c.zd === 'nan' ? 0 : c.zd;
    const labelsOf = { none: undefined, all, given: c.labels ?? undefined };
    for (const [zd, lab] of [['warn', 'none'], [0, 'none'], [1, 'none'], [zd12, 'all'], [zd12, 'given']] as const) {
      const key = `${zd}_${lab}`;
      run(c, i, exp[i].prf[key], { zeroDivision: zd, compat: '1.2', labels: labelsOf[lab] }, `1.2 ${key}`, exp[i].prf_w[key]);
    }
    for (const zd of [c.zd === 'nan' ? 'warn' : c.zd, NaN]) {
      run(c, i, exp[i].prf_cur[String(zd).toLowerCase()], { zeroDivision: zd, compat: 'current', labels: c.labels ?? undefined },
        `current zd=${zd}`);
    }
  });
});

test('topKAccuracy equals top_k_accuracy_score for every k, ties and C = 2 included', () => {
  const exp = oracle();
  let perfect = 0;
  cases.forEach((c, i) => {
    for (let k = 1; k <= c.c; k++) {
      const warnings: string[] = [];
      assertFloat(topKAccuracy(c.y, c.proba, k, { warnings }), exp[i].topk[k - 1], `${what(c, i)} top-${k} (proba)`);
      assertFloat(topKAccuracy(c.y, c.scores, k), exp[i].topk_scores[k - 1], `${what(c, i)} top-${k} (scores)`);
      if (k === c.c) { assert.equal(warnings.length, 1, 'k >= C warns'); perfect++; }
    }
  });
  assert.ok(perfect > 0);
  // Of tied scores the higher class index ranks first (stable argsort, reversed).
  assert.equal(topKAccuracy([0, 2], [[0.4, 0.2, 0.4], [0.4, 0.2, 0.4]], 1), 0.5);
});

test('multiclassLogLoss equals log_loss(labels=range(C)) with 1.2 clipping and renormalisation', () => {
  const exp = oracle();
  let clipped = 0;
  cases.forEach((c, i) => {
    // Same operations; only libm's log may differ from V8's in the last bit.
    assertFloat(multiclassLogLoss(c.y, c.proba), exp[i].ll, `${what(c, i)} log loss`, 1e-15);
    if (c.proba.some((r, n) => r[c.y[n]] === 0)) clipped++;
  });
  assert.ok(clipped > 3, 'confidently wrong 0 probabilities are covered');
  assert.ok(Math.abs(multiclassLogLoss([0], [[0, 0, 1]]) - -Math.log(Number.EPSILON)) < 1e-12, 'p = 0 costs -log(eps), not Infinity');
});

test("multiclassRocAuc (one-vs-rest macro, weighted, micro; per class) equals roc_auc_score(multi_class='ovr') and throws where it raises", () => {
  const exp = oracle();
  let raised = 0;
  cases.forEach((c, i) => {
    for (const a of ['macro', 'weighted', 'micro'] as const) {
      const got = valueOrError(() => multiclassRocAuc(c.y, c.proba, { average: a }));
      const e = exp[i].auc[a];
      const w = `${what(c, i)} auc ${a}`;
      if (typeof e === 'string') {
        assert.match(String(got), /^ERROR: (class \d+ does not occur in yTrue|every sample of yTrue is class)/, `${w}: sklearn raised ${e}`);
        raised++;
      } else {
        assert.equal(typeof got, 'number', `${w}: ${String(got)}`);
        assertFloat(got as number, e as number, w);
      }
    }
    const per = valueOrError(() => ovrRocAucPerClass(c.y, c.proba));
    const e = exp[i].auc.None;
    const eList = Array.isArray(e) ? e : [e];
    if (eList.some((v) => typeof v === 'string')) assert.match(String(per), /^ERROR: /, `${what(c, i)} per class`);
    else assertFloats(per as number[], eList as number[], `${what(c, i)} auc per class`);
  });
  assert.ok(raised > 5, 'absent classes are covered');
  assert.throws(() => multiclassRocAuc([0, 1, 1], [[0.5, 0.5, 0], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]),
    /class 2 does not occur in yTrue: its one-vs-rest ROC AUC is not defined/);
  assert.throws(() => multiclassRocAuc([0, 1, 2], [[0.5, 0.4, 0], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]),
    /proba\[0\] sums to 0.9, not 1: expected class probabilities/);
});

test('classificationReport of multiclass data is byte-identical to scikit-learn (1.2 and current arithmetic)', () => {
  const exp = oracle();
  let microRows = 0;
  cases.forEach((c, i) => {
    const zd = c.zd === 'nan' ? NaN : c.zd;
    const opts = { labels: c.labels ?? undefined, targetNames: c.targetNames ?? undefined, digits: c.digits };
    const w = `${what(c, i)} ${JSON.stringify({ ...opts, zd: c.zd })}`;
    const warnings: string[] = [];
    const z12 = c.zd === 'nan' ? 0 : c.zd;
    assert.equal(classificationReport(c.y, c.p, { ...opts, zeroDivision: z12, compat: '1.2', warnings }), exp[i].text12, `${w} 1.2 text`);
    assert.deepEqual(warnings, exp[i].report_w, `${w} 1.2 warnings`);
    assertDictEqual(classificationReport(c.y, c.p, { ...opts, zeroDivision: z12, compat: '1.2', outputDict: true }), exp[i].dict12, `${w} 1.2 dict`);
    const text = classificationReport(c.y, c.p, { ...opts, zeroDivision: zd });
    assert.equal(text, exp[i].text, `${w} text`);
    assertDictEqual(classificationReport(c.y, c.p, { ...opts, zeroDivision: zd, outputDict: true }), exp[i].dict, `${w} dict`);
    if (text.includes('micro avg')) microRows++;
  });
  assert.ok(microRows > 0, "some report has a 'micro avg' row (labels not those present)");
});

test('multiclass metrics refuse bad input, naming the argument and the entry', () => {
  assert.throws(() => multiclassAccuracy([0, 1.5], [0, 1]), /yTrue\[1\] = 1.5: expected a class index/);
  assert.throws(() => multiclassAccuracy([0, 1], [0, -1]), /yPred\[1\] = -1: expected a class index/);
  assert.throws(() => multiclassAccuracy([0, 1], [0]), /yTrue has 2 entries but yPred has 1/);
  assert.throws(() => multiclassAccuracy([], []), /yTrue: empty array/);
  assert.throws(() => multiclassLogLoss([0, 3], [[0.5, 0.5, 0], [0.1, 0.8, 0.1]]), /yTrue\[1\] = 3: expected a class index \(an integer from 0 to 2\)/);
  assert.throws(() => multiclassLogLoss([0, 1], [[0.5, 0.5, 0], [0.1, 0.9]]), /proba\[1\] has 2 entries but proba\[0\] has 3/);
  assert.throws(() => multiclassLogLoss([0, 1], [[0.5, 0.5], [1.1, -0.1]]), /proba\[1\]\[0\] = 1.1: expected a probability in \[0, 1\]/);
  assert.throws(() => multiclassLogLoss([0], [[1]]), /proba has 1 column: a multiclass problem needs at least 2 classes/);
  assert.throws(() => multiclassLogLoss([0, 1], [[0.5, 0.5]]), /yTrue has 2 entries but proba has 1 rows/);
  assert.throws(() => topKAccuracy([0, 1], [[0.5, NaN], [0.5, 0.5]], 1), /scores\[0\]\[1\] = NaN: expected a finite number/);
  assert.throws(() => topKAccuracy([0, 1], [[0.5, 0.5], [0.5, 0.5]], 0), /k = 0: expected a positive integer/);
  assert.throws(() => multiclassPrf([0, 1], [0, 1], 'samples' as 'macro'), /average = samples: expected one of 'micro', 'macro', 'weighted'/);
  assert.throws(() => multiclassPrf([0, 1], [0, 1], 'macro', { zeroDivision: 0.5 }), /zeroDivision = 0.5/);
  assert.throws(() => multiclassPrfPerClass([0, 1], [0, 1], { labels: [0, 0] }), /labels: contains duplicates/);
  assert.throws(() => multiclassConfusionMatrix([0, 3], [0, 1], 3), /yTrue\[1\] = 3/);
});
