// One of C classes: softmax over C logits, cross-entropy (class weights, label smoothing) or the softmax focal
// loss (kornia's focal_loss, with the class weights), the prediction is the most probable class; val_auc is
// scikit-learn's roc_auc_score(multi_class='ovr', average='macro').
import { F, tensor, type Tensor } from '../torch/index.js';
import { multiclassRocAuc } from '../metrics/index.js';
import { focalRecord, orNaN, rowsOf, type Decision, type FocalSettings, type LossSettings, type Prediction, type Task, type ThresholdPick, type ValidationScores } from './task.js';
import { weightTensor } from './weights.js';
import { argmaxRows, predictRow } from './decide.js';

export { argmaxRows } from './decide.js';

export class MulticlassTask implements Task {
  readonly kind = 'multiclass' as const;
  readonly activation = 'softmax' as const;
  readonly labelWidth = 1;
  readonly outputs: number;
  readonly #weight: Tensor | undefined;
  readonly #labelSmoothing: number;
  readonly #classWeights: readonly number[] | null;
  readonly #focal: FocalSettings | null;

  constructor(readonly classes: readonly string[], loss: LossSettings, device = 'cpu') {
    if (classes.length < 2) throw new Error(`a multiclass task needs at least 2 classes, got ${classes.length}`);
    if (loss.classWeights && loss.classWeights.length !== classes.length) {
      throw new Error(`classWeights has ${loss.classWeights.length} values for ${classes.length} classes`);
    }
    this.outputs = classes.length;
    this.#weight = weightTensor(loss.classWeights, device);
    this.#labelSmoothing = loss.labelSmoothing;
    this.#classWeights = loss.classWeights;
    this.#focal = loss.focal ?? null;
    if (this.#focal && this.#labelSmoothing !== 0) throw new Error('label smoothing is for cross-entropy, which the focal loss replaces');
  }

  targets(labels: Float32Array, device: string): Tensor {
    const t = tensor(labels, { shape: [labels.length] });
    const idx = t.to('int64');
    t.dispose();
    if (device === 'cpu') return idx;
    const moved = idx.to(device);
    idx.dispose();
    return moved;
  }

  loss(logits: Tensor, targets: Tensor, reduction: 'mean' | 'sum' = 'mean'): Tensor {
    if (this.#focal) return F.softmaxFocalLoss(logits, targets, { ...this.#focal, weight: this.#weight, reduction });
    return F.crossEntropy(logits, targets, { weight: this.#weight, labelSmoothing: this.#labelSmoothing, reduction });
  }

  batchLossSum(logits: Tensor, targets: Tensor, n: number): number {
    return this.loss(logits, targets).item() * n;
  }

  probabilities(logits: Tensor): Tensor {
    return F.softmax(logits, 1);
  }

  correct(probs: Float32Array, labels: Float32Array): number {
    const pred = argmaxRows(probs, this.outputs);
    let c = 0;
    for (let i = 0; i < pred.length; i++) c += pred[i] === labels[i] ? 1 : 0;
    return c;
  }

  validationScores(probs: Float32Array, labels: Float32Array): ValidationScores {
    return {
      accuracy: this.correct(probs, labels) / labels.length,
      // A class absent from validation: the macro one-vs-rest AUC is undefined (scikit-learn raises), NaN here.
      auc: orNaN(() => multiclassRocAuc(labels, rowsOf(probs, this.outputs))),
    };
  }

  pickThresholds(): ThresholdPick {
    return { threshold: 0.5, thresholds: null, warnings: [], achieved: null };
  }

  predict(probs: ArrayLike<number>, d: Decision, topK = 0): Prediction {
    return predictRow('multiclass', this.classes, probs, d, topK);
  }

  lossRecord(): Record<string, unknown> {
    return { ...(this.#classWeights ? { class_weights: [...this.#classWeights] } : {}), label_smoothing: this.#labelSmoothing, ...focalRecord(this.#focal) };
  }

  dispose(): void {
    this.#weight?.dispose();
  }
}
