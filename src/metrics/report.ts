// scikit-learn's classification_report: the text byte for byte and the output_dict structure, computed
// with the same arithmetic (see prf.ts, numeric.ts) so the unrounded dict values are equal too. The
// renderer (formatReport) is shared with the multilabel report (multilabel.ts).
import { labelCounts, uniqueLabels } from './confusion.js';
import { pyFixed, pyLen, pyRjust } from './format.js';
import {
  averagePrf, checkCompat, checkZeroDivision, microCounts, prfFromCounts, pushWarnings, type PrfScores,
  type SklearnCompat, type ZeroDivision,
} from './prf.js';
import { checkFinite, checkSameLength } from './validate.js';

export { checkZeroDivision, type SklearnCompat, type ZeroDivision } from './prf.js';

export interface ReportRow {
  precision: number;
  recall: number;
  'f1-score': number;
  support: number;
}

/** output_dict=True: one row per class (by target name), then 'accuracy' (a number; 'micro avg' row when
 *  the labels given are not exactly the labels present), 'macro avg', 'weighted avg' (and, for multilabel
 *  data, 'micro avg' and 'samples avg'). */
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

const HEADERS = ['precision', 'recall', 'f1-score', 'support'] as const;

export function classificationReport(
  yTrue: ArrayLike<number>, yPred: ArrayLike<number>, opts: ClassificationReportOptions & { outputDict: true },
): ClassificationReportDict;
export function classificationReport(
  yTrue: ArrayLike<number>, yPred: ArrayLike<number>, opts?: ClassificationReportOptions & { outputDict?: false },
): string;
/**
 * `sklearn.metrics.classification_report(y_true, y_pred, labels=, target_names=, digits=,
 * zero_division=, output_dict=)` for numeric labels: a binary problem (0 and 1) or a multiclass one
 * (class indices; pass `labels: [0, ..., C-1]` to list a class that neither array holds).
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
  const digits = checkDigits(opts.digits);
  const compat = checkCompat(opts.compat);
  const zd = checkZeroDivision(opts.zeroDivision ?? 'warn', compat);
  const warnings = new Set<string>();

  const present = uniqueLabels(t, p);
  const labelsGiven = opts.labels !== undefined;
  const labels = labelsGiven ? Array.from(checkFinite('labels', opts.labels!)) : present;
  if (labels.length === 0) throw new RangeError('labels: at least one label is required');
  const microIsAccuracy = !labelsGiven || sameSet(labels, present);
  const names = reportNames(labels, opts.targetNames, labelsGiven, warnings);
  const counts = labelCounts(t, p, labels);

  const perClass = prfFromCounts(counts, zd, compat, warnings);
  const micro = prfFromCounts(microCounts(counts), zd, compat, warnings);
  const averages: [string, PrfScores][] = [
    [microIsAccuracy ? 'accuracy' : 'micro avg', { precision: micro.precision[0], recall: micro.recall[0], f1: micro.f1[0] }],
    ['macro avg', averagePrf(perClass, null, counts.predSum, zd, compat)],
    ['weighted avg', averagePrf(perClass, counts.trueSum, counts.predSum, zd, compat)],
  ];
  pushWarnings(opts.warnings, warnings);

  // scikit-learn quirk, kept for byte equality: when no sample at all is predicted correctly, its
  // multilabel_confusion_matrix falls back to a float array ("pathological case"), so the support column
  // prints as 4.0 instead of 4.
  let anyCorrect = false;
  for (let i = 0; i < t.length && !anyCorrect; i++) anyCorrect = t[i] === p[i];
  return formatReport({ names, perLabel: perClass, support: counts.trueSum, averages, digits, floatSupport: !anyCorrect,
    outputDict: opts.outputDict ?? false });
}

/** Internal: `digits` validated (default 2). */
export function checkDigits(digits: number | undefined): number {
  const d = digits ?? 2;
  if (!Number.isInteger(d) || d < 0) throw new RangeError(`digits = ${d}: expected a non-negative integer`);
  return d;
}

/** Internal: the row names (target_names, or the labels as text), with scikit-learn's length check. */
export function reportNames(labels: number[], targetNames: readonly string[] | undefined, labelsGiven: boolean,
  warnings: Set<string>): string[] {
  if (targetNames === undefined) return labels.map((l) => String(l));
  const names = [...targetNames];
  if (names.length !== labels.length) {
    if (!labelsGiven) {
      throw new RangeError(`Number of classes, ${labels.length}, does not match size of target_names, ${names.length}. ` +
        'Try specifying the labels parameter');
    }
    warnings.add(`labels size, ${labels.length}, does not match size of target_names, ${names.length}`);
  }
  return names;
}

/** What formatReport lays out. */
export interface ReportContent {
  /** Row names; rows beyond the shorter of names and perLabel are dropped, as Python's zip does. */
  names: string[];
  perLabel: { precision: number[]; recall: number[]; f1: number[] };
  support: number[];
  /** The average rows in order; a heading 'accuracy' prints F1 only (and is a number in the dict). */
  averages: [string, PrfScores][];
  digits: number;
  /** Print the support as 4.0 (scikit-learn's float fallback of the counts). */
  floatSupport: boolean;
  outputDict: boolean;
}

/** Internal: the report's text (byte for byte scikit-learn's) or its output_dict. */
export function formatReport(c: ReportContent): string | ClassificationReportDict {
  const rowCount = Math.min(c.names.length, c.support.length);
  const total = c.support.reduce((a, b) => a + b, 0);
  if (c.outputDict) {
    const dict: ClassificationReportDict = {};
    for (let i = 0; i < rowCount; i++) {
      dict[c.names[i]] = row(c.perLabel.precision[i], c.perLabel.recall[i], c.perLabel.f1[i], c.support[i]);
    }
    for (const [heading, a] of c.averages) {
      dict[heading] = heading === 'accuracy' ? a.precision : row(a.precision, a.recall, a.f1, total);
    }
    return dict;
  }
  const { digits } = c;
  const support = (v: number) => pyRjust(c.floatSupport ? `${v}.0` : String(v), 9);
  const width = Math.max(Math.max(...c.names.map(pyLen)), 'weighted avg'.length, digits);
  const num = (x: number) => ` ${pyRjust(pyFixed(x, digits), 9)}`;
  let text = `${pyRjust('', width)} ${HEADERS.map((h) => ` ${pyRjust(h, 9)}`).join('')}\n\n`;
  for (let i = 0; i < rowCount; i++) {
    text += `${pyRjust(c.names[i], width)} ${num(c.perLabel.precision[i])}${num(c.perLabel.recall[i])}` +
      `${num(c.perLabel.f1[i])} ${support(c.support[i])}\n`;
  }
  text += '\n';
  for (const [heading, a] of c.averages) {
    text += heading === 'accuracy'
      ? `${pyRjust(heading, width)} ${' '.repeat(20)}${num(a.f1)} ${support(total)}\n` // two empty columns
      : `${pyRjust(heading, width)} ${num(a.precision)}${num(a.recall)}${num(a.f1)} ${support(total)}\n`;
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
