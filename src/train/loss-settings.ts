// The loss's weights of a run, resolved from the configuration and the training split: BCE pos_weight (binary:
// one; multilabel: one per label, 'auto' = negatives / positives of each label), cross-entropy class weights
// (multiclass: 'auto' = scikit-learn's compute_class_weight('balanced') = n / (C * count of the class)) and
// label smoothing. Each setting that does not belong to the run's task is refused, naming its config key.
import { fmtSignificant, type DataItem } from '../data/index.js';
import type { TaskKind } from '../models/index.js';
import type { LossSettings } from '../tasks/index.js';
import type { RunConfig } from './config/index.js';

type LossConfig = Pick<RunConfig, 'posWeight' | 'classWeights' | 'labelSmoothing'>;

/** A setting given for a task that has no use for it: the config key and why. */
export function lossSettingIssues(c: LossConfig, task: TaskKind, classes: number): string[] {
  const out: string[] = [];
  if (task === 'multiclass' && c.posWeight !== null) out.push(`posWeight is for binary and multilabel tasks (BCE); a multiclass run weighs classes with classWeights`);
  if (task !== 'multiclass' && c.classWeights !== null) out.push(`classWeights is for multiclass tasks (cross-entropy); a ${task} run weighs positives with posWeight`);
  if (task !== 'multiclass' && c.labelSmoothing !== 0) out.push(`labelSmoothing is for multiclass tasks (cross-entropy); this run's task is ${task}`);
  if (Array.isArray(c.classWeights) && task === 'multiclass' && c.classWeights.length !== classes) {
    out.push(`classWeights has ${c.classWeights.length} value${c.classWeights.length === 1 ? '' : 's'}; the data has ${classes} classes (one weight per class, in sorted class order)`);
  }
  return out;
}

/** How many training items carry each class (multilabel: each label). */
function classCounts(task: TaskKind, train: readonly DataItem[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const it of train) {
    if (task === 'multilabel') for (const j of it.labels ?? []) counts[j]!++;
    else counts[it.label]!++;
  }
  return counts;
}

/** The resolved weights, with one line that says where they came from (null when the loss is unweighted). */
export function resolveLossSettings(c: LossConfig, task: TaskKind, train: readonly DataItem[], classes: readonly string[],
  binaryPosWeight: number | null): { settings: LossSettings; line: string | null } {
  const n = train.length;
  const counts = classCounts(task, train, classes.length);
  const list = (v: readonly number[]) => classes.map((name, j) => `${name} ${fmtSignificant(v[j]!)}`).join(', ');
  if (task === 'binary') {
    return { settings: { posWeight: binaryPosWeight === null ? null : [binaryPosWeight], classWeights: null, labelSmoothing: 0 }, line: null };
  }
  if (task === 'multiclass') {
    let weights: number[] | null = null;
    let line: string | null = null;
    if (c.classWeights === 'auto') {
      weights = counts.map((k) => n / (classes.length * k));
      line = `class weights (auto: n / (classes x images of the class) on the training split): ${list(weights)}`;
    } else if (Array.isArray(c.classWeights)) {
      weights = [...c.classWeights];
      line = `class weights (from the configuration): ${list(weights)}`;
    }
    return { settings: { posWeight: null, classWeights: weights, labelSmoothing: c.labelSmoothing }, line };
  }
  if (c.posWeight === null) return { settings: { posWeight: null, classWeights: null, labelSmoothing: 0 }, line: null };
  const weights = c.posWeight === 'auto' ? counts.map((k) => (n - k) / k) : classes.map(() => c.posWeight as number);
  const how = c.posWeight === 'auto' ? 'auto: negatives / positives of each label on the training split' : 'from the configuration';
  return { settings: { posWeight: weights, classWeights: null, labelSmoothing: 0 }, line: `pos_weight per label (${how}): ${list(weights)}` };
}
