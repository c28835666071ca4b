// Two binary evaluations of the same images compared (`tlearn compare A B`): each is an evaluation folder
// (evaluate's --out, with metrics.json and predictions.csv) or a run folder (its eval/). The images are paired by
// their path, which must name the same images with the same labels in both; then DeLong's test of the AUCs and
// McNemar's exact test of the accuracies at each model's own threshold (src/metrics/compare.ts).
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../data/csv.js';
import { delongPaired, mcnemarExactP } from '../metrics/index.js';

export interface EvaluationComparison {
  /** The evaluation folders compared, as found (a run folder's eval/). */
  a: string;
  b: string;
  n: number;
  classes: [string, string];
  positive_class: string;
  /** DeLong's test: both AUCs, b - a with its standard error and 95 % interval, z and the two-sided p (null: no variance). */
  auc: { a: number; b: number; difference: number; se: number; ci95: [number, number]; z: number | null; p: number | null; method: string };
  accuracy: {
    a: number;
    b: number;
    threshold_a: number;
    threshold_b: number;
    /** b - a. */
    difference: number;
    /** Images only A classifies right, and only B. */
    only_a_right: number;
    only_b_right: number;
    p: number;
    method: string;
  };
}

interface Evaluation {
  dir: string;
  classes: [string, string];
  positive: string;
  threshold: number;
  rows: Map<string, { label: string; probability: number; predicted: string }>;
}

/** The evaluation folder a given path means: itself, or a run folder's eval/. */
function evaluationDir(given: string): string {
  for (const dir of [given, path.join(given, 'eval')]) {
    if (fs.existsSync(path.join(dir, 'predictions.csv')) && fs.existsSync(path.join(dir, 'metrics.json'))) return dir;
  }
  if (!fs.existsSync(given)) throw new Error(`${given} does not exist`);
  throw new Error(`${given} holds no evaluation (metrics.json and predictions.csv): give evaluate's --out folder, or a run folder whose eval/ has them`);
}

function readEvaluation(given: string): Evaluation {
  const dir = evaluationDir(given);
  const metricsFile = path.join(dir, 'metrics.json');
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(fs.readFileSync(metricsFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${metricsFile}: not a readable metrics.json (${(e as Error).message})`);
  }
  if (typeof m.task === 'string' && m.task !== 'binary') throw new Error(`${dir} is a ${m.task} evaluation; compare takes binary evaluations (DeLong's test compares two ROC AUCs)`);
  const classes = m.classes;
  if (!Array.isArray(classes) || classes.length !== 2 || !classes.every((c) => typeof c === 'string') || typeof m.threshold !== 'number') {
    throw new Error(`${metricsFile}: expected a binary evaluation's classes [negative, positive] and threshold`);
  }
  const csvFile = path.join(dir, 'predictions.csv');
  const [head, ...body] = parseCsv(fs.readFileSync(csvFile, 'utf8'), csvFile);
  if (head?.fields.join(',') !== 'path,label,probability,predicted') throw new Error(`${csvFile}: expected the columns path,label,probability,predicted of a binary evaluation`);
  const rows = new Map<string, { label: string; probability: number; predicted: string }>();
  for (const r of body) {
    const [file, label, prob, predicted] = r.fields as [string, string, string, string];
    const probability = Number(prob);
    if (prob === '' || !Number.isFinite(probability) || probability < 0 || probability > 1) throw new Error(`${csvFile} line ${r.line}: probability ${JSON.stringify(prob)} is not in [0, 1]`);
    if (!classes.includes(label)) throw new Error(`${csvFile} line ${r.line}: label ${JSON.stringify(label)} is not one of the classes ${classes.join(', ')}`);
    if (rows.has(file)) throw new Error(`${csvFile} line ${r.line}: ${file} is listed twice`);
    rows.set(file, { label, probability, predicted });
  }
  return { dir, classes: [classes[0], classes[1]], positive: classes[1], threshold: m.threshold, rows };
}

/** The paths of one side that the other lacks, a few of them named. */
function unpaired(from: Evaluation, other: Evaluation): string[] {
  return [...from.rows.keys()].filter((p) => !other.rows.has(p));
}

export function compareEvaluations(givenA: string, givenB: string): EvaluationComparison {
  const a = readEvaluation(givenA);
  const b = readEvaluation(givenB);
  if (a.classes.join() !== b.classes.join()) throw new Error(`the evaluations have other classes: ${a.classes.join(', ')} in ${a.dir}, ${b.classes.join(', ')} in ${b.dir}`);
  const missing = [unpaired(a, b), unpaired(b, a)];
  if (missing.some((m) => m.length > 0)) {
    const say = (m: string[], dir: string) => `${m.length} only in ${dir} (${m.slice(0, 3).join(', ')}${m.length > 3 ? ', ...' : ''})`;
    throw new Error(`the evaluations are not of the same images: ${[say(missing[0]!, a.dir), say(missing[1]!, b.dir)].filter((s) => !s.startsWith('0 ')).join('; ')}; evaluate both models on the same data and split`);
  }
  const paths = [...a.rows.keys()];
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
    if (ra.label !== rb.label) throw new Error(`${p} is labelled ${ra.label} in ${a.dir} but ${rb.label} in ${b.dir}`);
    y.push(ra.label === a.positive ? 1 : 0);
    sA.push(ra.probability);
    sB.push(rb.probability);
    const okA = ra.predicted === ra.label;
    const okB = rb.predicted === rb.label;
    rightA += okA ? 1 : 0;
    rightB += okB ? 1 : 0;
    if (okA && !okB) onlyA++;
    if (okB && !okA) onlyB++;
  }
  const n = paths.length;
  const { aucA, aucB, ...delong } = delongPaired(y, sA, sB);
  return {
    a: a.dir, b: b.dir, n, classes: a.classes, positive_class: a.positive,
    auc: { a: aucA, b: aucB, ...delong, method: 'DeLong et al. 1988, paired (Sun and Xu 2014 midranks); two-sided z test' },
    accuracy: {
      a: rightA / n, b: rightB / n, threshold_a: a.threshold, threshold_b: b.threshold, difference: (rightB - rightA) / n,
      only_a_right: onlyA, only_b_right: onlyB, p: mcnemarExactP(onlyA, onlyB), method: 'McNemar exact (binomial, two-sided)',
    },
  };
}
