// Two evaluations of the same images compared (`tlearn compare A B`): each is an evaluation folder (evaluate's
// --out, with metrics.json and predictions.csv) or a run folder (its eval/). The images are paired by their path,
// which must name the same images with the same labels in both; then McNemar's exact test of the accuracies (for a
// multi-label model, of the subset accuracies) and, for binary models, DeLong's test of the AUCs
// (src/metrics/compare.ts).
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../data/csv.js';
import { delongPaired, mcnemarExactP } from '../metrics/index.js';

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
   * Binary: DeLong's test: both AUCs, b - a with its standard error and 95 % interval, z and the two-sided p (null: no
   * variance). Multi-class and multi-label: null (DeLong's test compares two binary AUCs; `auc_reported` has theirs).
   */
  auc: { a: number; b: number; difference: number; se: number; ci95: [number, number]; z: number | null; p: number | null; method: string } | null;
  /** Multi-class and multi-label: each metrics.json's (macro one-vs-rest) AUC, without a paired test. */
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

/** One image of predictions.csv: its truth and prediction as written (label, or ';'-joined labels) and, binary, p. */
interface Row { truth: string; predicted: string; probability: number | null }

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
  for (const r of body) {
    const [file, truth, third, fourth] = r.fields as [string, string, string, string];
    let probability: number | null = null;
    if (task === 'binary') {
      probability = Number(third);
      if (third === '' || !Number.isFinite(probability) || probability < 0 || probability > 1) throw new Error(`${csvFile} line ${r.line}: probability ${JSON.stringify(third)} is not in [0, 1]`);
    }
    if (task !== 'multilabel' && !classes.includes(truth)) throw new Error(`${csvFile} line ${r.line}: label ${JSON.stringify(truth)} is not one of the classes ${classes.join(', ')}`);
    if (rows.has(file)) throw new Error(`${csvFile} line ${r.line}: ${file} is listed twice`);
    rows.set(file, { truth, predicted: task === 'binary' ? fourth : third, probability });
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
  if (positive !== null) {
    const { aucA, aucB, ...delong } = delongPaired(y, sA, sB);
    auc = { a: aucA, b: aucB, ...delong, method: 'DeLong et al. 1988, paired (Sun and Xu 2014 midranks); two-sided z test' };
  }
  return {
    a: a.dir, b: b.dir, task: a.task, n, classes: a.classes, positive_class: positive, auc,
    ...(positive === null ? { auc_reported: { a: a.auc, b: b.auc } } : {}),
    accuracy: {
      a: rightA / n, b: rightB / n, threshold_a: a.threshold, threshold_b: b.threshold, difference: (rightB - rightA) / n,
      only_a_right: onlyA, only_b_right: onlyB, p: mcnemarExactP(onlyA, onlyB),
      method: `McNemar exact (binomial, two-sided)${a.task === 'multilabel' ? ' on the subset accuracy (every label right)' : ''}`,
    },
  };
}
