// Two evaluations of the same images compared (`tlearn compare A B`): each is an evaluation folder (evaluate's
// --out, with metrics.json and predictions.csv) or a run folder (its eval/). The images are paired by their path,
// which must name the same images with the same labels in both; then McNemar's exact test of the accuracies (for a
// multi-label model, of the subset accuracies) and a paired test of the AUCs: DeLong's for binary models, pROC's
// paired bootstrap for the macro AUCs of multi-class and multi-label models (src/metrics/compare.ts).
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../data/csv.js';
import { delongPaired, mcnemarExactP, pairedMacroAucBootstrap, type PairedColumn } from '../metrics/index.js';

/** Resamples of the macro AUC's paired bootstrap (pROC's default boot.n), and the fewest it runs with. */
export const MACRO_AUC_RESAMPLES = 2000;
const MACRO_AUC_MIN_RESAMPLES = 200;
/**
 * The bootstrap reads every image of every class once per model and resample, ~7e7 reads a second on the 2 cores
 * it was measured on: past this many reads (about 20 s) it takes fewer resamples, and under the minimum it is
 * not run and the comparison says why (1000 classes x 50000 images, say).
 */
const MACRO_AUC_BUDGET = 1.5e9;

/** The resamples the macro AUC's bootstrap takes for `classes` x `images` (null: too many to run at all). */
export function macroAucResamples(classes: number, images: number): number | null {
  const n = Math.min(MACRO_AUC_RESAMPLES, Math.floor(MACRO_AUC_BUDGET / (2 * classes * images)));
  return n < MACRO_AUC_MIN_RESAMPLES ? null : n;
}

export type ComparedTask = 'binary' | 'multiclass' | 'multilabel';

export interface EvaluationComparison {
  /** The evaluation folders compared, as found (a run folder's eval/). */
  a: string;
  b: string;
  task: ComparedTask;
  n: number;
  classes: string[];
  /** Binary: the positive class; null otherwise. */
  positive_class: string | null;
  /**
   * Both AUCs, b - a with its standard error and 95 % interval, z and the two-sided p (null: no variance). Binary:
   * DeLong's test. Multi-class (one-vs-rest) and multi-label (per label): the macro AUCs of predictions.csv's
   * probabilities, by pROC's paired bootstrap (`resamples`: how many, how many had every class, the seed). Null
   * when there is no macro AUC to test (`auc_untested` says why).
   */
  auc: {
    a: number; b: number; difference: number; se: number; ci95: [number, number]; z: number | null; p: number | null; method: string;
    resamples?: { n: number; used: number; seed: number };
  } | null;
  /** Why a multi-class or multi-label comparison has no AUC test. */
  auc_untested?: string;
  /** Multi-class and multi-label: each metrics.json's (macro) AUC, as it reported it. */
  auc_reported?: { a: number | null; b: number | null };
  /** Accuracy (multi-label: subset accuracy, every label right) with McNemar's exact test. */
  accuracy: {
    a: number;
    b: number;
    /** Binary: each model's decision threshold; null otherwise. */
    threshold_a: number | null;
    threshold_b: number | null;
    /** b - a. */
    difference: number;
    /** Images only A classifies right, and only B. */
    only_a_right: number;
    only_b_right: number;
    p: number;
    method: string;
  };
}

/**
 * One image of predictions.csv: its truth and prediction as written (label, or ';'-joined labels) and, binary, p;
 * multi-class and multi-label, its probability per class.
 */
interface Row { truth: string; predicted: string; probability: number | null; scores: number[] | null }

interface Evaluation {
  dir: string;
  task: ComparedTask;
  classes: string[];
  threshold: number | null;
  auc: number | null;
  rows: Map<string, Row>;
}

/** The evaluation folder a given path means: itself, or a run folder's eval/. */
function evaluationDir(given: string): string {
  for (const dir of [given, path.join(given, 'eval')]) {
    if (fs.existsSync(path.join(dir, 'predictions.csv')) && fs.existsSync(path.join(dir, 'metrics.json'))) return dir;
  }
  if (!fs.existsSync(given)) throw new Error(`${given} does not exist`);
  throw new Error(`${given} holds no evaluation (metrics.json and predictions.csv): give evaluate's --out folder, or a run folder whose eval/ has them`);
}

/** predictions.csv's leading columns per task (multi-class and multi-label then have one probability column per class). */
const LEADING: Record<ComparedTask, string[]> = {
  binary: ['path', 'label', 'probability', 'predicted'],
  multiclass: ['path', 'label', 'predicted', 'probability'],
  multilabel: ['path', 'labels', 'predicted'],
};

function readEvaluation(given: string): Evaluation {
  const dir = evaluationDir(given);
  const metricsFile = path.join(dir, 'metrics.json');
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(fs.readFileSync(metricsFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${metricsFile}: not a readable metrics.json (${(e as Error).message})`);
  }
  // Binary metrics.json has no task key (it predates the others).
  const task = (m.task ?? 'binary') as ComparedTask;
  const classes = m.classes;
  if (!(task in LEADING) || !Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === 'string') ||
    (task === 'binary' && (classes.length !== 2 || typeof m.threshold !== 'number'))) {
    throw new Error(`${metricsFile}: expected an evaluation's task, classes${task === 'binary' ? ' [negative, positive] and threshold' : ''}`);
  }
  const csvFile = path.join(dir, 'predictions.csv');
  const [head, ...body] = parseCsv(fs.readFileSync(csvFile, 'utf8'), csvFile);
  const columns = task === 'binary' ? LEADING.binary : [...LEADING[task], ...classes];
  if (head?.fields.join(',') !== columns.join(',')) throw new Error(`${csvFile}: expected the columns ${columns.join(',')} of a ${task} evaluation`);
  const rows = new Map<string, Row>();
  const unit = (text: string, line: number, what: string): number => {
    const v = Number(text);
    if (text === '' || !Number.isFinite(v) || v < 0 || v > 1) throw new Error(`${csvFile} line ${line}: ${what} ${JSON.stringify(text)} is not in [0, 1]`);
    return v;
  };
  for (const r of body) {
    const [file, truth, third, fourth] = r.fields as [string, string, string, string];
    const probability = task === 'binary' ? unit(third, r.line, 'probability') : null;
    const scores = task === 'binary' ? null : classes.map((c, j) => unit(r.fields[LEADING[task].length + j] ?? '', r.line, `the probability of ${c}`));
    if (task !== 'multilabel' && !classes.includes(truth)) throw new Error(`${csvFile} line ${r.line}: label ${JSON.stringify(truth)} is not one of the classes ${classes.join(', ')}`);
    if (rows.has(file)) throw new Error(`${csvFile} line ${r.line}: ${file} is listed twice`);
    rows.set(file, { truth, predicted: task === 'binary' ? fourth : third, probability, scores });
  }
  return { dir, task, classes, threshold: task === 'binary' ? (m.threshold as number) : null, auc: typeof m.auc === 'number' ? m.auc : null, rows };
}

/** The paths of one side that the other lacks, a few of them named. */
function unpaired(from: Evaluation, other: Evaluation): string[] {
  return [...from.rows.keys()].filter((p) => !other.rows.has(p));
}

export function compareEvaluations(givenA: string, givenB: string): EvaluationComparison {
  const a = readEvaluation(givenA);
  const b = readEvaluation(givenB);
  if (a.task !== b.task) throw new Error(`${a.dir} is a ${a.task} evaluation, ${b.dir} a ${b.task} one: compare evaluations of the same task`);
  if (a.classes.join() !== b.classes.join()) throw new Error(`the evaluations have other classes: ${a.classes.join(', ')} in ${a.dir}, ${b.classes.join(', ')} in ${b.dir}`);
  const missing = [unpaired(a, b), unpaired(b, a)];
  if (missing.some((m) => m.length > 0)) {
    const say = (m: string[], dir: string) => `${m.length} only in ${dir} (${m.slice(0, 3).join(', ')}${m.length > 3 ? ', ...' : ''})`;
    throw new Error(`the evaluations are not of the same images: ${[say(missing[0]!, a.dir), say(missing[1]!, b.dir)].filter((s) => !s.startsWith('0 ')).join('; ')}; evaluate both models on the same data and split`);
  }
  const paths = [...a.rows.keys()];
  const positive = a.task === 'binary' ? a.classes[1]! : null;
  const y: number[] = [];
  const sA: number[] = [];
  const sB: number[] = [];
  let rightA = 0;
  let rightB = 0;
  let onlyA = 0;
  let onlyB = 0;
  for (const p of paths) {
    const ra = a.rows.get(p)!;
    const rb = b.rows.get(p)!;
    if (ra.truth !== rb.truth) throw new Error(`${p} is labelled ${ra.truth || '(no label)'} in ${a.dir} but ${rb.truth || '(no label)'} in ${b.dir}`);
    if (positive !== null) {
      y.push(ra.truth === positive ? 1 : 0);
      sA.push(ra.probability!);
      sB.push(rb.probability!);
    }
    const okA = ra.predicted === ra.truth;
    const okB = rb.predicted === rb.truth;
    rightA += okA ? 1 : 0;
    rightB += okB ? 1 : 0;
    if (okA && !okB) onlyA++;
    if (okB && !okA) onlyB++;
  }
  const n = paths.length;
  let auc: EvaluationComparison['auc'] = null;
  let untested: string | null = null;
  if (positive !== null) {
    const { aucA, aucB, ...delong } = delongPaired(y, sA, sB);
    auc = { a: aucA, b: aucB, ...delong, method: 'DeLong et al. 1988, paired (Sun and Xu 2014 midranks); two-sided z test' };
  } else {
    ({ auc, untested } = macroAucTest(a, b, paths));
  }
  return {
    a: a.dir, b: b.dir, task: a.task, n, classes: a.classes, positive_class: positive, auc,
    ...(untested !== null ? { auc_untested: untested } : {}),
    ...(positive === null ? { auc_reported: { a: a.auc, b: b.auc } } : {}),
    accuracy: {
      a: rightA / n, b: rightB / n, threshold_a: a.threshold, threshold_b: b.threshold, difference: (rightB - rightA) / n,
      only_a_right: onlyA, only_b_right: onlyB, p: mcnemarExactP(onlyA, onlyB),
      method: `McNemar exact (binomial, two-sided)${a.task === 'multilabel' ? ' on the subset accuracy (every label right)' : ''}`,
    },
  };
}

/** The paired bootstrap of two multi-class or multi-label evaluations' macro AUCs, or why there is none. */
function macroAucTest(a: Evaluation, b: Evaluation, paths: readonly string[]): { auc: EvaluationComparison['auc']; untested: string | null } {
  const multilabel = a.task === 'multilabel';
  const kind = multilabel ? 'label' : 'class';
  const resamples = macroAucResamples(a.classes.length, paths.length);
  if (resamples === null) {
    return { auc: null, untested: `${paths.length} images x ${a.classes.length} ${kind}s are too many for a paired bootstrap of the macro AUCs here (${MACRO_AUC_MIN_RESAMPLES} resamples would take minutes)` };
  }
  const rowsA = paths.map((p) => a.rows.get(p)!), rowsB = paths.map((p) => b.rows.get(p)!);
  const truthOf = (r: Row, c: string): number => (multilabel ? (r.truth === '' ? false : r.truth.split(';').includes(c)) : r.truth === c) ? 1 : 0;
  const columns: PairedColumn[] = a.classes.map((c, j) => ({
    y: rowsA.map((r) => truthOf(r, c)), a: rowsA.map((r) => r.scores![j]!), b: rowsB.map((r) => r.scores![j]!),
  }));
  const lacking = a.classes.filter((_, j) => { const ys = columns[j]!.y as number[]; return !ys.includes(0) || !ys.includes(1); });
  if (lacking.length > 0) {
    return { auc: null, untested: `no macro AUC: ${kind} ${lacking.slice(0, 3).join(', ')}${lacking.length > 3 ? ', ...' : ''} ${multilabel ? 'is on every image or on none' : 'has no image (or every image)'}` };
  }
  const t = pairedMacroAucBootstrap(columns, { nBoot: resamples, seed: 0 })!;
  const over = multilabel ? 'mean of the per-label AUCs' : 'mean of the one-vs-rest AUCs';
  return {
    auc: {
      a: t.aucA, b: t.aucB, difference: t.difference, se: t.se, ci95: t.ci95, z: t.z, p: t.p,
      method: `macro AUC (${over}) of predictions.csv's probabilities; paired bootstrap as pROC's roc.test(method = "bootstrap"): ` +
        'z = difference / sd of the resampled differences, two-sided; 95 % percentile interval',
      resamples: { n: t.nBoot, used: t.nUsed, seed: t.seed },
    },
    untested: null,
  };
}
