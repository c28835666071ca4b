// torch.optim.swa_utils.update_bn for chosen BatchNorm layers: after weights were averaged (SWA), the running
// statistics of the layers that train are those of other weights; they are reset (mean 0, variance 1, no
// batches tracked) and recomputed as a cumulative average (momentum None) over one pass of the training data,
// which `pass` runs through the network. Momentum and training mode come back afterwards, even if it throws.
import { noGrad } from '../torch/index.js';
import type { BatchNorm2d } from './batchnorm.js';

export async function updateBatchNorm(layers: readonly BatchNorm2d[], pass: () => Promise<void> | void): Promise<void> {
  const kept = layers.map((m) => ({ m, momentum: m.momentum, training: m.training }));
  noGrad(() => {
    for (const m of layers) {
      m.runningMean?.zero_();
      m.runningVar?.fill_(1);
      m.numBatchesTracked?.zero_();
      m.momentum = null;
      m.training = true;
    }
  });
  try {
    await pass();
  } finally {
    for (const k of kept) {
      k.m.momentum = k.momentum;
      k.m.training = k.training;
    }
  }
}
