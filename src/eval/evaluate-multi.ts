// Evaluation of a multi-class or multi-label model: the same folder as a binary evaluation (metrics.json,
// classification_report.txt, predictions.csv, charts, report.html) with the task's metric set (src/tasks) and
// the C-class report sections (src/report/multi): row-normalised confusion matrix, per-class table,
// one-vs-rest ROC curves, the misclassified gallery grouped by the most confused pairs.
import path from 'node:path';
import { formatCsv } from '../data/csv.js';
import { writeFileAtomicAsync } from '../io/index.js';
import { multiClassSections, multiLabelSections, writeRenderedCharts, writeReport, type MultiSections } from '../report/index.js';
import { multiclassEvaluation, multilabelEvaluation, type MulticlassMetrics, type MultilabelMetrics } from '../tasks/evaluation.js';
import { copyReport, jsonWithNulls, writeEvaluationFolder } from './eval-folder.js';
import type { EvaluationInput } from './evaluation-input.js';
import { trustComparisons } from './trust.js';
import { correctSampleSection, type CorrectPrediction } from './gallery-cam.js';
import { escapeHtml as esc } from '../report/index.js';

/** Writes every evaluation file of a multi-class or multi-label model; returns the metrics.json object. */
export async function writeMultiEvaluation(input: EvaluationInput): Promise<MulticlassMetrics | MultilabelMetrics> {
  const { items, probabilities, metadata } = input;
  const classes = metadata.classes;
  const c = classes.length;
  const used = items.map((_, i) => i).filter((i) => !Number.isNaN(probabilities[i * c]));
  if (used.length === 0) throw new Error('no image of the split could be read; nothing to evaluate');
  const probs = new Float32Array(used.length * c);
  used.forEach((i, k) => probs.set(probabilities.subarray(i * c, (i + 1) * c), k * c));
  const paths = used.map((i) => items[i]!.relPath);
  const split = input.split ?? 'test';
  const unreadable = input.skipped.map((s) => ({ path: items[s.index]!.relPath, reason: s.reason }));
  const probColumns = (k: number) => classes.map((_, j) => probs[k * c + j]!);

  let metrics: MulticlassMetrics | MultilabelMetrics;
  let reportText: string;
  let header: string[];
  let rows: (string | number)[][];
  let sections: MultiSections;
  // Grad-CAM (issue 20): the galleries show overlays (a libtorch model), and a sample of correct predictions.
  const gallery = { imageRoot: input.root, ...(input.explainer ? { overlays: input.explainer } : {}) };
  let correct: CorrectPrediction[] = [];
  let camOf = 'the predicted class';
  if (metadata.task === 'multiclass') {
    const y = Int32Array.from(used, (i) => items[i]!.label);
    const e = multiclassEvaluation(y, probs, classes);
    ({ metrics, reportText } = e);
    header = ['path', 'label', 'predicted', 'probability', ...classes];
    rows = used.map((_, k) => [paths[k]!, classes[y[k]!]!, classes[e.predicted[k]!]!, probs[k * c + e.predicted[k]!]!, ...probColumns(k)]);
    sections = await multiClassSections({ classes: [...classes], yTrue: y, probs, paths: used.map((i) => items[i]!.path) }, { split, gallery });
    correct = used.flatMap((i, k) => y[k] !== e.predicted[k] ? [] : [{
      path: paths[k]!, file: items[i]!.path, target: e.predicted[k]!,
      captionHtml: `<div>true and predicted: <b>${esc(classes[y[k]!]!)}</b></div><div class="muted">p = ${probs[k * c + y[k]!]!.toFixed(3)}</div>`,
    }]);
  } else {
    const y = new Uint8Array(used.length * c);
    used.forEach((i, k) => { for (const j of items[i]!.labels ?? []) y[k * c + j] = 1; });
    const thresholds = metadata.thresholds ?? classes.map(() => input.threshold);
    const e = multilabelEvaluation(y, probs, classes, thresholds);
    ({ metrics, reportText } = e);
    const names = (row: ArrayLike<number>, k: number) => classes.filter((_, j) => row[k * c + j] === 1).join(';');
    header = ['path', 'labels', 'predicted', ...classes];
    rows = used.map((_, k) => [paths[k]!, names(y, k), names(e.predicted, k), ...probColumns(k)]);
    sections = await multiLabelSections({ classes: [...classes], yTrue: y, probs, thresholds: Float32Array.from(thresholds), paths: used.map((i) => items[i]!.path) },
      { split, gallery });
    // Every label decided right; the map of its most probable predicted label (of its most probable label when none is predicted).
    camOf = 'the most probable predicted label';
    correct = used.flatMap((i, k) => {
      const row = classes.map((_, j) => j);
      if (row.some((j) => y[k * c + j] !== e.predicted[k * c + j])) return [];
      const predicted = row.filter((j) => e.predicted[k * c + j] === 1);
      const target = (predicted.length ? predicted : row).reduce((a, j) => (probs[k * c + j]! > probs[k * c + a]! ? j : a));
      return [{
        path: paths[k]!, file: items[i]!.path, target,
        captionHtml: `<div>labels: <b>${esc(names(y, k) || 'none')}</b></div><div class="muted">Grad-CAM of ${esc(classes[target]!)}, p = ${probs[k * c + target]!.toFixed(3)}</div>`,
      }];
    });
  }
  if (unreadable.length > 0) metrics.unreadable = unreadable;
  for (const w of metrics.warnings) input.log?.(`warning: ${w}`);
  // Without TTA and before temperature scaling, when either applies (issue 20).
  const trust = await trustComparisons(input, used);
  const cam = input.explainer ? await correctSampleSection(input.explainer, correct, camOf) : null;
  Object.assign(metrics, trust.json);

  const ctx = input.context ?? {};
  const history = ctx.history?.length ? { history: ctx.history, ...(ctx.trainingMarks ? { trainingMarks: ctx.trainingMarks } : {}) } : null;
  await writeEvaluationFolder(input.out, async (dir) => {
    await writeFileAtomicAsync(path.join(dir, 'metrics.json'), jsonWithNulls(metrics));
    await writeFileAtomicAsync(path.join(dir, 'classification_report.txt'), reportText);
    await writeFileAtomicAsync(path.join(dir, 'predictions.csv'), formatCsv(header, rows));
    await writeRenderedCharts(dir, sections.charts);
    await writeReport(path.join(dir, 'report.html'), {
      title: ctx.title ?? `tlearn evaluation: ${metadata.task}, ${c} classes`,
      summary: { model: metadata.arch, task: metadata.task, classes: c, 'image size': metadata.imageSize,
        [split === 'all' ? 'images' : `${split} images`]: used.length, ...ctx.summary },
      config: ctx.config, audit: ctx.audit ?? null, metrics: { ...metrics }, classificationReport: reportText, charts: history,
      sections: [...sections.sections, ...(cam ? [cam] : []), ...trust.sections], split, skipped: unreadable,
    });
  });
  if (ctx.reportFile) await copyReport(path.join(input.out, 'report.html'), ctx.reportFile, input.out);
  return metrics;
}
