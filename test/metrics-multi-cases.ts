// Shared fixtures of the multiclass and multilabel metrics parity tests: seeded random problems of every
// awkward kind (C from 2 to 12, N from 1 to a few hundred plus one past NumPy's 8192-element buffer, tied
// and exact 0/1 probabilities, a class never predicted, a class absent from yTrue, 1:20 imbalance), and
// the scikit-learn >= 1.4 precision/recall/F1 arithmetic patched into Debian's 1.2. Not a test file itself.
import assert from 'node:assert/strict';
import { mulberry32 } from '../src/metrics/bootstrap.js';
import { sameFloat } from './metrics-cases.js';

export interface MulticlassCase {
  kind: string;
  c: number;
  /** True class indices. */
  y: number[];
  /** N×C probabilities, rows summing to 1 (within NumPy's allclose). */
  proba: number[][];
  /** Predicted class indices. */
  p: number[];
}

type Rng = () => number;

function tools(rng: Rng) {
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const pick = <T>(a: readonly T[]): T => a[int(0, a.length - 1)];
  return { int, pick };
}

/** np.argmax: the first of the largest. */
export function argmax(row: number[]): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}

function normalise(w: number[]): number[] {
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

const MC_KINDS = ['uniform', 'ties', 'onehot', 'informative', 'imbalanced', 'neverPredicted', 'absentClass', 'tiny', 'offByRounding'] as const;

export function makeMulticlassCases(count = 120, seed = 2024): MulticlassCase[] {
  const rng = mulberry32(seed);
  const { int, pick } = tools(rng);
  const cases: MulticlassCase[] = [];
  for (let n = 0; cases.length < count; n++) {
    const kind = MC_KINDS[n % MC_KINDS.length];
    const c = pick([2, 3, 3, 4, 5, 7, 10, 12]);
    const size = kind === 'tiny' ? int(1, 4) : int(c, 150);
    let y = Array.from({ length: size }, () => int(0, c - 1));
    let proba: number[][];
    switch (kind) {
      case 'ties': // a few distinct values per row and across rows: ROC ties and argsort ties
        proba = y.map(() => { const w = Array.from({ length: c }, () => int(0, 2)); if (!w.some((v) => v > 0)) w[int(0, c - 1)] = 1; return normalise(w); });
        break;
      case 'onehot': // exact 0/1 probabilities, some confidently wrong: log loss clipping
        proba = y.map((t) => { const k = rng() < 0.7 ? t : int(0, c - 1); return Array.from({ length: c }, (_, j) => (j === k ? 1 : 0)); });
        break;
      case 'informative':
      case 'imbalanced':
      case 'neverPredicted':
        if (kind === 'imbalanced') y = y.map(() => (rng() < 0.9 ? 0 : int(1, c - 1)));
        proba = y.map((t) => normalise(Array.from({ length: c }, (_, j) => Math.exp(2 * rng() + (j === t ? 1.5 : 0)))));
        break;
      default:
        proba = y.map(() => normalise(Array.from({ length: c }, () => rng())));
    }
    // Rows summing to 1 + 8e-6: still probabilities to NumPy's allclose, so log loss renormalises them.
    if (kind === 'offByRounding') proba = proba.map((r) => r.map((v) => Math.min(1, v * (1 + 8e-6))));
    if (kind === 'absentClass' && c > 2) {
      const gone = int(0, c - 1);
      y = y.map((t) => (t === gone ? (t + 1) % c : t));
    }
    let p = proba.map((r) => (rng() < 0.8 ? argmax(r) : int(0, c - 1)));
    if (kind === 'neverPredicted') {
      const never = int(0, c - 1);
      p = p.map((v) => (v === never ? (v + 1) % c : v));
    }
    cases.push({ kind, c, y, proba, p });
  }
  // Past NumPy's 8192-element summation buffer (means over N).
  const rngL = mulberry32(seed + 1);
  const y = Array.from({ length: 9000 }, () => Math.floor(rngL() * 4));
  const proba = y.map((t) => normalise(Array.from({ length: 4 }, (_, j) => rngL() + (j === t ? 0.6 : 0))));
  cases.push({ kind: 'long9000', c: 4, y, proba, p: proba.map(argmax) });
  return cases;
}

export interface MultilabelCase {
  kind: string;
  c: number;
  /** N×C 0/1. */
  y: number[][];
  /** N×C scores (probabilities unless kind === 'logits'). */
  s: number[][];
  /** N×C 0/1 predictions. */
  p: number[][];
}

const ML_KINDS = ['uniform', 'ties', 'informative', 'sparse', 'dense', 'emptyRows', 'logits', 'tiny'] as const;

export function makeMultilabelCases(count = 120, seed = 77): MultilabelCase[] {
  const rng = mulberry32(seed);
  const { int, pick } = tools(rng);
  const cases: MultilabelCase[] = [];
  for (let n = 0; cases.length < count; n++) {
    const kind = ML_KINDS[n % ML_KINDS.length];
    const c = pick([2, 3, 4, 5, 8, 12]);
    const size = kind === 'tiny' ? int(1, 4) : int(2, 120);
    // Per-label prevalence, sometimes 0 or 1 (a label never or always present).
    const prev = Array.from({ length: c }, () => (kind === 'sparse' ? rng() * 0.15 : kind === 'dense' ? 0.85 + rng() * 0.15 : rng()));
    if (rng() < 0.2) prev[int(0, c - 1)] = 0;
    const y = Array.from({ length: size }, () => prev.map((q) => (rng() < q ? 1 : 0)));
    let s: number[][];
    switch (kind) {
      case 'ties':
        s = y.map((r) => r.map(() => int(0, 3) / 3));
        break;
      case 'logits':
        s = y.map((r) => r.map((v) => (v ? 1 : -1) + 3 * (rng() - 0.5)));
        break;
      case 'informative':
      case 'sparse':
      case 'dense':
        s = y.map((r) => r.map((v) => 1 / (1 + Math.exp(-((v ? 1 : -1) + 2 * (rng() - 0.5))))));
        break;
      default:
        s = y.map((r) => r.map(() => rng()));
    }
    const thr = kind === 'logits' ? 0 : pick([0.5, 0.3, 0.7]);
    let p = s.map((r) => r.map((v) => (v >= thr ? 1 : 0)));
    if (kind === 'emptyRows') p = p.map((r) => (rng() < 0.4 ? r.map(() => 0) : r)); // samples with no predicted label
    if (rng() < 0.3) { const never = int(0, c - 1); p = p.map((r) => r.map((v, j) => (j === never ? 0 : v))); }
    cases.push({ kind, c, y, s, p });
  }
  const rngL = mulberry32(seed + 1);
  const y = Array.from({ length: 9000 }, () => [0.3, 0.5, 0.1].map((q) => (rngL() < q ? 1 : 0)));
  const s = y.map((r) => r.map((v) => Math.min(1, rngL() * 0.7 + (v ? 0.3 : 0))));
  cases.push({ kind: 'long9000', c: 3, y, s, p: s.map((r) => r.map((v) => (v >= 0.5 ? 1 : 0))) });
  return cases;
}

/**
 * scikit-learn >= 1.4's precision_recall_fscore_support (F1 = 2tp/(2tp+fp+fn), _nanaverage, the
 * 'samples' average included), patched into Debian's scikit-learn 1.2 so that its classification_report
 * formats the current arithmetic. Defines `np`.
 */
export const PY_SKLEARN_CURRENT = `
import numpy as np
import sklearn.metrics._classification as C
def _nanavg(a, weights=None):
    if len(a) == 0: return np.float64(np.nan)
    mask = np.isnan(a)
    if mask.all(): return np.float64(np.nan)
    if weights is None: return np.nanmean(a)
    a, weights = a[~mask], np.asarray(weights)[~mask]
    try: return np.average(a, weights=weights)
    except ZeroDivisionError: return np.average(a)
def _prfs(y_true, y_pred, *, labels=None, average=None, sample_weight=None, zero_division='warn', **kw):
    labels = C._check_set_wise_labels(y_true, y_pred, average, labels, 1)
    M = C.multilabel_confusion_matrix(y_true, y_pred, labels=labels, samplewise=average == 'samples')
    tp = M[:, 1, 1]; pred = tp + M[:, 0, 1]; true = tp + M[:, 1, 0]
    if average == 'micro': tp, pred, true = (np.array([x.sum()]) for x in (tp, pred, true))
    z = 0.0 if zero_division == 'warn' else float(zero_division)
    def div(a, b):
        b = b.copy(); mask = b == 0; b[mask] = 1
        r = a / b; r[mask] = z; return r
    p, r, f = div(tp, pred), div(tp, true), div(2.0 * tp, 1.0 * true + pred)
    if average is None: return p, r, f, true
    w = true if average == 'weighted' else None
    return _nanavg(p, w), _nanavg(r, w), _nanavg(f, w), None
C.precision_recall_fscore_support = _prfs
`;

/** Every key and value equal (NaN equal to NaN, 0 to -0); key order aside. */
export function assertDictEqual(actual: Record<string, unknown>, expected: Record<string, unknown>, what: string): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: keys`);
  for (const [k, v] of Object.entries(expected)) {
    const a = actual[k];
    if (typeof v === 'number') assert.ok(sameFloat(a as number, v), `${what}[${k}]: got ${String(a)}, expected ${v}`);
    else for (const [k2, v2] of Object.entries(v as Record<string, number>)) {
      const a2 = (a as Record<string, number>)[k2];
      assert.ok(sameFloat(a2, v2), `${what}[${k}][${k2}]: got ${a2}, expected ${v2}`);
    }
  }
}

/** Runs fn and returns its result, or the error's message prefixed by 'ERROR: '. */
export function valueOrError<T>(fn: () => T): T | string {
  try {
    return fn();
  } catch (e) {
    return `ERROR: ${(e as Error).message}`;
  }
}

/**
 * Python helpers of the multiclass and multilabel oracles: err (a value, or sklearn's ValueError as text),
 * caught (a value and its UserWarnings), prfs (per-class and averaged precision/recall/F1 over `averages`).
 */
export function pyOracleHelpers(averages: string[]): string {
  return `def err(f):
    try:
        v = f()
        return v.tolist() if hasattr(v, 'tolist') else v
    except ValueError as e:
        return 'ERROR: ' + str(e)
def caught(f):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        v = f()
    msgs = []
    for x in w:
        if issubclass(x.category, UserWarning) and str(x.message) not in msgs: msgs.append(str(x.message))
    return v, msgs
def prfs(f, y, p, labels, zd):
    per = f(y, p, labels=labels, average=None, zero_division=zd)
    d = {'per': [x.tolist() for x in per]}
    for a in ${JSON.stringify(averages)}:
        d[a] = [float(x) for x in f(y, p, labels=labels, average=a, zero_division=zd)[:3]]
    return d`;
}
