// Stochastic weight averaging over a phase's last epochs (a phase's swa; torch.optim.swa_utils' recipe, as
// Lightning's StochasticWeightAveraging runs it): after `before` epochs (SwaConfig.start) SWALR takes over the rate
// from the phase's own schedule, the weights at the end of every later epoch join an equal average
// (weight-average.ts), and before that average is validated the BatchNorm layers that train get statistics of
// their own for it: one pass over the epoch's training inputs (torch's update_bn).
import { noGrad, scope } from '../torch/index.js';
import { BatchNorm2d, updateBatchNorm } from '../nn/index.js';
import { SWALR, type AnyOptimizer, type SchedulerState } from '../optim/index.js';
import type { BatchPlan } from '../data/index.js';
import type { SwaConfig } from './config/index.js';
import { withPrecision, type Engine } from './engine.js';
import { disposeInput, stepInputs, type InputSource } from './inputs.js';
import { nextStage } from './plan.js';

/** The SWA rate schedule of a phase: nothing for its first `before` epochs, then SWALR. */
export class SwaSchedule {
  #scheduler: SWALR | null = null;
  /** Each group's SWA rate: the configured one scaled as the groups' rates are (layerLrDecay), or the phase's own. */
  readonly #swaLrs: number[];

  constructor(private readonly config: SwaConfig, private readonly optimizer: AnyOptimizer, readonly before: number) {
    const lrs = optimizer.paramGroups.map((g) => g.lr as number);
    const head = lrs[lrs.length - 1]!;
    this.#swaLrs = config.lr === null ? lrs : lrs.map((lr) => (config.lr! * lr) / head);
    if (before === 0) this.#begin();
  }

  /** Whether epoch `epoch` (from 1) is one whose end weights are averaged. */
  averages(epoch: number): boolean {
    return epoch > this.before;
  }

  /** After an epoch's other schedules: SWALR begins (its first step sets the next epoch's rate) or steps. */
  afterEpoch(epoch: number): void {
    if (epoch === this.before) this.#begin();
    else if (epoch > this.before) this.#scheduler!.step();
  }

  #begin(): void {
    this.#scheduler = new SWALR(this.optimizer, { swaLr: this.#swaLrs, annealEpochs: this.config.annealEpochs, annealStrategy: this.config.annealStrategy });
  }

  stateDict(): SchedulerState | null {
    return this.#scheduler?.stateDict() ?? null;
  }

  /** The state saved by stateDict(), after the optimizer's (whose rates SWALR's construction must not change). */
  loadStateDict(state: SchedulerState): void {
    const lrs = this.optimizer.paramGroups.map((g) => g.lr);
    if (!this.#scheduler) this.#begin();
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = lrs[i]!));
    this.#scheduler!.loadStateDict(state);
  }
}

/** The BatchNorm layers whose statistics a phase changes (in training mode): those the average needs its own for. */
export const trainingBatchNorms = (e: Engine): BatchNorm2d[] =>
  e.model.modules().filter((m): m is BatchNorm2d => m instanceof BatchNorm2d && m.training);

/**
 * torch's update_bn for the weights the model holds now (the average): the training BatchNorm layers' statistics
 * recomputed over one pass of `plans` (the epoch's batches, from the feature cache where it holds them). With
 * several ranks each passes its shard, synchronized BatchNorm averaging the statistics as in training.
 */
export async function recomputeBatchNorm(e: Engine, source: InputSource, plans: readonly BatchPlan[]): Promise<void> {
  const layers = trainingBatchNorms(e);
  if (layers.length === 0) return;
  const from = nextStage(source.stage, e.model.stages);
  await updateBatchNorm(layers, async () => {
    for await (const input of stepInputs(e, source, plans)) {
      try {
        noGrad(() => scope(() => withPrecision(e, () => e.model.forwardStages(input.x, from))));
      } finally {
        disposeInput(input);
      }
    }
  });
}
