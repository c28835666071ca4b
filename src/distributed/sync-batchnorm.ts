// Batch normalisation over the global batch of all ranks (torch.nn.SyncBatchNorm in training mode).
import { native } from '../torch/native.js';
import { wrap, type Tensor } from '../torch/index.js';
import type { ProcessGroup } from './process-group.js';

/**
 * Training-mode batch norm whose statistics are those of the batch of all ranks together: the forward
 * all-reduces each channel's sum, sum of squares and count, normalises with the global mean and (biased)
 * variance, and updates the running statistics with the unbiased global variance; the backward all-reduces
 * sum(dy) and sum(dy·x̂). Weight and bias gradients stay this rank's sums (the gradient reducer averages them).
 * Every rank must call it at the same point of the step. Eval mode uses the running statistics: call the
 * ordinary batch norm there.
 */
export function syncBatchNorm(
  x: Tensor, weight: Tensor | undefined, bias: Tensor | undefined, runningMean: Tensor | undefined,
  runningVar: Tensor | undefined, momentum: number, eps: number, pg: ProcessGroup,
): Tensor {
  try {
    return wrap(native.distSyncBatchNorm(x.handle, weight?.handle, bias?.handle, runningMean?.handle, runningVar?.handle, momentum, eps, pg.handle));
  } catch (e) {
    throw pg.error('syncBatchNorm', e);
  }
}
