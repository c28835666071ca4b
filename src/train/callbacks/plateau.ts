// ReduceLROnPlateau as a callback: src/optim's scheduler (PyTorch's exact semantics) fed with the monitored
// metric of each epoch record. Reports whether the rate went down, for the progress output.
import { ReduceLROnPlateau, type AnyOptimizer, type SchedulerState } from '../../optim/index.js';
import type { ReduceLROnPlateauConfig } from '../config/index.js';
import type { EpochRecord } from '../types.js';
import { metricOf } from './monitor.js';
import { headLr } from '../optimizers.js';

export class PlateauScheduler {
  readonly scheduler: ReduceLROnPlateau;

  constructor(readonly optimizer: AnyOptimizer, readonly config: ReduceLROnPlateauConfig) {
    this.scheduler = new ReduceLROnPlateau(optimizer, {
      mode: config.mode, factor: config.factor, patience: config.patience, threshold: config.threshold,
      thresholdMode: config.thresholdMode, cooldown: config.cooldown, minLr: config.minLr, eps: config.eps,
    });
  }

  /** Steps the scheduler with the epoch's monitored value; returns the head's new rate when any rate was lowered. */
  update(record: EpochRecord): number | null {
    const rates = () => this.optimizer.paramGroups.map((g) => g.lr).join();
    const before = rates();
    this.scheduler.step(metricOf(record, this.config.monitor));
    return rates() !== before ? headLr(this.optimizer) : null;
  }

  stateDict(): SchedulerState {
    return this.scheduler.stateDict();
  }
  loadStateDict(s: SchedulerState): void {
    this.scheduler.loadStateDict(s);
  }
}
