// `tlearn evaluate MODEL DATA --out DIR`: metrics of a model on a labelled split.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { loadFunction } from '../planned.js';
import type { MetricsJson } from '../../metrics/index.js';
import type { EvaluateCommandOptions } from '../../eval/types.js';
import { checkFractions } from '../../data/split.js';
import { isImageFile, outputFolderKind } from '../../data/names.js';

/** The parsed flags: src/eval's options (paths still as typed) without the logger, plus --json. */
export interface EvaluateOptions extends Omit<EvaluateCommandOptions, 'log'> {
  json: boolean;
}

/** What src/eval/index.ts `evaluate` receives: the options with absolute paths, and a progress logger. */
export type EvaluateRunOptions = EvaluateCommandOptions;

/** metrics.json (ARCHITECTURE.md, "Evaluation directory"), as src/metrics builds it. */
export type EvaluationMetrics = MetricsJson;

export type EvaluateFn = (opts: EvaluateRunOptions) => Promise<EvaluationMetrics>;

function fmt(x: number | null | undefined, digits = 4): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

/** The few lines a person wants to see after an evaluation. */
export function formatMetricsSummary(m: EvaluationMetrics): string {
  const ci = m.auc_ci95?.[0] != null ? ` (95% CI ${fmt(m.auc_ci95[0], 3)}-${fmt(m.auc_ci95[1], 3)})` : '';
  const c = m.confusion;
  return [
    `n=${m.n}  classes=${m.classes.join(',')}  positive=${m.positive_class}  threshold=${fmt(m.threshold)}`,
    `AUC ${fmt(m.auc)}${ci}  accuracy ${fmt(m.accuracy)}  balanced accuracy ${fmt(m.balanced_accuracy)}`,
    `precision ${fmt(m.precision)}  recall ${fmt(m.recall)}  specificity ${fmt(m.specificity)}  F1 ${fmt(m.f1)}  MCC ${fmt(m.mcc)}`,
    `confusion: tn=${c.tn} fp=${c.fp} fn=${c.fn} tp=${c.tp}`,
  ].join('\n') + '\n';
}

/** JSON with the contract's convention for non-finite numbers (roc thresholds[0] = +inf is written as null). */
export function metricsToJSON(m: unknown): string {
  return JSON.stringify(m, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

export function checkModelFile(model: string): void {
  if (!fs.existsSync(model)) throw new UsageError(`the model file ${model} does not exist`);
  if (!fs.statSync(model).isFile()) throw new UsageError(`the model ${model} is not a file`);
}

/** True for a folder written by `tlearn train`: config.json with a history, RUN/last/, or best_model_* checkpoints. */
export function isRunFolder(dir: string): boolean {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return false;
  }
  return (names.includes('config.json') && (names.includes('history.csv') || names.includes('history.jsonl'))) ||
    names.includes('last') || names.some((n) => n.startsWith('best_model_'));
}

/** Folders a training run writes for itself (src/train/run-dir.ts): never an evaluation's --out, nor inside. */
const RUN_FOLDERS = ['last', '.last.new', '.last.old', 'eval', '.feature-cache'];

/** The nearest folder above `out` that is a training run, or null. */
function enclosingRun(out: string): string | null {
  for (let dir = path.dirname(out); ; dir = path.dirname(dir)) {
    if (isRunFolder(dir)) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

/** A folder an earlier `evaluate` wrote (it may be written again), or an empty one. */
function isEvaluationOrEmpty(dir: string): boolean {
  const names = fs.readdirSync(dir);
  return names.length === 0 || names.includes('metrics.json');
}

/**
 * Evaluation files (report.html, metrics.json, ...) written into a training run folder would replace the
 * run's own report, into RUN/eval the run's test evaluation, into RUN/last its resume state: inside a run,
 * only a new folder of its own (RUN/eval-NAME) or an earlier evaluation folder is taken.
 */
function checkNotRunFolder(out: string, data: string): void {
  const suggestion = (run: string) => path.join(run, `eval-${path.parse(data).name || 'data'}`);
  if (isRunFolder(out)) {
    // A run killed before its evaluation has no report.html yet: the reason is then its own files.
    const why = fs.existsSync(path.join(out, 'report.html')) ? 'evaluate would replace its report.html'
      : "evaluate would write its files among the run's own files";
    throw new UsageError(`--out ${out} is a training run folder; ${why}. ` +
      `Write the evaluation into a folder of its own, e.g. --out ${suggestion(out)}`);
  }
  const run = enclosingRun(out);
  if (run === null) return;
  const top = path.relative(run, out).split(path.sep)[0]!;
  const topDir = path.join(run, top);
  const why = top === 'eval' ? `the test evaluation of the training run ${run}`
    : RUN_FOLDERS.includes(top) ? `a folder the training run ${run} keeps for itself (${top}/)`
    // An existing folder directly in the run that holds something else (not an earlier evaluation).
    : topDir === out && fs.existsSync(out) && fs.statSync(out).isDirectory() && !isEvaluationOrEmpty(out)
      ? `an existing folder inside the training run ${run} that does not hold an earlier evaluation` : null;
  if (why === null) return;
  throw new UsageError(`--out ${out} is ${out === topDir ? '' : 'inside '}${why}; evaluate writes only into a new folder inside the training run ` +
    `(or an earlier evaluation's), e.g. --out ${suggestion(run)}`);
}

/**
 * True when dir holds an image (recursively) the way the data loader sees it: hidden entries and tlearn
 * output folders are skipped. Stops at the first image found.
 */
function holdsDataImages(dir: string, seen = new Set<string>()): boolean {
  let entries: fs.Dirent[];
  try {
    // A symlink loop (or a folder linked twice) is walked once.
    const real = fs.realpathSync(dir);
    if (seen.has(real)) return false;
    seen.add(real);
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  // The data loader skips tlearn's own output folders, so their images are not data.
  if (outputFolderKind(new Set(entries.map((e) => e.name)))) return false;
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isFile() && isImageFile(e.name)) return true;
    if ((e.isDirectory() || e.isSymbolicLink()) && holdsDataImages(p, seen)) return true;
  }
  return false;
}

/**
 * An evaluation written into a class or split folder of DATA puts its files among the images, and the next
 * load of DATA skips that folder as tlearn output (a class silently gone). Writing into DATA itself, or
 * into a new folder directly in it, is harmless.
 */
function checkNotInsideDataFolders(out: string, data: string): void {
  if (!fs.statSync(data).isDirectory()) return;
  const rel = path.relative(data, out);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return;
  let dir = data;
  for (const part of rel.split(path.sep)) {
    dir = path.join(dir, part);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return;
    if (!holdsDataImages(dir)) continue;
    const shown = path.relative(data, dir).split(path.sep).join('/');
    throw new UsageError(`--out ${out} is ${dir === out ? '' : 'inside '}a class or split folder of the data (${shown}/ of ${data} holds images): ` +
      'evaluate would write its files among the images, and a later load of the data would skip that folder. ' +
      `Write the evaluation outside the data, e.g. --out ${path.join(path.dirname(data), `eval-${path.basename(data)}`)}`);
  }
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
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a file, not a folder`);
  checkNotRunFolder(out, data);
  checkNotInsideDataFolders(out, data);
  checkSplitFractions(opts);
  const evaluate = await loadFunction<EvaluateFn>('../eval/index.js', 'evaluate', 'evaluation');
  const { json, ...rest } = opts;
  const metrics = await evaluate({ ...rest, model, data, out, log: (line) => io.err(`${line}\n`) });
  io.out(json ? metricsToJSON(metrics) : `${formatMetricsSummary(metrics)}written to ${out}\n`);
}
