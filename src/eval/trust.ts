// The reference results an evaluation reports beside its main one (issue 20): without test-time augmentation
// (--tta), and before temperature scaling (a model with a calibration temperature). Both come from the same
// forward passes as the main probabilities (src/eval/torch-engine.ts); here they become metrics.json entries
// and report sections.
import { binaryMetrics, calibrationCurve, conformalCoverage, ECE_BINS, eceFromCurve } from '../metrics/index.js';
import type { TaskKind } from '../models/index.js';
import { calibrationSection, conformalSection, ttaSection, type CalibrationData, type ComparisonColumn, type ReportSection } from '../report/index.js';
import { TTA_AVERAGES } from './tta.js';
import { calibrationError } from '../tasks/calibration-error.js';
import { multiclassEvaluation, multilabelEvaluation } from '../tasks/evaluation.js';
import type { EvaluationInput } from './evaluation-input.js';

/** The metrics compared (null where one is not defined, e.g. AUC with one class). */
export interface TrustSummary { auc: number | null; accuracy: number | null; log_loss: number | null; brier?: number | null; ece: number | null }

export interface TrustResult {
  /** Keys for metrics.json: `tta`, `calibration`, `conformal`. */
  json: Record<string, unknown>;
  sections: ReportSection[];
}

/** Rows of `used` items from a probability array of `width` per item. */
function rowsOf(all: Float64Array, used: readonly number[], width: number): Float32Array {
  const out = new Float32Array(used.length * width);
  used.forEach((i, k) => out.set(all.subarray(i * width, (i + 1) * width), k * width));
  return out;
}

const finiteOrNull = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Binary: the summary and the reliability curve of probabilities p against labels y. */
function binarySummary(y: number[], p: ArrayLike<number>, threshold: number, classes: [string, string]): { summary: TrustSummary; curve: CalibrationData } {
  const cal = calibrationCurve(y, p, { nBins: ECE_BINS });
  const m = binaryMetrics(y, p, threshold, { classes });
  const ece = eceFromCurve(cal);
  return {
    summary: { auc: finiteOrNull(m.auc), accuracy: m.accuracy, log_loss: m.log_loss, brier: m.brier, ece },
    curve: { ...cal, nBins: ECE_BINS, ece, brier: m.brier },
  };
}

/** Multi-class / multi-label: the summary of probabilities [n, C]. */
function multiSummary(kind: TaskKind, input: EvaluationInput, used: readonly number[], probs: Float32Array): TrustSummary {
  const classes = input.metadata.classes;
  const c = classes.length;
  if (kind === 'multiclass') {
    const y = Int32Array.from(used, (i) => input.items[i]!.label);
    const m = multiclassEvaluation(y, probs, classes).metrics;
    return { auc: finiteOrNull(m.auc), accuracy: m.accuracy, log_loss: m.log_loss, ece: calibrationError(kind, probs, y, c) };
  }
  const y = new Uint8Array(used.length * c);
  used.forEach((i, k) => { for (const j of input.items[i]!.labels ?? []) y[k * c + j] = 1; });
  const m = multilabelEvaluation(y, probs, classes, input.metadata.thresholds ?? classes.map(() => input.threshold)).metrics;
  return { auc: finiteOrNull(m.auc), accuracy: m.subset_accuracy, log_loss: null, ece: calibrationError(kind, probs, y, c) };
}

/** A model with conformal sets: their coverage on the evaluated images (metrics.json `conformal` and a section). */
function conformalReport(out: TrustResult, input: EvaluationInput, used: readonly number[], width: number, split: string): void {
  const { metadata } = input, fit = metadata.conformal!, binary = metadata.task === 'binary';
  const rows = used.map((i) => input.probabilities.subarray(i * width, (i + 1) * width));
  const y = used.map((i) => input.items[i]!.label);
  const c = conformalCoverage(rows, y, fit.qhat, binary, metadata.classes.length);
  const counts = metadata.classes.map((_, k) => y.filter((v) => v === k).length);
  out.json.conformal = {
    alpha: fit.alpha, qhat: fit.qhat, n_calibration: fit.n, coverage: c.coverage, mean_set_size: c.meanSetSize, empty_sets: c.emptySets,
    class_coverage: Object.fromEntries(metadata.classes.map((name, k) => [name, c.classCoverage[k]])),
  };
  out.sections.push(conformalSection({
    alpha: fit.alpha, qhat: fit.qhat, n: fit.n, coverage: c.coverage, meanSetSize: c.meanSetSize, emptySets: c.emptySets,
    classes: metadata.classes.map((name, k) => ({ name, count: counts[k]!, coverage: c.classCoverage[k]! })),
  }, split));
}

/**
 * The comparisons of an evaluation (`used` are the indices of the items with probabilities): the conformal sets'
 * coverage for a model that has them, the result before temperature scaling and without TTA when either applies.
 */
export async function trustComparisons(input: EvaluationInput, used: readonly number[]): Promise<TrustResult> {
  const out: TrustResult = { json: {}, sections: [] };
  const { metadata } = input;
  const kind = metadata.task;
  const width = kind === 'binary' ? 1 : metadata.classes.length;
  const split = input.split ?? 'test';
  if (metadata.conformal && kind !== 'multilabel') conformalReport(out, input, used, width, split);
  if (!input.plain && !input.uncalibrated) return out;
  const summarise = (all: Float64Array) => {
    const p = rowsOf(all, used, width);
    if (kind !== 'binary') return { summary: multiSummary(kind, input, used, p), curve: null };
    return binarySummary(used.map((i) => input.items[i]!.label), p, input.threshold, metadata.classes as [string, string]);
  };
  const main = summarise(input.probabilities);
  if (input.uncalibrated) {
    const before = summarise(input.uncalibrated);
    const t = metadata.temperature ?? 1;
    out.json.calibration = { method: 'temperature', temperature: t, before: before.summary, after: main.summary };
    const columns: [ComparisonColumn, ComparisonColumn] = [
      { heading: 'Before (T = 1)', values: { ...before.summary } }, { heading: `After (T = ${t.toPrecision(4)})`, values: { ...main.summary } },
    ];
    out.sections.push(await calibrationSection(t, columns, before.curve && main.curve ? [before.curve, main.curve] : null, split));
  }
  if (input.plain) {
    const plain = summarise(input.plain);
    const mode = input.tta ?? 'flip';
    out.json.tta = { method: mode, without: plain.summary, with: main.summary };
    out.sections.push(ttaSection(mode, TTA_AVERAGES[mode], [
      { heading: 'Without TTA', values: { ...plain.summary } }, { heading: `With TTA (${mode})`, values: { ...main.summary } },
    ]));
  }
  return out;
}
