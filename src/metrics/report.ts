// scikit-learn's classification_report: the text byte for byte and the output_dict structure, computed
// with the same arithmetic (see numeric.ts) so the unrounded dict values are equal too.
import { uniqueLabels } from './confusion.js';
import { pyFixed, pyLen, pyRjust } from './format.js';
import { npMean, npSum, npWeightedAverage } from './numeric.js';
import { checkFinite, checkSameLength } from './validate.js';

/** What a ratio with a zero denominator becomes: 'warn' = 0 plus a warning (scikit-learn's default). */
export type ZeroDivision = 'warn' | 0 | 1 | number;

/**
 * Which scikit-learn arithmetic to reproduce.
 * - 'current' (default): scikit-learn >= 1.4. F1 = 2·tp / (2·tp + fp + fn), set to `zeroDivision` only
 *   when tp + fp + fn = 0; `zeroDivision = NaN` (>= 1.3) leaves those entries out of the averages.
 * - '1.2': scikit-learn 1.2 (Debian 12's python3-sklearn). F1 = 2·P·R / (P + R) on the P and R that
 *   `zeroDivision` already replaced (so it can differ from 'current' in the last bit, and so in a
 *   rounded digit of the text); a weighted average with zero total support is (z, z, z) when nothing was
 *   predicted either, else (0, z, 0); NaN is not accepted.
 */
export type SklearnCompat = 'current' | '1.2';

export interface ReportRow {
  precision: number;
  recall: number;
  'f1-score': number;
  support: number;
}

/** output_dict=True: one row per class (by target name), then 'accuracy' (a number; 'micro avg' row when
 *  the labels given are not exactly the labels present), 'macro avg', 'weighted avg'. */
export type ClassificationReportDict = Record<string, ReportRow | number>;

export interface ClassificationReportOptions {
  /** Labels to report, in this order (default: sorted labels present in yTrue or yPred). */
  labels?: ArrayLike<number>;
  /** Display names, one per label (default: the labels as text, e.g. "0", "1"). */
  targetNames?: readonly string[];
  /** Decimal digits in the text (default 2). The dict is never rounded. */
  digits?: number;
  /** Value for 0/0 precision, recall or F1 (default 'warn'). */
  zeroDivision?: ZeroDivision;
  /** Arithmetic of which scikit-learn version (default 'current'). */
  compat?: SklearnCompat;
  /** Receives scikit-learn's UndefinedMetricWarning / UserWarning texts, deduplicated. */
  warnings?: string[];
}

interface Prf {
  precision: number[];
  recall: number[];
  f1: number[];
}

const HEADERS = ['precision', 'recall', 'f1-score', 'support'] as const;

export function classificationReport(
  yTrue: ArrayLike<number>, yPred: ArrayLike<number>, opts: ClassificationReportOptions & { outputDict: true },
): ClassificationReportDict;
export function classificationReport(
  yTrue: ArrayLike<number>, yPred: ArrayLike<number>, opts?: ClassificationReportOptions & { outputDict?: false },
): string;
/**
 * `sklearn.metrics.classification_report(y_true, y_pred, labels=, target_names=, digits=,
 * zero_division=, output_dict=)` for numeric labels (a binary problem uses 0 and 1).
 *
 * Limitation: a JavaScript object lists integer-like keys ("0", "1") first and in ascending order, so with
 * target names like "1","0" (labels given in descending order) the dict's key order differs from Python's;
 * the values are the same.
 */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  opts: ClassificationReportOptions & { outputDict?: boolean } = {},
): string | ClassificationReportDict {
  const t = checkFinite('yTrue', yTrue);
  const p = checkFinite('yPred', yPred);
  checkSameLength('yTrue', t, 'yPred', p);
  if (t.length === 0) throw new RangeError('yTrue: empty array (at least one sample is required)');
  const digits = opts.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 0) throw new RangeError(`digits = ${digits}: expected a non-negative integer`);
  const compat = opts.compat ?? 'current';
  if (compat !== 'current' && compat !== '1.2') throw new RangeError(`compat = ${String(compat)}: expected 'current' or '1.2'`);
  const zd = checkZeroDivision(opts.zeroDivision ?? 'warn', compat);
  const warnings = new Set<string>();

  const present = uniqueLabels(t, p);
  const labelsGiven = opts.labels !== undefined;
  const labels = labelsGiven ? Array.from(checkFinite('labels', opts.labels!)) : present;
  if (labels.length === 0) throw new RangeError('labels: at least one label is required');
  const microIsAccuracy = !labelsGiven || sameSet(labels, present);

  let names: string[];
  if (opts.targetNames !== undefined) {
    names = [...opts.targetNames];
    if (names.length !== labels.length) {
      if (!labelsGiven) {
        throw new RangeError(`Number of classes, ${labels.length}, does not match size of target_names, ${names.length}. ` +
          'Try specifying the labels parameter');
      }
      warnings.add(`labels size, ${labels.length}, does not match size of target_names, ${names.length}`);
    }
  } else {
    names = labels.map((l) => String(l));
  }

  // Per-label sufficient statistics (scikit-learn's multilabel_confusion_matrix).
  const k = labels.length;
  const tp = new Array<number>(k).fill(0);
  const predSum = new Array<number>(k).fill(0);
  const trueSum = new Array<number>(k).fill(0);
  const index = new Map<number, number>();
  labels.forEach((l, i) => index.set(l === 0 ? 0 : l, i));
  if (index.size !== k) throw new RangeError('labels: contains duplicates');
  for (let i = 0; i < t.length; i++) {
    const a = index.get(t[i]);
    const b = index.get(p[i]);
    if (a !== undefined) trueSum[a]++;
    if (b !== undefined) predSum[b]++;
    if (a !== undefined && a === b) tp[a]++;
  }

  const perClass = prf(tp, predSum, trueSum, zd, compat, warnings);
  const total = trueSum.reduce((a, b) => a + b, 0);
  const rowCount = Math.min(names.length, k);

  const microTp = [tp.reduce((a, b) => a + b, 0)];
  const micro = prf(microTp, [predSum.reduce((a, b) => a + b, 0)], [total], zd, compat, warnings);
  const averages: [string, number[]][] = [
    [microIsAccuracy ? 'accuracy' : 'micro avg', [micro.precision[0], micro.recall[0], micro.f1[0]]],
    ['macro avg', average(perClass, null, predSum, zd, compat)],
    ['weighted avg', average(perClass, trueSum, predSum, zd, compat)],
  ];
  opts.warnings?.push(...[...warnings].filter((w) => !opts.warnings!.includes(w)));

  if (opts.outputDict) {
    const dict: ClassificationReportDict = {};
    for (let i = 0; i < rowCount; i++) {
      dict[names[i]] = row(perClass.precision[i], perClass.recall[i], perClass.f1[i], trueSum[i]);
    }
    for (const [heading, [ap, ar, af]] of averages) {
      dict[heading] = heading === 'accuracy' ? ap : row(ap, ar, af, total);
    }
    return dict;
  }

  // scikit-learn quirk, kept for byte equality: when no sample at all is predicted correctly, its
  // multilabel_confusion_matrix falls back to a float array ("pathological case"), so the support column
  // prints as 4.0 instead of 4.
  let anyCorrect = false;
  for (let i = 0; i < t.length && !anyCorrect; i++) anyCorrect = t[i] === p[i];
  const support = (v: number) => pyRjust(anyCorrect ? String(v) : `${v}.0`, 9);
  const width = Math.max(Math.max(...names.map(pyLen)), 'weighted avg'.length, digits);
  const num = (x: number) => ` ${pyRjust(pyFixed(x, digits), 9)}`;
  let text = `${pyRjust('', width)} ${HEADERS.map((h) => ` ${pyRjust(h, 9)}`).join('')}\n\n`;
  for (let i = 0; i < rowCount; i++) {
    text += `${pyRjust(names[i], width)} ${num(perClass.precision[i])}${num(perClass.recall[i])}` +
      `${num(perClass.f1[i])} ${support(trueSum[i])}\n`;
  }
  text += '\n';
  for (const [heading, [ap, ar, af]] of averages) {
    text += heading === 'accuracy'
      ? `${pyRjust(heading, width)} ${' '.repeat(20)}${num(af)} ${support(total)}\n` // two empty columns
      : `${pyRjust(heading, width)} ${num(ap)}${num(ar)}${num(af)} ${support(total)}\n`;
  }
  return text;
}

function row(precision: number, recall: number, f1: number, support: number): ReportRow {
  return { precision, recall, 'f1-score': f1, support };
}

function sameSet(a: number[], b: number[]): boolean {
  const sa = new Set(a.map((x) => (x === 0 ? 0 : x)));
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** Validates zero_division as scikit-learn does ('warn', 0, 1, or NaN from 1.3 on). */
export function checkZeroDivision(zd: ZeroDivision, compat: SklearnCompat = 'current'): ZeroDivision {
  if (zd === 'warn' || zd === 0 || zd === 1) return zd;
  if (typeof zd === 'number' && Number.isNaN(zd)) {
    if (compat === '1.2') throw new RangeError('zeroDivision = NaN needs compat "current" (scikit-learn >= 1.3)');
    return zd;
  }
  throw new RangeError(`zeroDivision = ${String(zd)}: expected 'warn', 0, 1 or NaN`);
}

/** scikit-learn's _prf_divide: num/den, and the zero_division value where den = 0. */
function prfDivide(num: number, den: number, zd: ZeroDivision): number {
  if (den !== 0) return num / den;
  return zd === 'warn' ? 0 : zd;
}

/** precision_recall_fscore_support(average=None) on per-label counts. */
function prf(tp: number[], predSum: number[], trueSum: number[], zd: ZeroDivision, compat: SklearnCompat,
  warnings: Set<string>): Prf {
  const k = tp.length;
  const precision = tp.map((v, i) => prfDivide(v, predSum[i], zd));
  const recall = tp.map((v, i) => prfDivide(v, trueSum[i], zd));
  let f1: number[];
  if (compat === '1.2') {
    f1 = precision.map((pr, i) => {
      let denom = pr + recall[i];
      if (denom === 0) denom = 1;
      return (2 * pr * recall[i]) / denom;
    });
  } else {
    f1 = tp.map((v, i) => prfDivide(2 * v, trueSum[i] + predSum[i], zd));
  }
  if (zd === 'warn') {
    const where = k === 1 ? 'due to' : 'in labels with';
    const msg = (what: string, modifier: string) =>
      `${what} ill-defined and being set to 0.0 ${where} no ${modifier} samples. Use \`zero_division\` parameter to control this behavior.`;
    if (predSum.some((v) => v === 0)) warnings.add(msg(compat === '1.2' ? 'Precision and F-score are' : 'Precision is', 'predicted'));
    if (trueSum.some((v) => v === 0)) warnings.add(msg(compat === '1.2' ? 'Recall and F-score are' : 'Recall is', 'true'));
    if (compat === 'current' && tp.some((_, i) => trueSum[i] + predSum[i] === 0)) warnings.add(msg('F-score is', 'true nor predicted'));
  }
  return { precision, recall, f1 };
}

/** The macro (weights null) or weighted (weights = support) average of each of P, R, F1. */
function average(v: Prf, weights: number[] | null, predSum: number[], zd: ZeroDivision, compat: SklearnCompat): number[] {
  const cols = [v.precision, v.recall, v.f1];
  if (compat === '1.2') {
    if (weights === null) return cols.map((c) => npMean(c));
    if (npSum(weights) === 0) {
      const z = zd === 1 ? 1 : 0;
      return npSum(predSum) === 0 ? [z, z, z] : [0, z, 0];
    }
    return cols.map((c) => npWeightedAverage(c, weights));
  }
  return cols.map((c) => nanAverage(c, weights));
}

/** scikit-learn's _nanaverage (>= 1.3): NaN entries are left out; all-NaN gives NaN. */
function nanAverage(a: number[], weights: number[] | null): number {
  if (a.length === 0 || a.every(Number.isNaN)) return NaN;
  if (weights === null) {
    // np.nanmean: NaN replaced by 0 in the sum, divided by the count of non-NaN entries.
    return npSum(a.map((x) => (Number.isNaN(x) ? 0 : x))) / a.filter((x) => !Number.isNaN(x)).length;
  }
  const keep = a.map((x) => !Number.isNaN(x));
  const av = a.filter((_, i) => keep[i]);
  const wv = weights.filter((_, i) => keep[i]);
  if (npSum(wv) === 0) return npMean(av); // all weights zero: unweighted, as scikit-learn falls back to
  return npWeightedAverage(av, wv);
}
