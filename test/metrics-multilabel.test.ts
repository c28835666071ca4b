// Multilabel metrics against Debian's scikit-learn on seeded random label matrices (metrics-multi-cases.ts):
// one Python run computes every expected value, each test compares one family.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  hammingLoss, multilabelAveragePrecision, multilabelAveragePrecisionPerLabel, multilabelClassificationReport, multilabelPrf,
  multilabelPrfPerLabel, multilabelRocAuc, multilabelRocAucPerLabel, subsetAccuracy, type ZeroDivision,
} from '../src/metrics/index.js';
import { runPython } from './helpers/python.js';
import { assertFloat, assertFloats } from './metrics-cases.js';
import { assertDictEqual, makeMultilabelCases, PY_SKLEARN_CURRENT, valueOrError, pyOracleHelpers, type MultilabelCase } from './metrics-multi-cases.js';

const AVERAGES = ['micro', 'macro', 'weighted', 'samples'] as const;
const NAMES = [['cat', 'dog', 'bird', 'fish', 'horse', 'mouse', 'owl', 'pig', 'rat', 'seal', 'toad', 'wolf'],
  ['é', '😀 smile', 'a much longer label name', 'x', 'y', 'z', 'q', 'w', 'e', 'r', 't', 'u']];
const DIGITS = [2, 0, 1, 3, 4, 13];

interface Input extends MultilabelCase {
  /** Labels option (column indices): none, or a reordered subset. */
  labels: number[] | null;
  targetNames: string[] | null;
  digits: number;
  zd: 'warn' | 0 | 1 | 'nan';
}

const cases: Input[] = makeMultilabelCases().map((c, i) => {
  const labels = i % 3 === 2 ? Array.from({ length: c.c }, (_, j) => c.c - 1 - j).filter((_, j) => j % 2 === 0 || c.c < 3) : null;
  const targetNames = i % 4 >= 2 ? NAMES[i % 2].slice(0, labels ? labels.length : c.c) : null;
  return { ...c, labels, targetNames, digits: DIGITS[i % DIGITS.length], zd: (['warn', 0, 1, 'nan'] as const)[i % 4] };
});

const PY = `
import warnings
import numpy as np
from sklearn.metrics import (accuracy_score, hamming_loss, precision_recall_fscore_support, roc_auc_score,
    average_precision_score, classification_report)
${pyOracleHelpers(['micro', 'macro', 'weighted', 'samples'])}
def report(c, zd, **kw):
    return classification_report(np.array(c['y']), np.array(c['p']), labels=c['labels'], target_names=c['targetNames'],
        digits=c['digits'], zero_division=zd, **kw)
res = []
for c in inp:
    Y, P, S = np.array(c['y']), np.array(c['p']), np.array(c['s'], dtype=float)
    d = {'hamming': hamming_loss(Y, P), 'subset': accuracy_score(Y, P), 'prf': {}, 'prf_w': {}, 'ap': {}, 'ap_w': {}}
    zd12 = c['zd'] if c['zd'] != 'nan' else 0
    for zd, lab in [('warn', 'none'), (0, 'none'), (1, 'none'), (zd12, 'given')]:
        labels = None if lab == 'none' else c['labels']
        d['prf'][f'{zd}_{lab}'], d['prf_w'][f'{zd}_{lab}'] = caught(lambda: prfs(precision_recall_fscore_support, Y, P, labels, zd))
    d['auc'] = {str(a): err(lambda: roc_auc_score(Y, S, average=a)) for a in [None, 'micro', 'macro', 'weighted', 'samples']}
    for a in [None, 'micro', 'macro', 'weighted', 'samples']:
        d['ap'][str(a)], d['ap_w'][str(a)] = caught(lambda: np.asarray(average_precision_score(Y, S, average=a)).tolist())
    zd = c['zd'] if c['zd'] != 'nan' else 0
    (d['text12'], d['report_w']), d['dict12'] = caught(lambda: report(c, zd)), report(c, zd, output_dict=True)
    res.append(d)
${PY_SKLEARN_CURRENT}
for c, d in zip(inp, res):
    Y, P = np.array(c['y']), np.array(c['p'])
    zd = float('nan') if c['zd'] == 'nan' else c['zd']
    d['text'], d['dict'] = report(c, zd), report(c, zd, output_dict=True)
    d['prf_cur'] = {str(zd): prfs(C.precision_recall_fscore_support, Y, P, c['labels'], zd) for zd in [c['zd'] if c['zd'] != 'nan' else 'warn', float('nan')]}
out(res)`;

interface Prfs { per: number[][]; micro: number[]; macro: number[]; weighted: number[]; samples: number[] }
interface Expected {
  hamming: number; subset: number;
  prf: Record<string, Prfs>; prf_w: Record<string, string[]>; prf_cur: Record<string, Prfs>;
  auc: Record<string, number | number[] | string>;
  ap: Record<string, number | number[]>; ap_w: Record<string, string[]>;
  text12: string; dict12: Record<string, unknown>; report_w: string[]; text: string; dict: Record<string, unknown>;
}

let expected: Expected[] | undefined;
const oracle = (): Expected[] => (expected ??= runPython<Expected[]>(PY, cases));
const what = (c: Input, i: number) => `case ${i} (${c.kind}, C=${c.c}, N=${c.y.length})`;

test('hammingLoss and subsetAccuracy equal hamming_loss and accuracy_score on label matrices', () => {
  const exp = oracle();
  cases.forEach((c, i) => {
    assertFloat(hammingLoss(c.y, c.p), exp[i].hamming, `${what(c, i)} hamming`);
    assertFloat(subsetAccuracy(c.y, c.p), exp[i].subset, `${what(c, i)} subset accuracy`);
  });
});

test('multilabel precision, recall and F1 (per label, micro, macro, weighted, samples; labels; zero_division) equal scikit-learn', () => {
  const exp = oracle();
  const run = (c: Input, i: number, e: Prfs, opts: { zeroDivision: ZeroDivision; compat: 'current' | '1.2'; labels?: number[] },
    tag: string, expectWarnings?: string[]) => {
    const w = `${what(c, i)} ${tag}`;
    const warnings: string[] = [];
    const per = multilabelPrfPerLabel(c.y, c.p, { ...opts, warnings });
    assertFloats(per.precision, e.per[0], `${w} per-label precision`);
    assertFloats(per.recall, e.per[1], `${w} per-label recall`);
    assertFloats(per.f1, e.per[2], `${w} per-label f1`);
    assert.deepEqual(per.support, e.per[3], `${w} support`);
    for (const a of AVERAGES) {
      const got = multilabelPrf(c.y, c.p, a, { ...opts, warnings });
      assertFloat(got.precision, e[a][0], `${w} ${a} precision`);
      assertFloat(got.recall, e[a][1], `${w} ${a} recall`);
      assertFloat(got.f1, e[a][2], `${w} ${a} f1`);
    }
    if (expectWarnings) assert.deepEqual(warnings, expectWarnings, `${w} warnings`);
  };
  let samplesWarned = 0;
  cases.forEach((c, i) => {
    const zd12 = c.zd === 'nan' ? 0 : c.zd;
    for (const [zd, lab] of [['warn', 'none'], [0, 'none'], [1, 'none'], [zd12, 'given']] as const) {
      const key = `${zd}_${lab}`;
      run(c, i, exp[i].prf[key], { zeroDivision: zd, compat: '1.2', labels: lab === 'given' ? c.labels ?? undefined : undefined },
        `1.2 ${key}`, exp[i].prf_w[key]);
      if (exp[i].prf_w[key].some((m) => m.includes('in samples with'))) samplesWarned++;
    }
    for (const zd of [c.zd === 'nan' ? 'warn' : c.zd, NaN]) {
      run(c, i, exp[i].prf_cur[String(zd).toLowerCase()], { zeroDivision: zd, compat: 'current', labels: c.labels ?? undefined },
        `current zd=${zd}`);
    }
  });
  assert.ok(samplesWarned > 0, 'some case has a sample with no predicted or no true label');
});

test('multilabelRocAuc (micro, macro, weighted, samples; per label) equals roc_auc_score and throws where it raises', () => {
  const exp = oracle();
  let raised = 0;
  let computed = 0;
  cases.forEach((c, i) => {
    for (const a of AVERAGES) {
      const got = valueOrError(() => multilabelRocAuc(c.y, c.s, { average: a }));
      const e = exp[i].auc[a];
      const w = `${what(c, i)} auc ${a}`;
      if (typeof e === 'string') {
        assert.match(String(got), /^ERROR: ROC AUC is not defined when only one class is present: (label|sample) \d+ of yTrue|^ERROR: ROC AUC is not defined when only one class is present: yTrue \(all/, `${w}: sklearn raised ${e}`);
        raised++;
      } else {
        assert.equal(typeof got, 'number', `${w}: ${String(got)}`);
        assertFloat(got as number, e as number, w);
        computed++;
      }
    }
    const per = valueOrError(() => multilabelRocAucPerLabel(c.y, c.s));
    const e = exp[i].auc.None;
    if (typeof e === 'string') assert.match(String(per), /^ERROR: /, `${what(c, i)} per label: sklearn raised ${e}`);
    else assertFloats(per as number[], e as number[], `${what(c, i)} auc per label`);
  });
  assert.ok(raised > 20 && computed > 100, `both outcomes covered (${raised} raised, ${computed} computed)`);
  assert.throws(() => multilabelRocAuc([[0, 1], [0, 0]], [[0.1, 0.9], [0.3, 0.2]]),
    /ROC AUC is not defined when only one class is present: label 0 of yTrue \(every sample\) is 0 throughout/);
  assert.equal(multilabelRocAuc([[0, 0], [0, 0]], [[0.1, 0.9], [0.3, 0.2]], { average: 'weighted' }), 0, 'no positive: weighted is 0');
});

test('multilabelAveragePrecision (micro, macro, weighted, samples; per label) equals average_precision_score, warnings included', () => {
  const exp = oracle();
  let noPositive = 0;
  cases.forEach((c, i) => {
    for (const a of AVERAGES) {
      const warnings: string[] = [];
      assertFloat(multilabelAveragePrecision(c.y, c.s, { average: a, warnings }), exp[i].ap[a] as number, `${what(c, i)} AP ${a}`);
      assert.deepEqual(warnings, exp[i].ap_w[a], `${what(c, i)} AP ${a} warnings`);
      if (warnings.length) noPositive++;
    }
    const warnings: string[] = [];
    assertFloats(multilabelAveragePrecisionPerLabel(c.y, c.s, { warnings }), exp[i].ap.None as number[], `${what(c, i)} AP per label`);
    assert.deepEqual(warnings, exp[i].ap_w.None, `${what(c, i)} AP per label warnings`);
  });
  assert.ok(noPositive > 0, 'a label or sample without positives is covered');
});

test('multilabelClassificationReport is byte-identical to scikit-learn (1.2 and current arithmetic), with its four average rows', () => {
  const exp = oracle();
  cases.forEach((c, i) => {
    const zd = c.zd === 'nan' ? NaN : c.zd;
    const z12 = c.zd === 'nan' ? 0 : c.zd;
    const opts = { labels: c.labels ?? undefined, targetNames: c.targetNames ?? undefined, digits: c.digits };
    const w = `${what(c, i)} ${JSON.stringify({ ...opts, zd: c.zd })}`;
    const warnings: string[] = [];
    assert.equal(multilabelClassificationReport(c.y, c.p, { ...opts, zeroDivision: z12, compat: '1.2', warnings }), exp[i].text12, `${w} 1.2 text`);
    assert.deepEqual(warnings, exp[i].report_w, `${w} 1.2 warnings`);
    assertDictEqual(multilabelClassificationReport(c.y, c.p, { ...opts, zeroDivision: z12, compat: '1.2', outputDict: true }),
      exp[i].dict12, `${w} 1.2 dict`);
    assert.equal(multilabelClassificationReport(c.y, c.p, { ...opts, zeroDivision: zd }), exp[i].text, `${w} text`);
    assertDictEqual(multilabelClassificationReport(c.y, c.p, { ...opts, zeroDivision: zd, outputDict: true }), exp[i].dict, `${w} dict`);
  });
  const text = multilabelClassificationReport([[1, 0], [1, 1]], [[1, 0], [0, 1]], { targetNames: ['cat', 'dog'] });
  assert.deepEqual(text.split('\n').slice(-6, -1).map((l) => l.trim().split(/\s{2,}/)[0]), ['', 'micro avg', 'macro avg', 'weighted avg', 'samples avg']);
});

test('multilabel metrics refuse bad input, naming the argument and the entry', () => {
  assert.throws(() => hammingLoss([[0, 1], [1, 2]], [[0, 1], [1, 1]]), /yTrue\[1\]\[1\] = 2: expected 0 or 1/);
  assert.throws(() => hammingLoss([[0, 1], [1, 0]], [[0, 1], [1]]), /yPred\[1\] has 1 entries but yPred\[0\] has 2/);
  assert.throws(() => hammingLoss([[0, 1], [1, 0]], [[0, 1, 0], [1, 0, 0]]), /yTrue is 2×2 but yPred is 2×3: they must have the same shape/);
  assert.throws(() => subsetAccuracy([[1], [0]], [[1], [0]]), /yTrue has 1 column: a multilabel problem needs at least 2 labels/);
  assert.throws(() => subsetAccuracy([], []), /yTrue: empty array/);
  assert.throws(() => subsetAccuracy([0, 1] as unknown as number[][], [[0, 1]]), /yTrue\[0\]: expected an array/);
  assert.throws(() => multilabelRocAuc([[0, 1], [1, 0]], [[0.5, Infinity], [0.5, 0.5]]), /scores\[0\]\[1\] = Infinity: expected a finite number/);
  assert.throws(() => multilabelRocAuc([[0, 1], [1, 0]], [[0.5, 0.5], [0.5, 0.5]], { average: 'binary' as 'macro' }), /average = binary/);
  assert.throws(() => multilabelPrf([[0, 1], [1, 0]], [[0, 1], [1, 0]], 'macro', { labels: [0, 2] }),
    /labels\[1\] = 2: expected a column index of the label matrices \(an integer from 0 to 1\)/);
  assert.throws(() => multilabelClassificationReport([[0, 1], [1, 0]], [[0, 1], [1, 0]], { targetNames: ['a'] }),
    /Number of classes, 2, does not match size of target_names, 1/);
});
