// The optimizer of a phase. Every phase gets a NEW optimizer over the parameters it trains (as the seed
// does for phase 2), so no state or parameter-group layout carries over the unfreeze (Lightning#6891).
import { Adam, AdamW, SGD, type Optimizer } from '../optim/index.js';
import type { Module } from '../nn/index.js';
import type { Tensor } from '../torch/index.js';
import type { PhaseConfig } from './config/index.js';
import { trainableGroups, trainableParameters } from './plan.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOptimizer = Optimizer<any>;

/** The rate of the last parameter group: the head's, the phase's lr (the one the history and progress show). */
export const headLr = (o: AnyOptimizer): number => o.paramGroups[o.paramGroups.length - 1].lr;

/** timm's rule for what weight decay spares: biases and normalisation weights, every parameter of at most one dimension. */
const isNormOrBias = ([name, t]: [string, Tensor]): boolean => t.ndim <= 1 || name.endsWith('.bias');

/**
 * The phase's parameters (trainable already applied to the model): one group at the phase's lr, or with
 * layerLrDecay < 1 one group per trainable module, the last at lr and each earlier one at the next one's × the decay.
 * With decayNormsAndBiases false each group's biases and normalisation weights form a group without weight decay,
 * placed before the rest (the head's decayed weights stay the last group).
 */
function parameterGroups(phase: PhaseConfig, model: Module): Tensor[] | { params: Tensor[]; lr: number; weightDecay?: number }[] {
  const split = !phase.decayNormsAndBiases && phase.weightDecay > 0;
  if (phase.layerLrDecay === 1 && !split) return trainableParameters(model);
  const modules = phase.layerLrDecay === 1
    ? [{ params: model.namedParameters().filter(([, p]) => p.requiresGrad) }]
    : trainableGroups(model, phase.trainable);
  return modules.flatMap((g, i) => {
    const lr = phase.lr * phase.layerLrDecay ** (modules.length - 1 - i);
    if (!split) return [{ params: g.params.map(([, t]) => t), lr }];
    const spared = g.params.filter(isNormOrBias).map(([, t]) => t);
    const decayed = g.params.filter((p) => !isNormOrBias(p)).map(([, t]) => t);
    return [...(spared.length ? [{ params: spared, lr, weightDecay: 0 }] : []), ...(decayed.length ? [{ params: decayed, lr }] : [])];
  });
}

export function createOptimizer(phase: PhaseConfig, model: Module): AnyOptimizer {
  const params = parameterGroups(phase, model);
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
