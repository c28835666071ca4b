// The schedules that span a phase's planned epochs: one-cycle (config oneCycle: src/optim's OneCycleLR over
// epochs × batches per epoch, peaking at the phase's lr, stepped after every optimizer step) and cosine annealing
// (config cosine: CosineAnnealingLR with T_max = epochs, stepped after every epoch; with warmupEpochs w, LinearLR
// for w epochs, then CosineAnnealingLR with T_max = epochs - w, chained by SequentialLR; with interval 'step' the
// same counted in optimizer steps and stepped after each, as Lightning's interval 'step' and Hugging Face's cosine
// schedule with warmup do). PyTorch's exact sequences.
import { CosineAnnealingLR, LinearLR, OneCycleLR, SequentialLR, type AnyOptimizer, type LRScheduler, type SchedulerState } from '../../optim/index.js';
import type { CosineConfig, OneCycleConfig, PhaseConfig } from '../config/index.js';

/** A scheduler of src/optim stepped per batch or per epoch, whose state RUN/last keeps. */
export abstract class SpanSchedule {
  protected abstract readonly scheduler: LRScheduler | SequentialLR;
  afterStep(): void {}
  afterEpoch(): void {}
  stateDict(): SchedulerState {
    return this.scheduler.stateDict();
  }
  loadStateDict(s: SchedulerState): void {
    this.scheduler.loadStateDict(s);
  }
}

class OneCycleSchedule extends SpanSchedule {
  protected readonly scheduler: OneCycleLR;

  constructor(optimizer: AnyOptimizer, config: OneCycleConfig, maxLr: number | number[], epochs: number, stepsPerEpoch: number) {
    super();
    this.scheduler = new OneCycleLR(optimizer, {
      maxLr, epochs, stepsPerEpoch, pctStart: config.pctStart, divFactor: config.divFactor, finalDivFactor: config.finalDivFactor,
      annealStrategy: config.annealStrategy, cycleMomentum: config.cycleMomentum, maxMomentum: config.maxMomentum, baseMomentum: config.baseMomentum,
    });
  }

  override afterStep(): void {
    this.scheduler.step();
  }
}

class CosineSchedule extends SpanSchedule {
  protected readonly scheduler: CosineAnnealingLR | SequentialLR;
  readonly #perStep: boolean;

  constructor(optimizer: AnyOptimizer, config: CosineConfig, epochs: number, stepsPerEpoch: number) {
    super();
    this.#perStep = config.interval === 'step';
    const { total, warmup } = cosineSpan(config, epochs, stepsPerEpoch);
    this.scheduler = warmup === 0 ? new CosineAnnealingLR(optimizer, { tMax: total, etaMin: config.etaMin }) : new SequentialLR(optimizer, [
      new LinearLR(optimizer, { startFactor: config.warmupStartFactor, endFactor: 1, totalIters: warmup }),
      new CosineAnnealingLR(optimizer, { tMax: total - warmup, etaMin: config.etaMin }),
    ], [warmup]);
  }

  override afterStep(): void {
    if (this.#perStep) this.scheduler.step();
  }

  override afterEpoch(): void {
    if (!this.#perStep) this.scheduler.step();
  }
}

/**
 * A cosine schedule's length and warmup in its own steps: epochs, or optimizer steps with interval 'step' (the
 * warmup's share of an epoch rounded to whole steps, at least one, and at least one step left to anneal).
 */
export function cosineSpan(config: CosineConfig, epochs: number, stepsPerEpoch: number): { total: number; warmup: number } {
  if (config.interval === 'epoch') return { total: epochs, warmup: config.warmupEpochs };
  const total = epochs * stepsPerEpoch;
  const warmup = config.warmupEpochs === 0 ? 0 : Math.min(total - 1, Math.max(1, Math.round(config.warmupEpochs * stepsPerEpoch)));
  return { total, warmup };
}

/** The phase's span schedule (`stepsPerEpoch`: optimizer steps per epoch), or null when it has none. */
export function spanSchedule(pc: PhaseConfig, optimizer: AnyOptimizer, stepsPerEpoch: number): SpanSchedule | null {
  if (pc.oneCycle) {
    // Each group peaks at its own rate (discriminative rates: layerLrDecay).
    const peaks = optimizer.paramGroups.length === 1 ? pc.lr : optimizer.paramGroups.map((g) => g.lr as number);
    return new OneCycleSchedule(optimizer, pc.oneCycle, peaks, pc.epochs, stepsPerEpoch);
  }
  if (pc.cosine) return new CosineSchedule(optimizer, pc.cosine, pc.epochs, stepsPerEpoch);
  return null;
}
