// The schedules that span a phase's planned epochs: one-cycle (config oneCycle: src/optim's OneCycleLR over
// epochs × batches per epoch, peaking at the phase's lr, stepped after every optimizer step) and cosine annealing
// (config cosine: CosineAnnealingLR with T_max = epochs, stepped after every epoch). PyTorch's exact sequences.
import { CosineAnnealingLR, OneCycleLR, type AnyOptimizer, type LRScheduler, type SchedulerState } from '../../optim/index.js';
import type { CosineConfig, OneCycleConfig, PhaseConfig } from '../config/index.js';

/** A scheduler of src/optim stepped per batch or per epoch, whose state RUN/last keeps. */
export abstract class SpanSchedule {
  protected abstract readonly scheduler: LRScheduler;
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

  constructor(optimizer: AnyOptimizer, config: OneCycleConfig, maxLr: number, epochs: number, stepsPerEpoch: number) {
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
  protected readonly scheduler: CosineAnnealingLR;

  constructor(optimizer: AnyOptimizer, config: CosineConfig, epochs: number) {
    super();
    this.scheduler = new CosineAnnealingLR(optimizer, { tMax: epochs, etaMin: config.etaMin });
  }

  override afterEpoch(): void {
    this.scheduler.step();
  }
}

/** The phase's span schedule (`stepsPerEpoch`: optimizer steps per epoch), or null when it has none. */
export function spanSchedule(pc: PhaseConfig, optimizer: AnyOptimizer, stepsPerEpoch: number): SpanSchedule | null {
  if (pc.oneCycle) return new OneCycleSchedule(optimizer, pc.oneCycle, pc.lr, pc.epochs, stepsPerEpoch);
  if (pc.cosine) return new CosineSchedule(optimizer, pc.cosine, pc.epochs);
  return null;
}
