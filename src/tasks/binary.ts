// The seed's task: one sigmoid output, BCE-with-logits (pos_weight), predicted positive at probability >=
// threshold (0.5 while training), val_auc the ROC AUC of the positive class.
import { F, type Tensor } from '../torch/index.js';
import { labelsTensor } from '../data/index.js';
import { chooseThreshold, rocAucScore, type ThresholdMethod } from '../metrics/index.js';
import { focalRecord, orNaN, type Decision, type FocalSettings, type LossSettings, type Prediction, type Task, type ThresholdPick, type ValidationScores } from './task.js';
import { weightTensor } from './weights.js';
import { predictRow } from './decide.js';

/** Predictions at probability >= 0.5 (the rule `score >= threshold` used everywhere in tlearn) that match the labels. */
export function countCorrect(probs: Float32Array, labels: Float32Array): number {
  let c = 0;
  for (let i = 0; i < probs.length; i++) c += (probs[i]! >= 0.5 ? 1 : 0) === labels[i] ? 1 : 0;
  return c;
}

export class BinaryTask implements Task {
  readonly kind = 'binary' as const;
  readonly outputs = 1;
  readonly activation = 'sigmoid' as const;
  readonly labelWidth = 1;
  readonly #posWeight: Tensor | undefined;
  readonly #focal: FocalSettings | null;

  constructor(readonly classes: readonly string[], loss: LossSettings, device = 'cpu') {
    if (classes.length !== 2) throw new Error(`a binary task has 2 classes [negative, positive], got ${classes.length}`);
    this.#posWeight = weightTensor(loss.posWeight, device);
    this.#focal = loss.focal ?? null;
  }

  targets(labels: Float32Array, device: string): Tensor {
    return labelsTensor(labels, device);
  }

  loss(logits: Tensor, targets: Tensor, reduction: 'mean' | 'sum' = 'mean'): Tensor {
    if (this.#focal) return F.sigmoidFocalLoss(logits, targets, { ...this.#focal, reduction });
    return F.binaryCrossEntropyWithLogits(logits, targets, { posWeight: this.#posWeight, reduction });
  }

  /** One output per image: the sum over the batch is the mean times its size, summed in libtorch. */
  batchLossSum(logits: Tensor, targets: Tensor): number {
    return this.loss(logits, targets, 'sum').item();
  }

  probabilities(logits: Tensor): Tensor {
    return logits.sigmoid();
  }

  correct(probs: Float32Array, labels: Float32Array): number {
    return countCorrect(probs, labels);
  }

  validationScores(probs: Float32Array, labels: Float32Array): ValidationScores {
    // Only one class among the validation images that decoded: AUC is undefined (NaN never counts as best).
    return { accuracy: countCorrect(probs, labels) / labels.length, auc: orNaN(() => rocAucScore(labels, probs)) };
  }

  pickThresholds(probs: Float32Array, labels: Float32Array, m: { method: string; value: number | null }): ThresholdPick {
    try {
      const choice = chooseThreshold(labels, probs, { method: m.method as ThresholdMethod, value: m.value ?? undefined });
      const achieved = Object.fromEntries(Object.entries(choice.achieved).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
      // "Nothing positive" is a hair above the top score, which can exceed 1 when a score is exactly 1.
      return { threshold: Math.min(1, Math.max(0, choice.threshold)), thresholds: null, warnings: [], achieved };
    } catch (e) {
      return {
        threshold: 0.5, thresholds: null, achieved: null,
        warnings: [`threshold method '${m.method}' failed on the validation set (${(e as Error).message}); using 0.5`],
      };
    }
  }

  predict(probs: ArrayLike<number>, d: Decision): Prediction {
    return predictRow('binary', this.classes, probs, d);
  }

  lossRecord(): Record<string, unknown> {
    return focalRecord(this.#focal);
  }

  dispose(): void {
    this.#posWeight?.dispose();
  }
}
