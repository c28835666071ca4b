// Each task's loss settings, resolved from the run's request (the configuration's posWeight, classWeights,
// labelSmoothing) and the training split: binary, BCE's pos_weight ('auto' = negatives / positives); multilabel,
// one pos_weight per label ('auto' per label); multiclass, cross-entropy's class weights ('auto' = scikit-learn's
// compute_class_weight('balanced') = n / (C x images of the class)) and label smoothing, or the softmax focal
// loss. A setting the task has no use for is named by its config key.
import { fmtSignificant, type DataItem } from '../data/index.js';
import type { TaskKind } from '../models/index.js';
import type { FocalSettings, LossSettings } from './task.js';

export interface LossRequest {
  posWeight: number | 'auto' | null;
  classWeights: 'auto' | readonly number[] | null;
  labelSmoothing: number;
  /** The configuration's focalLoss (null or absent: BCE). */
  focalLoss?: FocalSettings | null;
}

export interface LossResolution {
  settings: LossSettings;
  /** The binary pos_weight as the run state and checkpoints record it (extra.pos_weight); null for other tasks. */
  posWeight: number | null;
  /** What the loss uses and where it came from, one info line each (none for an unweighted loss). */
  lines: string[];
}

export interface LossPolicy {
  /** The request's settings this task has no use for, each naming its config key (empty when all fit). */
  misplaced(req: LossRequest, classes: number): string[];
  /**
   * The settings for the training items. `saved`: the pos_weight a resumed binary run recorded (used as it is,
   * so that a resume never weighs differently).
   */
  resolve(req: LossRequest, train: readonly Pick<DataItem, 'label' | 'labels'>[], classes: readonly string[], saved?: number | null): LossResolution;
}

const UNWEIGHTED: LossSettings = { posWeight: null, classWeights: null, labelSmoothing: 0 };
const listed = (classes: readonly string[], v: readonly number[]) => classes.map((name, j) => `${name} ${fmtSignificant(v[j]!)}`).join(', ');
const noClassWeights = (task: TaskKind) => (r: LossRequest): string[] => [
  ...(r.classWeights !== null ? [`classWeights is for multiclass tasks (cross-entropy); a ${task} run weighs positives with posWeight`] : []),
  ...(r.labelSmoothing !== 0 ? [`labelSmoothing is for multiclass tasks (cross-entropy); this run's task is ${task}`] : []),
  // torchvision's focal loss has no pos_weight: its alpha weighs the positives.
  ...(r.focalLoss && r.posWeight !== null ? ['posWeight weighs BCE, which focalLoss replaces; weigh the positives with focalLoss.alpha instead'] : []),
];
const focalLines = (r: LossRequest): string[] => (r.focalLoss
  ? [`loss: sigmoid focal loss, gamma ${r.focalLoss.gamma}, ${r.focalLoss.alpha === null ? 'no alpha weighting' : `alpha ${r.focalLoss.alpha} for positives`}`] : []);
/** A multiclass run's focal loss: alpha scales every term (kornia's focal_loss); the class weights weigh the classes. */
const softmaxFocalLine = (r: LossRequest): string[] => (r.focalLoss
  ? [`loss: softmax focal loss, gamma ${r.focalLoss.gamma}, ${r.focalLoss.alpha === null ? 'no alpha' : `alpha ${r.focalLoss.alpha} (a factor of every term, as kornia's focal_loss)`}`] : []);
/** The settings with the configuration's focal loss, if any (binary and multilabel). */
const withFocal = (s: LossSettings, r: LossRequest): LossSettings => (r.focalLoss ? { ...s, focal: { ...r.focalLoss } } : s);

const binary: LossPolicy = {
  misplaced: noClassWeights('binary'),
  resolve(req, train, _classes, saved) {
    const pos = train.filter((i) => i.label === 1).length;
    const value = saved !== undefined && saved !== null ? saved
      : req.posWeight === null ? null : req.posWeight === 'auto' ? (train.length - pos) / pos : req.posWeight;
    if (value === null) return { settings: withFocal(UNWEIGHTED, req), posWeight: null, lines: focalLines(req) };
    const line = req.posWeight === 'auto'
      ? `pos_weight ${fmtSignificant(value)} (auto: ${train.length - pos} negative / ${pos} positive training images)`
      : `pos_weight ${fmtSignificant(value)} (from the configuration)`;
    return { settings: { ...UNWEIGHTED, posWeight: [value] }, posWeight: value, lines: [line] };
  },
};

const multiclass: LossPolicy = {
  misplaced: (r, classes) => [
    ...(r.posWeight !== null ? ['posWeight is for binary and multilabel tasks (BCE); a multiclass run weighs classes with classWeights'] : []),
    ...(r.focalLoss && r.labelSmoothing !== 0 ? ['labelSmoothing smooths the targets of cross-entropy, which focalLoss replaces; use one of the two'] : []),
    ...(Array.isArray(r.classWeights) && r.classWeights.length !== classes
      ? [`classWeights has ${r.classWeights.length} value${r.classWeights.length === 1 ? '' : 's'}; the data has ${classes} classes (one weight per class, in sorted class order)`]
      : []),
  ],
  resolve(req, train, classes) {
    const settings = withFocal({ ...UNWEIGHTED, labelSmoothing: req.labelSmoothing }, req);
    if (req.classWeights === null) return { settings, posWeight: null, lines: softmaxFocalLine(req) };
    const counts = classes.map((_, j) => train.filter((i) => i.label === j).length);
    const auto = req.classWeights === 'auto';
    const weights = auto ? counts.map((k) => train.length / (classes.length * k)) : [...(req.classWeights as readonly number[])];
    const how = auto ? 'auto: n / (classes x images of the class) on the training split' : 'from the configuration';
    return { settings: { ...settings, classWeights: weights }, posWeight: null, lines: [`class weights (${how}): ${listed(classes, weights)}`, ...softmaxFocalLine(req)] };
  },
};

const multilabel: LossPolicy = {
  misplaced: noClassWeights('multilabel'),
  resolve(req, train, classes) {
    if (req.posWeight === null) return { settings: withFocal(UNWEIGHTED, req), posWeight: null, lines: focalLines(req) };
    const counts = classes.map((_, j) => train.filter((i) => i.labels?.includes(j)).length);
    const auto = req.posWeight === 'auto';
    const weights = auto ? counts.map((k) => (train.length - k) / k) : classes.map(() => req.posWeight as number);
    const how = auto ? 'auto: negatives / positives of each label on the training split' : 'from the configuration';
    return { settings: { ...UNWEIGHTED, posWeight: weights }, posWeight: null, lines: [`pos_weight per label (${how}): ${listed(classes, weights)}`] };
  },
};

/** The loss policy of each task. */
export const LOSS_POLICIES: Record<TaskKind, LossPolicy> = { binary, multiclass, multilabel };
