// The one-cycle schedule of a phase (config oneCycle): src/optim's OneCycleLR (PyTorch's exact sequence) over
// the phase's epochs × batches per epoch, peaking at the phase's lr and stepped after every optimizer step.
import { OneCycleLR, type AnyOptimizer, type SchedulerState } from '../../optim/index.js';
import type { OneCycleConfig } from '../config/index.js';

export class OneCycleSchedule {
  readonly scheduler: OneCycleLR;

  constructor(optimizer: AnyOptimizer, config: OneCycleConfig, maxLr: number, epochs: number, stepsPerEpoch: number) {
    this.scheduler = new OneCycleLR(optimizer, {
      maxLr, epochs, stepsPerEpoch, pctStart: config.pctStart, divFactor: config.divFactor, finalDivFactor: config.finalDivFactor,
      annealStrategy: config.annealStrategy, cycleMomentum: config.cycleMomentum, maxMomentum: config.maxMomentum, baseMomentum: config.baseMomentum,
    });
  }

  afterStep(): void {
    this.scheduler.step();
  }

  stateDict(): SchedulerState {
    return this.scheduler.stateDict();
  }
  loadStateDict(s: SchedulerState): void {
    this.scheduler.loadStateDict(s);
  }
}
