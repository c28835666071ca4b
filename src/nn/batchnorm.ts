// BatchNorm2d, as torch.nn.BatchNorm2d: weight 1, bias 0, running_mean 0, running_var 1 and an int64
// num_batches_tracked. In training mode ATen's batch_norm normalises with the batch statistics and updates
// the running ones in place (unbiased variance, factor `momentum`); eval mode uses the running statistics.
import { F, noGrad, ones, scalar, zeros, type Tensor } from '../torch/index.js';
import { Module } from './module.js';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch in the running averages; null for a cumulative average (1/num_batches). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** Training-mode batch norm with other statistics than this process's batch (data-parallel: every rank's batch). */
export type BatchNormStats = (x: Tensor, weight: Tensor | undefined, bias: Tensor | undefined, runningMean: Tensor | undefined,
  runningVar: Tensor | undefined, momentum: number, eps: number) => Tensor;

export class BatchNorm2d extends Module {
  readonly weight: Tensor | undefined;
  readonly bias: Tensor | undefined;
  readonly runningMean: Tensor | undefined;
  readonly runningVar: Tensor | undefined;
  readonly numBatchesTracked: Tensor | undefined;
  readonly eps: number;
  /** Mutable: updateBatchNorm sets null (a cumulative average) for its pass. */
  momentum: number | null;
  /**
   * In training mode, normalise with these statistics instead (src/train sets SyncBatchNorm's in data-parallel
   * runs); null: this batch's, as torch.nn.BatchNorm2d.
   */
  syncStats: BatchNormStats | null = null;

  constructor(readonly numFeatures: number, o: BatchNormOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new Error(`BatchNorm2d(${numFeatures}): expected a positive number of features`);
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    const affine = o.affine ?? true;
    this.weight = this.registerParameter('weight', affine ? ones([numFeatures]) : undefined);
    this.bias = this.registerParameter('bias', affine ? zeros([numFeatures]) : undefined);
    const track = o.trackRunningStats ?? true;
    this.runningMean = this.registerBuffer('running_mean', track ? zeros([numFeatures]) : undefined);
    this.runningVar = this.registerBuffer('running_var', track ? ones([numFeatures]) : undefined);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', track ? scalar(0, { dtype: 'int64' }) : undefined);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expected 4D input (got ${x.ndim}D input)`);
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      // An int64 one: a JS number reaches ATen as a double, which an int64 tensor cannot add in place.
      const one = scalar(1, { dtype: 'int64' });
      noGrad(() => this.numBatchesTracked!.add_(one));
      one.dispose();
      if (this.momentum === null) factor = 1 / this.numBatchesTracked.item();
    }
    // Batch statistics in training, and in eval when there are no running statistics.
    const useBatch = this.training || (!this.runningMean && !this.runningVar);
    if (this.training && this.syncStats) return this.syncStats(x, this.weight, this.bias, this.runningMean, this.runningVar, factor, this.eps);
    if (useBatch) {
      const perChannel = x.shape.reduce((a, b) => a * b, 1) / x.size(1);
      if (perChannel <= 1) throw new Error(`BatchNorm2d: expected more than 1 value per channel when training, got input size [${x.shape}]`);
    }
    return F.batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, useBatch, factor, this.eps);
  }

  /** What an eval-mode forward normalises with (running statistics, γ, β, ε); undefined in training mode or
   *  without running statistics, where each batch's own statistics are used. */
  evalStatistics(): F.BatchNormEval | undefined {
    if (this.training || !this.runningMean || !this.runningVar) return undefined;
    return { runningMean: this.runningMean, runningVar: this.runningVar, weight: this.weight, bias: this.bias, eps: this.eps };
  }

  canFillMissingState(name: string): boolean {
    return name === 'num_batches_tracked';
  }
  fillMissingState(name: string): void {
    if (name === 'num_batches_tracked') this.numBatchesTracked?.zero_();
    else super.fillMissingState(name);
  }
}
