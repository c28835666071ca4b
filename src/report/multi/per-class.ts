// The per-class numbers of a C-class report, from the scikit-learn-equal metrics of src/metrics: precision,
// recall, F1 and support (precision_recall_fscore_support, average=None), one-vs-rest ROC AUC and, for
// multilabel, average precision and the ROC curve of each class. A class with no positive (or no negative)
// image has no AUC: it is null here (scikit-learn raises), so one absent class cannot sink the report.
import { averagePrecision, classIntervals, multiclassConfusionMatrix, multiclassCounts, multilabelLabelCounts, multiclassPrfPerClass, rocAucScore, rocCurve, type PrfCounts } from '../../metrics/index.js';
import { multilabelPrfPerLabel } from '../../metrics/multilabel.js';
import {
  argmaxRows, checkMultiClassView, checkMultiLabelView, columnOf, multiLabelDecisions, rowsOf,
  type MultiClassView, type MultiLabelView,
} from './view.js';

export interface ClassStats {
  name: string;
  /** Images whose truth holds the class. */
  support: number;
  precision: number;
  recall: number;
  f1: number;
  /** One-vs-rest ROC AUC; null when the class is on every image or on none. */
  auc: number | null;
  /** 95 % Wilson intervals of precision and recall (null without a predicted or a true image). */
  precisionCi95: [number, number] | null;
  recallCi95: [number, number] | null;
  /** Multilabel only: the label's decision threshold and its average precision (null without a positive). */
  threshold?: number;
  averagePrecision?: number | null;
}

/** One class's one-vs-rest ROC curve (absent when its AUC is undefined). */
export interface OvrCurve {
  index: number;
  name: string;
  auc: number;
  fpr: number[];
  tpr: number[];
}

function positives(y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i];
  return s;
}

function ovr(y: Uint8Array, s: Float64Array): { auc: number | null; curve: { fpr: number[]; tpr: number[] } | null } {
  const pos = positives(y);
  if (pos === 0 || pos === y.length) return { auc: null, curve: null };
  const roc = rocCurve(y, s);
  return { auc: rocAucScore(y, s), curve: { fpr: roc.fpr, tpr: roc.tpr } };
}

function curvesOf(names: string[], parts: ReturnType<typeof ovr>[]): OvrCurve[] {
  const out: OvrCurve[] = [];
  parts.forEach((p, j) => { if (p.auc !== null && p.curve) out.push({ index: j, name: names[j], auc: p.auc, ...p.curve }); });
  return out;
}

/** Each class's Wilson intervals, from its counts. */
const intervalsOf = (k: PrfCounts): Pick<ClassStats, 'precisionCi95' | 'recallCi95'>[] =>
  classIntervals(k).map((i) => ({ precisionCi95: i.precision, recallCi95: i.recall }));

export interface MultiClassStats {
  stats: ClassStats[];
  curves: OvrCurve[];
  /** Argmax prediction per image. */
  predicted: Int32Array;
  /** C×C counts, rows true classes, columns predictions. */
  confusion: number[][];
}

export function multiClassStats(v: MultiClassView): MultiClassStats {
  checkMultiClassView(v);
  const c = v.classes.length;
  const predicted = argmaxRows(v.probs, c);
  const labels = Array.from({ length: c }, (_, j) => j);
  // zero_division 0: a class never predicted has precision 0, as the classification report prints it.
  const prf = multiclassPrfPerClass(v.yTrue, predicted, { labels, zeroDivision: 0 });
  const parts = labels.map((j) => ovr(Uint8Array.from(v.yTrue, (y) => (y === j ? 1 : 0)), columnOf(v.probs, c, j)));
  const ci = intervalsOf(multiclassCounts(v.yTrue, predicted, labels));
  const stats = labels.map((j) => ({
    name: v.classes[j], support: prf.support[j], precision: prf.precision[j], recall: prf.recall[j], f1: prf.f1[j], auc: parts[j].auc, ...ci[j]!,
  }));
  return { stats, curves: curvesOf(v.classes, parts), predicted, confusion: multiclassConfusionMatrix(v.yTrue, predicted, c) };
}

export interface MultiLabelStats {
  stats: ClassStats[];
  curves: OvrCurve[];
  /** n×C decisions (probs >= the label's threshold), row-major. */
  predicted: Uint8Array;
}

export function multiLabelStats(v: MultiLabelView): MultiLabelStats {
  checkMultiLabelView(v);
  const c = v.classes.length;
  const predicted = multiLabelDecisions(v);
  const [truth, decided] = [rowsOf(v.yTrue, c), rowsOf(predicted, c)];
  const prf = multilabelPrfPerLabel(truth, decided, { zeroDivision: 0 });
  const parts: ReturnType<typeof ovr>[] = [];
  const ci = intervalsOf(multilabelLabelCounts(truth, decided));
  const stats = v.classes.map((name, j) => {
    const y = Uint8Array.from(columnOf(v.yTrue, c, j));
    const s = columnOf(v.probs, c, j);
    parts.push(ovr(y, s));
    return {
      name, support: prf.support[j], precision: prf.precision[j], recall: prf.recall[j], f1: prf.f1[j], auc: parts[j].auc,
      threshold: v.thresholds[j], averagePrecision: positives(y) > 0 ? averagePrecision(y, s) : null, ...ci[j]!,
    };
  });
  return { stats, curves: curvesOf(v.classes, parts), predicted };
}
