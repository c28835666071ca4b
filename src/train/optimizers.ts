// The optimizer of a phase. Every phase gets a NEW optimizer over the parameters it trains (as the seed
// does for phase 2), so no state or parameter-group layout carries over the unfreeze (Lightning#6891).
import { Adam, AdamW, SGD, type Optimizer } from '../optim/index.js';
import type { Tensor } from '../torch/index.js';
import type { PhaseConfig } from './config/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOptimizer = Optimizer<any>;

export function createOptimizer(phase: PhaseConfig, params: Tensor[]): AnyOptimizer {
  if (params.length === 0) throw new Error(`phase '${phase.name}': no trainable parameters (trainable: ${phase.trainable.join(', ')})`);
  switch (phase.optimizer) {
    case 'adam':
      return new Adam(params, { lr: phase.lr, weightDecay: phase.weightDecay, betas: phase.betas, eps: phase.eps });
    case 'adamw':
      return new AdamW(params, { lr: phase.lr, weightDecay: phase.weightDecay, betas: phase.betas, eps: phase.eps });
    case 'sgd':
      return new SGD(params, { lr: phase.lr, weightDecay: phase.weightDecay, momentum: phase.momentum ?? 0.9, nesterov: phase.nesterov ?? false });
    default:
      throw new Error(`phase '${phase.name}': unknown optimizer '${String(phase.optimizer)}'`);
  }
}
