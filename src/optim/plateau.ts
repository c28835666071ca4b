// ReduceLROnPlateau, as torch.optim.lr_scheduler.ReduceLROnPlateau (torch 1.13): after more than
// `patience` epochs without improvement (by a relative or absolute threshold), multiply every group's rate
// by `factor`, not below its minLr and only if the change exceeds eps; then wait `cooldown` epochs.
import type { AnyOptimizer, SchedulerState } from './scheduler.js';

export interface PlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  /** One floor for every group, or one per group. */
  minLr?: number | number[];
  eps?: number;
}

export class ReduceLROnPlateau {
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  /** The best metric so far (±Infinity before the first step). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  #lastLr: number[] = [];

  constructor(readonly optimizer: AnyOptimizer, o: PlateauOptions = {}) {
    this.factor = o.factor ?? 0.1;
    if (!(this.factor < 1)) throw new Error(`ReduceLROnPlateau: factor should be < 1.0, got ${this.factor}`);
    const n = optimizer.paramGroups.length;
    const minLr = o.minLr ?? 0;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new Error(`ReduceLROnPlateau: expected ${n} minLr values, got ${minLr.length}`);
      this.minLrs = [...minLr];
    } else {
      this.minLrs = Array.from({ length: n }, () => minLr);
    }
    this.patience = o.patience ?? 10;
    this.cooldown = o.cooldown ?? 0;
    this.eps = o.eps ?? 1e-8;
    this.mode = o.mode ?? 'min';
    this.threshold = o.threshold ?? 1e-4;
    this.thresholdMode = o.thresholdMode ?? 'rel';
    this.#checkModes();
    this.best = this.#worse();
    this.#reset();
  }

  get kind(): string {
    return 'ReduceLROnPlateau';
  }

  #checkModes(): void {
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`ReduceLROnPlateau: mode ${String(this.mode)} is unknown (min or max)`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') {
      throw new Error(`ReduceLROnPlateau: threshold mode ${String(this.thresholdMode)} is unknown (rel or abs)`);
    }
  }
  #worse(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }
  #reset(): void {
    this.best = this.#worse();
    this.cooldownCounter = 0;
    this.numBadEpochs = 0;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** Records one epoch's metric (e.g. the validation loss) and lowers the rates if it has plateaued. */
  step(metric: number): void {
    const current = Number(metric);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.#reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.#lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  #reduceLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      if (oldLr - newLr > this.eps) g.lr = newLr;
    });
  }

  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** JSON-able: an infinite `best` (no epoch yet) is written as null. */
  stateDict(): SchedulerState {
    return {
      type: this.kind, mode: this.mode, factor: this.factor, patience: this.patience, threshold: this.threshold,
      thresholdMode: this.thresholdMode, cooldown: this.cooldown, minLrs: [...this.minLrs], eps: this.eps,
      best: Number.isFinite(this.best) ? this.best : null, numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter, lastEpoch: this.lastEpoch, lastLr: [...this.#lastLr],
    };
  }
  loadStateDict(sd: SchedulerState): void {
    const fail = (msg: string): never => {
      throw new Error(`ReduceLROnPlateau.loadStateDict: ${msg}`);
    };
    if (!sd || sd.type !== this.kind) fail(`the state was saved by ${String(sd?.type)}, not ${this.kind}`);
    for (const k of ['factor', 'patience', 'threshold', 'cooldown', 'eps', 'numBadEpochs', 'cooldownCounter', 'lastEpoch']) {
      if (typeof sd[k] !== 'number' || !Number.isFinite(sd[k])) fail(`'${k}' must be a finite number`);
    }
    const n = this.optimizer.paramGroups.length;
    const minLrs = sd.minLrs;
    if (!Array.isArray(minLrs) || minLrs.length !== n || !minLrs.every((v) => typeof v === 'number')) fail(`minLrs must be ${n} numbers`);
    if (sd.best !== null && typeof sd.best !== 'number') fail("'best' must be a number or null");
    const lastLr = Array.isArray(sd.lastLr) ? (sd.lastLr as number[]) : [];
    const prev = { mode: this.mode, thresholdMode: this.thresholdMode };
    this.mode = sd.mode as 'min' | 'max';
    this.thresholdMode = sd.thresholdMode as 'rel' | 'abs';
    try {
      this.#checkModes();
    } catch (err) {
      Object.assign(this, prev);
      throw err;
    }
    this.factor = sd.factor as number;
    this.patience = sd.patience as number;
    this.threshold = sd.threshold as number;
    this.cooldown = sd.cooldown as number;
    this.eps = sd.eps as number;
    this.minLrs = [...(minLrs as number[])];
    this.best = sd.best === null ? this.#worse() : (sd.best as number);
    this.numBadEpochs = sd.numBadEpochs as number;
    this.cooldownCounter = sd.cooldownCounter as number;
    this.lastEpoch = sd.lastEpoch as number;
    this.#lastLr = [...lastLr];
  }
}
