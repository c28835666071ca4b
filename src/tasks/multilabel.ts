// Any subset of C labels: C sigmoid outputs, BCE-with-logits per label (pos_weight per label), a label is
// predicted at or above its own threshold (0.5 while training; chosen per label on validation for the final
// model); accuracy is scikit-learn's subset accuracy (every label right), val_auc the macro ROC AUC over labels.
import { F, tensor, type Tensor } from '../torch/index.js';
import { chooseThreshold, multilabelRocAuc, type ThresholdMethod } from '../metrics/index.js';
import { focalRecord, orNaN, rowsOf, type Decision, type FocalSettings, type LossSettings, type Prediction, type Task, type ThresholdPick, type ValidationScores } from './task.js';
import { weightTensor } from './weights.js';
import { predictRow } from './decide.js';

/** Rows (images) whose every label is predicted right at `thresholds` (one per label). */
export function subsetCorrect(probs: ArrayLike<number>, labels: ArrayLike<number>, thresholds: ArrayLike<number>): number {
  const k = thresholds.length;
  let c = 0;
  for (let i = 0; i < probs.length / k; i++) {
    let all = true;
    for (let j = 0; j < k && all; j++) all = (probs[i * k + j]! >= thresholds[j]! ? 1 : 0) === labels[i * k + j];
    c += all ? 1 : 0;
  }
  return c;
}

/** Column j of a row-major n x k array. */
function columnOf(values: Float32Array, k: number, j: number): Float32Array {
  return Float32Array.from({ length: values.length / k }, (_, i) => values[i * k + j]!);
}

export class MultilabelTask implements Task {
  readonly kind = 'multilabel' as const;
  readonly activation = 'sigmoid' as const;
  readonly outputs: number;
  readonly labelWidth: number;
  readonly #posWeight: Tensor | undefined;
  readonly #half: Float32Array;
  readonly #posWeights: readonly number[] | null;
  readonly #focal: FocalSettings | null;

  constructor(readonly classes: readonly string[], loss: LossSettings, device = 'cpu') {
    if (classes.length < 1) throw new Error('a multilabel task needs at least 1 label');
    if (loss.posWeight && loss.posWeight.length !== classes.length) {
      throw new Error(`posWeight has ${loss.posWeight.length} values for ${classes.length} labels`);
    }
    this.outputs = this.labelWidth = classes.length;
    this.#posWeight = weightTensor(loss.posWeight, device);
    this.#half = new Float32Array(classes.length).fill(0.5);
    this.#posWeights = loss.posWeight;
    this.#focal = loss.focal ?? null;
  }

  targets(labels: Float32Array, device: string): Tensor {
    const t = tensor(labels, { shape: [labels.length / this.labelWidth, this.labelWidth] });
    if (device === 'cpu') return t;
    const moved = t.to(device);
    t.dispose();
    return moved;
  }

  loss(logits: Tensor, targets: Tensor, reduction: 'mean' | 'sum' = 'mean'): Tensor {
    // The mean over every (image, label), as BCE's.
    if (this.#focal) return F.sigmoidFocalLoss(logits, targets, { ...this.#focal, reduction });
    return F.binaryCrossEntropyWithLogits(logits, targets, { posWeight: this.#posWeight, reduction });
  }

  batchLossSum(logits: Tensor, targets: Tensor, n: number): number {
    return this.loss(logits, targets).item() * n;
  }

  probabilities(logits: Tensor): Tensor {
    return logits.sigmoid();
  }

  correct(probs: Float32Array, labels: Float32Array): number {
    return subsetCorrect(probs, labels, this.#half);
  }

  validationScores(probs: Float32Array, labels: Float32Array): ValidationScores {
    const n = labels.length / this.labelWidth;
    return {
      accuracy: this.correct(probs, labels) / n,
      // A label that is all 0 or all 1 in validation: the macro AUC is undefined (scikit-learn raises), NaN here.
      auc: orNaN(() => multilabelRocAuc(rowsOf(labels, this.labelWidth), rowsOf(probs, this.outputs))),
    };
  }

  /** Each label's threshold by the method, on its own column; a label where the method fails gets 0.5 and a warning. */
  pickThresholds(probs: Float32Array, labels: Float32Array, m: { method: string; value: number | null }): ThresholdPick {
    const warnings: string[] = [];
    const thresholds = this.classes.map((name, j) => {
      try {
        const c = chooseThreshold(columnOf(labels, this.labelWidth, j), columnOf(probs, this.outputs, j),
          { method: m.method as ThresholdMethod, value: m.value ?? undefined });
        return Math.min(1, Math.max(0, c.threshold));
      } catch (e) {
        warnings.push(`threshold method '${m.method}' failed for label '${name}' on the validation set (${(e as Error).message}); using 0.5`);
        return 0.5;
      }
    });
    return { threshold: 0.5, thresholds, warnings, achieved: null };
  }

  predict(probs: ArrayLike<number>, d: Decision): Prediction {
    return predictRow('multilabel', this.classes, probs, d);
  }

  lossRecord(): Record<string, unknown> {
    return { ...(this.#posWeights ? { pos_weights: [...this.#posWeights] } : {}), ...focalRecord(this.#focal) };
  }

  dispose(): void {
    this.#posWeight?.dispose();
  }
}
