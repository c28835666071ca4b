// EarlyStopping with Keras' semantics: an epoch improves when the monitored value beats the best by more
// than minDelta; after `patience` epochs in a row without improvement the phase stops (never on its first
// epoch). Restoring the best weights is NOT done here: the trainer always restores them at the end of a
// phase, whether or not this callback fired (Keras only does it when it fired: keras#12511).
import type { EarlyStoppingConfig } from '../config/index.js';
import { improves, stateNumber, worst } from './monitor.js';

export interface EarlyStoppingState {
  best: number;
  bestEpoch: number | null;
  wait: number;
  stoppedEpoch: number | null;
}

export class EarlyStopping {
  best: number;
  bestEpoch: number | null = null;
  /** Epochs since the last improvement. */
  wait = 0;
  stoppedEpoch: number | null = null;

  constructor(readonly config: EarlyStoppingConfig) {
    if (!(Number.isInteger(config.patience) && config.patience >= 0)) throw new Error(`EarlyStopping: patience must be an integer >= 0, got ${config.patience}`);
    if (!(config.minDelta >= 0)) throw new Error(`EarlyStopping: minDelta must be >= 0, got ${config.minDelta}`);
    this.best = worst(config.mode);
  }

  /** Records the value of `epoch` (1-based); returns true when training should stop after it. */
  update(value: number, epoch: number): boolean {
    this.wait += 1;
    if (improves(value, this.best, this.config.mode, this.config.minDelta)) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      return false;
    }
    if (this.wait >= this.config.patience && epoch > 1) {
      this.stoppedEpoch = epoch;
      return true;
    }
    return false;
  }

  stateDict(): EarlyStoppingState {
    return { best: this.best, bestEpoch: this.bestEpoch, wait: this.wait, stoppedEpoch: this.stoppedEpoch };
  }
  loadStateDict(s: EarlyStoppingState): void {
    this.best = stateNumber(s.best, 'earlyStopping.best');
    this.bestEpoch = s.bestEpoch ?? null;
    if (!(Number.isInteger(s.wait) && s.wait >= 0)) throw new Error(`resume state: earlyStopping.wait is not a count (${JSON.stringify(s.wait)})`);
    this.wait = s.wait;
    this.stoppedEpoch = s.stoppedEpoch ?? null;
  }
}
