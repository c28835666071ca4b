// `tlearn evaluate MODEL DATA --out DIR`: metrics of a model on a labelled split.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { loadPart } from '../planned.js';
import { isOnnxFile, onnxPart } from './onnx-model.js';
import type { EvaluateCommandOptions } from '../../eval/types.js';
import { checkFractions } from '../../data/split.js';
import { notRegularReason } from '../../io/regular-file.js';

/** The parsed flags: src/eval's options (paths still as typed) without the logger, plus --json. */
export interface EvaluateOptions extends Omit<EvaluateCommandOptions, 'log'> {
  json: boolean;
}

/** What src/eval/index.ts `evaluate` receives: the options with absolute paths, and a progress logger. */
export type EvaluateRunOptions = EvaluateCommandOptions;

/** metrics.json (ARCHITECTURE.md, "Evaluation directory"), as src/eval writes it (null where a metric is undefined). */
export type EvaluationMetrics = import('../../eval/index.js').AnyEvaluationMetrics;

/** src/eval/index.ts `evaluate`: its own type. */
export type EvaluateFn = typeof import('../../eval/index.js').evaluate;

function fmt(x: number | null | undefined, digits = 4): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

/** A 95 % interval as lo-hi (n/a where its proportion has no denominator). */
const range = (ci: [number, number] | null | undefined): string => (ci ? `${fmt(ci[0], 3)}-${fmt(ci[1], 3)}` : 'n/a');

/** A proportion with its 95 % interval after it, when it has one. */
const withCi = (x: number, ci: [number, number] | null | undefined): string => `${fmt(x)}${ci ? ` (95% CI ${range(ci)})` : ''}`;

type PerClass = Extract<EvaluationMetrics, { task: string }>;

/**
 * The class (label) recognised least often, with the Wilson interval of its recall: the first thing to doubt in a
 * good macro average. Classes without true images have no recall and are passed over; null when none has one.
 */
function lowestRecall(m: PerClass): string | null {
  const report = m.classification_report as Record<string, { recall?: number; support?: number }>;
  let low: { name: string; recall: number; support: number } | null = null;
  for (const name of m.classes) {
    const row = report[name];
    if (!row || !(typeof row.recall === 'number') || !row.support) continue;
    if (!low || row.recall < low.recall) low = { name, recall: row.recall, support: row.support };
  }
  if (!low) return null;
  return `lowest recall: ${low.name} ${withCi(low.recall, m.recall_ci95[low.name])} of ${low.support} image${low.support === 1 ? '' : 's'}`;
}

/** A model with conformal sets: how they did here against the coverage they promise. */
function conformalLine(m: EvaluationMetrics): string[] {
  const c = (m as { conformal?: { alpha: number; coverage: number; mean_set_size: number; empty_sets: number } }).conformal;
  if (!c) return [];
  return [`conformal sets (alpha ${c.alpha}): coverage ${fmt(c.coverage)} (promised at least ${+(1 - c.alpha).toFixed(6)})  mean set size ${fmt(c.mean_set_size)}  empty ${fmt(c.empty_sets)}`];
}

/** The few lines a person wants to see after an evaluation. */
export function formatMetricsSummary(m: EvaluationMetrics): string {
  return summaryLines(m).replace(/\n$/, '') + '\n' + conformalLine(m).map((l) => `${l}\n`).join('');
}

function summaryLines(m: EvaluationMetrics): string {
  if ('task' in m) {
    const head = `n=${m.n}  task=${m.task}  classes=${m.classes.join(',')}`;
    const lines = m.task === 'multiclass'
      ? [head, `accuracy ${withCi(m.accuracy, m.accuracy_ci95)}  balanced accuracy ${fmt(m.balanced_accuracy)}  AUC (one-vs-rest, macro) ${fmt(m.auc)}`,
        `macro precision ${fmt(m.precision_macro)}  recall ${fmt(m.recall_macro)}  F1 ${fmt(m.f1_macro)}  log loss ${fmt(m.log_loss)}`]
      : [head, `subset accuracy ${withCi(m.subset_accuracy, m.subset_accuracy_ci95)}  Hamming loss ${fmt(m.hamming_loss)}  AUC (macro) ${fmt(m.auc)}`,
        `macro precision ${fmt(m.precision_macro)}  recall ${fmt(m.recall_macro)}  F1 ${fmt(m.f1_macro)}  micro F1 ${fmt(m.f1_micro)}`];
    const low = lowestRecall(m);
    return [...lines, ...(low ? [low] : [])].join('\n') + '\n';
  }
  const ci = m.auc_ci95?.[0] != null ? ` (95% CI ${fmt(m.auc_ci95[0], 3)}-${fmt(m.auc_ci95[1], 3)})` : '';
  const c = m.confusion;
  return [
    `n=${m.n}  classes=${m.classes.join(',')}  positive=${m.positive_class}  threshold=${fmt(m.threshold)}`,
    `AUC ${fmt(m.auc)}${ci}  accuracy ${fmt(m.accuracy)}  balanced accuracy ${fmt(m.balanced_accuracy)}`,
    `precision ${fmt(m.precision)}  recall ${fmt(m.recall)}  specificity ${fmt(m.specificity)}  F1 ${fmt(m.f1)}  MCC ${fmt(m.mcc)}`,
    `95% Wilson CI: sensitivity ${range(m.recall_ci95)}  specificity ${range(m.specificity_ci95)}  PPV ${range(m.precision_ci95)}  NPV ${range(m.npv_ci95)}`,
    `confusion: tn=${c.tn} fp=${c.fp} fn=${c.fn} tp=${c.tp}`,
  ].join('\n') + '\n';
}

/** JSON with the contract's convention for non-finite numbers (roc thresholds[0] = +inf is written as null). */
export function metricsToJSON(m: unknown): string {
  return JSON.stringify(m, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

export function checkModelFile(model: string): void {
  if (!fs.existsSync(model)) throw new UsageError(`the model file ${model} does not exist`);
  const special = notRegularReason(fs.statSync(model));
  if (special) throw new UsageError(`the model ${model}: ${special}`);
}

/** --val-fraction and --test-fraction must leave images to train on (each alone is checked by the parser). */
function checkSplitFractions(opts: EvaluateOptions): void {
  if (opts.valFraction === undefined && opts.testFraction === undefined) return;
  try {
    checkFractions({ valFraction: opts.valFraction ?? 0, testFraction: opts.testFraction ?? 0 });
  } catch (e) {
    throw new UsageError(`--val-fraction/--test-fraction: ${(e as Error).message}`);
  }
}

export async function runEvaluate(opts: EvaluateOptions, io: CliIO): Promise<void> {
  const model = path.resolve(io.cwd, opts.model);
  const data = path.resolve(io.cwd, opts.data);
  const out = path.resolve(io.cwd, opts.out);
  checkModelFile(model);
  if (!fs.existsSync(data)) throw new UsageError(`the data ${data} does not exist`);
  checkSplitFractions(opts);
  // An .onnx model runs in onnxruntime (src/deploy), without libtorch; a checkpoint in libtorch (src/eval).
  const evaluate = isOnnxFile(model) ? (await onnxPart()).evaluateOnnx : (await loadPart(() => import('../../eval/index.js'), 'evaluation')).evaluate;
  const { json, ...rest } = opts;
  const metrics = await evaluate({ ...rest, model, data, out, log: (line) => io.err(`${line}\n`) });
  io.out(json ? metricsToJSON(metrics) : `${formatMetricsSummary(metrics)}written to ${out}\n`);
}
