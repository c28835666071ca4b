// Which epoch of a phase is the best so far (Keras ModelCheckpoint(save_best_only=True)): strictly better
// than every earlier epoch in the monitor's direction; NaN never counts. The trainer writes
// best_model_<phase> whenever update() says so, and restores that file at the end of the phase.
import type { CheckpointConfig } from '../config/index.js';
import { improves, stateNumber, worst } from './monitor.js';

export interface BestState {
  best: number;
  bestEpoch: number | null;
  /** The record's metrics at the best epoch (for the final choice between phases). */
  metrics: Record<string, number> | null;
}

export class BestTracker {
  best: number;
  bestEpoch: number | null = null;
  metrics: Record<string, number> | null = null;

  constructor(readonly config: CheckpointConfig) {
    this.best = worst(config.mode);
  }

  /** True when `value` at `epoch` is a new best (then the caller saves the model). */
  update(value: number, epoch: number, metrics: Record<string, number>): boolean {
    if (!improves(value, this.best, this.config.mode)) return false;
    this.best = value;
    this.bestEpoch = epoch;
    this.metrics = { ...metrics };
    return true;
  }

  stateDict(): BestState {
    return {
      best: this.best,
      bestEpoch: this.bestEpoch,
      metrics: this.metrics && { ...this.metrics },
    };
  }
  loadStateDict(s: BestState): void {
    this.best = stateNumber(s.best, 'best.best');
    this.bestEpoch = s.bestEpoch ?? null;
    this.metrics = s.metrics ? Object.fromEntries(Object.entries(s.metrics).map(([k, v]) => [k, stateNumber(v, `best.metrics.${k}`)])) : null;
  }
}
