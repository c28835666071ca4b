// tlearn compare: DeLong's paired test of two AUCs against a direct O(m·n) implementation of DeLong et al. (1988)
// in numpy with scipy's normal tail, McNemar's exact p against scipy's binomtest, the paired bootstrap of two macro
// AUCs against scikit-learn's roc_auc_score on the same resamples; the command on two evaluation folders (and a run
// folder's eval/) gives those numbers for the paired images; folders that cannot be compared (other images, other
// labels, a multi-class evaluation beside a binary one, a folder without an evaluation) are refused naming why.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { delongPaired, mcnemarExactP, mulberry32, pairedMacroAucBootstrap, resampleIndices, twoSidedNormalP } from '../src/metrics/index.js';
import type { EvaluationComparison } from '../src/eval/index.js';
import { macroAucResamples } from '../src/eval/compare.js';
import { cliIn } from './helpers/cli.js';
import { runPython } from './helpers/python.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('tlearn-compare-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cli = cliIn(tmp);

/** m positives and n negatives; B's scores are A's plus noise, both rounded to 2 decimals (ties within and across). */
function problem(m: number, n: number, seed: number): { y: number[]; a: number[]; b: number[] } {
  const r = mulberry32(seed);
  const y = [...Array(m).fill(1), ...Array(n).fill(0)] as number[];
  const a = y.map((v) => Math.round(Math.min(1, Math.max(0, 0.5 + (v ? 0.15 : -0.15) + (r() - 0.5) * 0.8)) * 100) / 100);
  const b = a.map((s, i) => Math.round(Math.min(1, Math.max(0, s + (y[i] ? 0.05 : -0.05) + (r() - 0.5) * 0.3)) * 100) / 100);
  return { y, a, b };
}

test('delongPaired equals DeLong\'s formulas (numpy, O(m·n)) and scipy\'s normal tail; McNemar\'s p equals binomtest\'s', () => {
  const cases = [problem(5, 7, 1), problem(30, 40, 2), problem(100, 80, 3), problem(12, 300, 4)];
  const py = runPython<{ diff: number; se: number; z: number; p: number }[]>(`
import numpy as np
from scipy.stats import norm
res = []
for c in inp:
    y = np.array(c['y']); S = np.array([c['a'], c['b']])
    X, Y = S[:, y == 1], S[:, y == 0]
    psi = lambda x, yy: (x[:, None] > yy[None, :]) + 0.5 * (x[:, None] == yy[None, :])
    V10 = np.array([psi(X[k], Y[k]).mean(axis=1) for k in range(2)])
    V01 = np.array([psi(X[k], Y[k]).mean(axis=0) for k in range(2)])
    auc = V10.mean(axis=1)
    S10, S01 = np.cov(V10), np.cov(V01)
    L = np.array([-1.0, 1.0])
    se = float(np.sqrt(L @ S10 @ L / X.shape[1] + L @ S01 @ L / Y.shape[1]))
    z = float((auc[1] - auc[0]) / se)
    res.append({'diff': float(auc[1] - auc[0]), 'se': se, 'z': z, 'p': float(2 * norm.sf(abs(z)))})
out(res)
`, cases);
  cases.forEach((c, i) => {
    const d = delongPaired(c.y, c.a, c.b);
    const e = py[i]!;
    const close = (x: number, want: number, what: string, rel = 1e-10) => assert.ok(Math.abs(x - want) <= rel * Math.abs(want) + 1e-15, `case ${i} ${what}: ${x} vs ${want}`);
    close(d.difference, e.diff, 'difference');
    close(d.se, e.se, 'standard error');
    close(d.z!, e.z, 'z');
    close(d.p!, e.p, 'p', 1e-9);
    close(d.ci95[1] - d.ci95[0], 2 * 1.959963984540054 * e.se, 'interval width');
  });
  // Both models alike: no variance, no test.
  const same = delongPaired(cases[0]!.y, cases[0]!.a, cases[0]!.a);
  assert.deepEqual([same.difference, same.se, same.z, same.p], [0, 0, null, null]);
  assert.throws(() => delongPaired([1, 0, 0], [0.9, 0.1, 0.2], [0.8, 0.3, 0.1]), /at least 2 positives and 2 negatives, got 1 and 2/);

  const pairs = [[0, 0], [0, 5], [4, 9], [10, 10], [3, 30], [300, 400], [1000, 1100]];
  const ps = runPython<number[]>(`
from scipy.stats import binomtest
out([binomtest(min(a, b), a + b).pvalue if a + b else 1.0 for a, b in inp])
`, pairs);
  pairs.forEach(([a, b], i) => assert.ok(Math.abs(mcnemarExactP(a!, b!) - ps[i]!) <= 1e-12 * ps[i]! + 1e-300, `McNemar ${a}/${b}: ${mcnemarExactP(a!, b!)} vs ${ps[i]}`));
  const zs = [0, 0.3, 1, 1.96, 2.5, 3.2, 5, 9, 15];
  const tails = runPython<number[]>('from scipy.stats import norm\nout([float(2 * norm.sf(z)) for z in inp])', zs);
  zs.forEach((z, i) => assert.ok(Math.abs(twoSidedNormalP(z) - tails[i]!) <= 1e-13 * tails[i]!, `P(|Z| >= ${z})`));
});

/** An evaluation folder as evaluate writes it (the parts compare reads). */
function evaluation(dir: string, rows: { path: string; label: string; p: number }[], threshold = 0.5, metrics: Record<string, unknown> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ classes: ['cat', 'dog'], positive_class: 'dog', threshold, ...metrics }));
  const line = (r: { path: string; label: string; p: number }) => `${r.path},${r.label},${r.p},${r.p >= threshold ? 'dog' : 'cat'}`;
  fs.writeFileSync(path.join(dir, 'predictions.csv'), ['path,label,probability,predicted', ...rows.map(line)].join('\n') + '\n');
}

test('compare A B: the paired images\' DeLong and McNemar tests, in words and JSON; a run folder means its eval/', async () => {
  const c = problem(30, 40, 7);
  const rows = (s: number[]) => c.y.map((v, i) => ({ path: `test/${v ? 'dog' : 'cat'}/${i}.png`, label: v ? 'dog' : 'cat', p: s[i]! }));
  evaluation(path.join(tmp, 'eval-a'), rows(c.a));
  // B lists its images in another order, from a run folder, with another threshold.
  evaluation(path.join(tmp, 'run-b', 'eval'), rows(c.b).reverse(), 0.45);
  const r = await cli(['compare', 'eval-a', 'run-b', '--json']);
  assert.equal(r.code, 0, r.err);
  const got = JSON.parse(r.out) as EvaluationComparison;
  const d = delongPaired(c.y, c.a, c.b);
  assert.equal(got.n, 70);
  assert.equal(got.b, path.join(tmp, 'run-b', 'eval'));
  assert.deepEqual([got.auc!.a, got.auc!.b, got.auc!.difference, got.auc!.se, got.auc!.p], [d.aucA, d.aucB, d.difference, d.se, d.p]);
  const rightA = c.y.map((v, i) => (c.a[i]! >= 0.5 ? 1 : 0) === v);
  const rightB = c.y.map((v, i) => (c.b[i]! >= 0.45 ? 1 : 0) === v);
  const onlyA = rightA.filter((ok, i) => ok && !rightB[i]).length;
  const onlyB = rightB.filter((ok, i) => ok && !rightA[i]).length;
  assert.deepEqual([got.accuracy.only_a_right, got.accuracy.only_b_right, got.accuracy.p], [onlyA, onlyB, mcnemarExactP(onlyA, onlyB)]);
  assert.equal(got.accuracy.b, rightB.filter(Boolean).length / 70);
  const words = await cli(['compare', 'eval-a', 'run-b']);
  assert.match(words.out, new RegExp(`\\nAUC {7}A ${d.aucA.toFixed(4)} {2}B ${d.aucB.toFixed(4)} {2}B - A [+-]\\d\\.\\d{4} \\(95% CI [+-]\\d\\.\\d{4} to [+-]\\d\\.\\d{4}\\) {2}DeLong z -?\\d+\\.\\d\\d, p `));
  assert.match(words.out, /\naccuracy {2}A \d\.\d{4} \(threshold 0\.5\) {2}B \d\.\d{4} \(threshold 0\.45\) {2}B - A [+-]\d\.\d{4} {2}McNemar exact p /);
});

/**
 * A multi-class or multi-label evaluation folder: rows of [path, truth, predicted] (multi-label: ';'-joined names),
 * with the probabilities of cat, dog and fox per row (default 0.6, 0.3, 0.1 for every row).
 */
function multiEvaluation(dir: string, task: 'multiclass' | 'multilabel', rows: [string, string, string][], auc = 0.8, probs?: number[][]): void {
  const classes = ['cat', 'dog', 'fox'];
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ task, classes, auc }));
  const lead = task === 'multiclass' ? 'path,label,predicted,probability' : 'path,labels,predicted';
  const line = ([p, t, d]: [string, string, string], i: number) => {
    const q = probs?.[i] ?? [0.6, 0.3, 0.1];
    return task === 'multiclass' ? `${p},${t},${d},${Math.max(...q)},${q.join(',')}` : `${p},${t},${d},${q.join(',')}`;
  };
  fs.writeFileSync(path.join(dir, 'predictions.csv'), [`${lead},${classes.join(',')}`, ...rows.map(line)].join('\n') + '\n');
}

test('compare of multi-class and multi-label evaluations: McNemar on the (subset) accuracy; models that score alike have no AUC variance', async () => {
  const truth = ['cat', 'dog', 'fox', 'cat', 'dog', 'fox', 'cat', 'dog'];
  const predA = ['cat', 'dog', 'fox', 'dog', 'dog', 'cat', 'cat', 'fox'];
  const predB = ['cat', 'dog', 'fox', 'cat', 'fox', 'fox', 'cat', 'dog'];
  const rows = (pred: string[]) => truth.map((t, i) => [`img${i}.png`, t, pred[i]!] as [string, string, string]);
  multiEvaluation(path.join(tmp, 'mc-a'), 'multiclass', rows(predA), 0.81);
  multiEvaluation(path.join(tmp, 'mc-b'), 'multiclass', rows(predB).reverse(), 0.9);
  const r = await cli(['compare', 'mc-a', 'mc-b', '--json']);
  assert.equal(r.code, 0, r.err);
  const got = JSON.parse(r.out) as EvaluationComparison;
  // A is right on 0, 1, 2, 4, 6; B on 0, 1, 2, 3, 5, 6, 7: only A on 4, only B on 3, 5, 7.
  assert.deepEqual([got.task, got.auc_reported, got.accuracy.a, got.accuracy.b, got.accuracy.only_a_right, got.accuracy.only_b_right, got.accuracy.p],
    ['multiclass', { a: 0.81, b: 0.9 }, 5 / 8, 7 / 8, 1, 3, mcnemarExactP(1, 3)]);
  // Every image has the same probabilities in both: each one-vs-rest AUC is 1/2, and no resample tells them apart.
  assert.deepEqual([got.auc!.a, got.auc!.b, got.auc!.difference, got.auc!.se, got.auc!.z, got.auc!.p], [0.5, 0.5, 0, 0, null, null]);
  const words = (await cli(['compare', 'mc-a', 'mc-b'])).out;
  assert.match(words, /\nmacro AUC A 0\.5000 {2}B 0\.5000 {2}B - A \+0\.0000 \(95% CI \+0\.0000 to \+0\.0000\) {2}bootstrap: the differences never vary\n/);
  assert.match(words, /\naccuracy {2}A 0\.6250 {2}B 0\.8750 {2}B - A \+0\.2500 {2}McNemar exact p 0\.63 \(only A right: 1, only B right: 3\)/);
  // Multi-label: an image is right when its whole label set is.
  const sets = ['cat', 'cat;dog', '', 'fox'];
  multiEvaluation(path.join(tmp, 'ml-a'), 'multilabel', sets.map((t, i) => [`m${i}.png`, t, i === 1 ? 'cat' : t]));
  multiEvaluation(path.join(tmp, 'ml-b'), 'multilabel', sets.map((t, i) => [`m${i}.png`, t, t]));
  const ml = JSON.parse((await cli(['compare', 'ml-a', 'ml-b', '--json'])).out) as EvaluationComparison;
  assert.deepEqual([ml.task, ml.accuracy.a, ml.accuracy.b, ml.accuracy.only_b_right], ['multilabel', 0.75, 1, 1]);
  assert.match(ml.accuracy.method, /subset accuracy/);
});

/** n images of 3 classes, each model's softmax-like probabilities (B sharper than A), rounded to 4 decimals. */
function multiProblem(n: number, seed: number, multilabel = false): { truth: number[][]; a: number[][]; b: number[][] } {
  const r = mulberry32(seed);
  const truth = Array.from({ length: n }, (_, i) => (multilabel ? [0, 1, 2].map(() => (r() < 0.4 ? 1 : 0)) : [0, 1, 2].map((c) => (c === i % 3 ? 1 : 0))));
  const scores = (sharp: number) => truth.map((t) => {
    const raw = t.map((v) => Math.exp((v ? sharp : 0) + (r() - 0.5) * 2));
    const sum = raw.reduce((x, v) => x + v, 0);
    return raw.map((v) => Math.round((multilabel ? v / (1 + v) : v / sum) * 1e4) / 1e4);
  });
  return { truth, a: scores(0.6), b: scores(1.2) };
}

test('pairedMacroAucBootstrap equals scikit-learn\'s macro AUCs on the same resamples (pROC\'s bootstrap test)', () => {
  const cases = [{ ...multiProblem(45, 7), seed: 3 }, { ...multiProblem(40, 8, true), seed: 4 }];
  const nBoot = 150;
  const py = runPython<{ a: number; b: number; used: number; se: number; z: number; p: number; lo: number; hi: number; ovr: number }[]>(`
import numpy as np
from sklearn.metrics import roc_auc_score
from scipy.stats import norm
res = []
for c in inp:
    Y = np.array(c['truth']); A = np.array(c['a']); B = np.array(c['b']); C = Y.shape[1]
    macro = lambda idx, S: np.mean([roc_auc_score(Y[idx, k], S[idx, k]) for k in range(C)])
    full = np.arange(len(Y))
    diffs = [macro(np.array(i), B) - macro(np.array(i), A) for i in c['idx'] if all(len(set(Y[np.array(i), k])) == 2 for k in range(C))]
    d = macro(full, B) - macro(full, A); se = np.std(diffs, ddof=1); lo, hi = np.percentile(diffs, [2.5, 97.5])
    ovr = roc_auc_score(Y.argmax(axis=1), A / A.sum(axis=1, keepdims=True), multi_class='ovr', average='macro') if Y.sum(axis=1).max() == 1 else macro(full, A)
    res.append({'a': macro(full, A), 'b': macro(full, B), 'used': len(diffs), 'se': se, 'z': d / se, 'p': 2 * norm.sf(abs(d / se)), 'lo': lo, 'hi': hi, 'ovr': ovr})
out(res)
`, cases.map((c) => {
    const rng = mulberry32(c.seed);
    return { ...c, idx: Array.from({ length: nBoot }, () => Array.from(resampleIndices(c.truth.length, rng))) };
  }));
  cases.forEach((c, k) => {
    const columns = [0, 1, 2].map((j) => ({ y: c.truth.map((t) => t[j]!), a: c.a.map((s) => s[j]!), b: c.b.map((s) => s[j]!) }));
    const got = pairedMacroAucBootstrap(columns, { nBoot, seed: c.seed })!;
    const want = py[k]!;
    const close = (x: number, y: number, what: string) => assert.ok(Math.abs(x - y) < 1e-12, `case ${k} ${what}: ${x} vs ${y}`);
    close(got.aucA, want.a, 'A');
    close(got.aucB, want.b, 'B');
    close(want.a, want.ovr, 'A as roc_auc_score(multi_class="ovr") when each image has one class');
    assert.equal(got.nUsed, want.used);
    close(got.se, want.se, 'se');
    close(got.z!, want.z, 'z');
    close(got.p!, want.p, 'p');
    close(got.ci95[0], want.lo, 'lo');
    close(got.ci95[1], want.hi, 'hi');
  });
  assert.equal(pairedMacroAucBootstrap([{ y: [1, 1, 1], a: [0.1, 0.2, 0.3], b: [0.3, 0.2, 0.1] }]), null, 'a column with one class: no macro AUC');
  // pROC's 2000 resamples, fewer where they would take over ~20 s, none under 200.
  assert.deepEqual([macroAucResamples(10, 1000), macroAucResamples(100, 10_000), macroAucResamples(1000, 50_000)], [2000, 750, null]);
});

test('compare of multi-class evaluations tests the macro AUCs of their probabilities; a label on no image leaves it untested', async () => {
  const c = multiProblem(60, 11);
  const names = ['cat', 'dog', 'fox'];
  const rows = (s: number[][]) => c.truth.map((t, i) => [`p${i}.png`, names[t.indexOf(1)]!, names[s[i]!.indexOf(Math.max(...s[i]!))]!] as [string, string, string]);
  multiEvaluation(path.join(tmp, 'mcp-a'), 'multiclass', rows(c.a), 0.7, c.a);
  multiEvaluation(path.join(tmp, 'mcp-b'), 'multiclass', rows(c.b), 0.8, c.b);
  const got = JSON.parse((await cli(['compare', 'mcp-a', 'mcp-b', '--json'])).out) as EvaluationComparison;
  const want = pairedMacroAucBootstrap([0, 1, 2].map((j) => ({ y: c.truth.map((t) => t[j]!), a: c.a.map((s) => s[j]!), b: c.b.map((s) => s[j]!) })), { nBoot: 2000, seed: 0 })!;
  assert.deepEqual([got.auc!.a, got.auc!.b, got.auc!.se, got.auc!.p, got.auc!.ci95, got.auc!.resamples], [want.aucA, want.aucB, want.se, want.p, want.ci95, { n: 2000, used: 2000, seed: 0 }]);
  assert.match(got.auc!.method, /pROC's roc\.test\(method = "bootstrap"\)/);
  const words = (await cli(['compare', 'mcp-a', 'mcp-b'])).out;
  assert.match(words, new RegExp(`\\nmacro AUC A ${want.aucA.toFixed(4)} {2}B ${want.aucB.toFixed(4)} {2}B - A \\+\\d\\.\\d{4} \\(95% CI [+-]\\d\\.\\d{4} to \\+\\d\\.\\d{4}\\) {2}bootstrap z \\d+\\.\\d\\d, p \\S+ \\(2000 of 2000 resamples\\)\\n`));
  // No image has fox: its one-vs-rest AUC, and the macro, do not exist.
  const sets = ['cat', 'cat;dog', '', 'dog'];
  multiEvaluation(path.join(tmp, 'mln-a'), 'multilabel', sets.map((t, i) => [`n${i}.png`, t, t]));
  multiEvaluation(path.join(tmp, 'mln-b'), 'multilabel', sets.map((t, i) => [`n${i}.png`, t, t]));
  const ml = JSON.parse((await cli(['compare', 'mln-a', 'mln-b', '--json'])).out) as EvaluationComparison;
  assert.equal(ml.auc, null);
  assert.equal(ml.auc_untested, 'no macro AUC: label fox is on every image or on none');
  assert.match((await cli(['compare', 'mln-a', 'mln-b'])).out, /\nmacro AUC A 0\.8000 {2}B 0\.8000 \(from metrics\.json; no paired test: no macro AUC: label fox is on every image or on none\)\n/);
});

test('compare refuses evaluations it cannot pair, naming why', async () => {
  const base = [{ path: 'a.png', label: 'cat', p: 0.2 }, { path: 'b.png', label: 'dog', p: 0.7 }, { path: 'c.png', label: 'cat', p: 0.4 }, { path: 'd.png', label: 'dog', p: 0.9 }];
  evaluation(path.join(tmp, 'x'), base);
  evaluation(path.join(tmp, 'other-images'), [...base.slice(1), { path: 'e.png', label: 'cat', p: 0.1 }]);
  evaluation(path.join(tmp, 'other-label'), base.map((r) => (r.path === 'c.png' ? { ...r, label: 'dog' } : r)));
  multiEvaluation(path.join(tmp, 'multi'), 'multiclass', [['a.png', 'cat', 'cat'], ['b.png', 'dog', 'dog'], ['c.png', 'cat', 'cat'], ['d.png', 'dog', 'cat']]);
  multiEvaluation(path.join(tmp, 'multi-bad'), 'multiclass', [['a.png', 'cat', 'cat'], ['b.png', 'dog', 'dog']], 0.8, [[0.6, 0.3, 0.1], [0.2, 1.5, 0.1]]);
  fs.mkdirSync(path.join(tmp, 'empty'));
  const cases: [string, RegExp][] = [
    ['other-images', /not of the same images: 1 only in .*x \(a\.png\); 1 only in .*other-images \(e\.png\); evaluate both models on the same data and split/],
    ['other-label', /c\.png is labelled cat in .*x but dog in .*other-label/],
    ['multi', /x is a binary evaluation, .*multi a multiclass one: compare evaluations of the same task/],
    ['empty', /empty holds no evaluation \(metrics\.json and predictions\.csv\): give evaluate's --out folder/],
    ['missing', /missing does not exist/],
  ];
  for (const [b, re] of cases) {
    const r = await cli(['compare', 'x', b]);
    assert.equal(r.code, 2, `${b}: ${r.err}`);
    assert.match(r.err, re, b);
  }
  const bad = await cli(['compare', 'multi', 'multi-bad']);
  assert.equal(bad.code, 2, bad.err);
  assert.match(bad.err, /multi-bad.*predictions\.csv line 3: the probability of dog "1\.5" is not in \[0, 1\]/);
});
