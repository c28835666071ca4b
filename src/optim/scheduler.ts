// Epoch-based learning-rate schedulers, as torch.optim.lr_scheduler (torch 1.13): the base class with the
// initial step, and the chainable StepLR, CosineAnnealingLR and LinearLR (their recursive forms, so that the
// sequence of floating-point results equals torch's, not just its closed form; the closed form where torch's
// step(epoch) uses it, as SequentialLR does at a milestone).
import type { Optimizer, ParamGroup } from './optimizer.js';

/** The JSON-able state of a scheduler. */
export type SchedulerState = Record<string, unknown> & { type: string };
type Config = Record<string, number | boolean | string | number[] | object>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOptimizer = Optimizer<any>;

export abstract class LRScheduler<C extends Config = Config> {
  lastEpoch: number;
  baseLrs: number[];
  protected stepCount = 0;
  protected lastLr: number[] = [];

  /** Subclasses set their configuration, then call initialStep() (torch's constructor does both in order). */
  constructor(readonly optimizer: AnyOptimizer, protected cfg: C, lastEpoch = -1) {
    const groups = optimizer.paramGroups as ParamGroup[];
    if (lastEpoch === -1) {
      for (const g of groups) g.initialLr ??= g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) throw new Error(`${this.kind}: paramGroups[${i}] has no initialLr, needed to resume at lastEpoch ${lastEpoch}`);
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  abstract get kind(): string;
  /** The learning rates for lastEpoch (already advanced), one per group. */
  protected abstract getLr(): number[];
  /** The rates at lastEpoch from the base rates alone, where the schedule has such a form (torch's _get_closed_form_lr). */
  protected closedFormLr?(): number[];

  /** torch's _initial_step: the constructor's step (SequentialLR repeats it for its first scheduler). */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** Advances one epoch (or one batch, for per-batch schedules) and writes the new rates into the groups. */
  step(): void {
    this.stepCount += 1;
    this.lastEpoch += 1;
    this.write(this.getLr());
  }

  /** torch's step(epoch): jumps to `epoch`, by the closed form where there is one. */
  stepTo(epoch: number): void {
    this.stepCount += 1;
    this.lastEpoch = epoch;
    this.write(this.closedFormLr ? this.closedFormLr() : this.getLr());
  }

  private write(values: number[]): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = values[i]));
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
  /** The rates set by the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerState {
    return { type: this.kind, lastEpoch: this.lastEpoch, stepCount: this.stepCount, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr], ...structuredClone(this.cfg) };
  }
  loadStateDict(sd: SchedulerState): void {
    const fail = (msg: string): never => {
      throw new Error(`${this.kind}.loadStateDict: ${msg}`);
    };
    if (!sd || sd.type !== this.kind) fail(`the state was saved by ${String(sd?.type)}, not ${this.kind}`);
    const n = this.optimizer.paramGroups.length;
    const numbers = (v: unknown): v is number[] => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number');
    if (!Number.isInteger(sd.lastEpoch) || !Number.isInteger(sd.stepCount)) fail('lastEpoch and stepCount must be integers');
    if (!numbers(sd.baseLrs) || !numbers(sd.lastLr)) fail(`baseLrs and lastLr must be lists of ${n} numbers`);
    const cfg = { ...this.cfg } as Record<string, unknown>;
    for (const k of Object.keys(this.cfg)) {
      if (!(k in sd)) fail(`missing '${k}'`);
      if (typeof sd[k] !== typeof cfg[k] || Array.isArray(sd[k]) !== Array.isArray(cfg[k])) fail(`'${k}' has the wrong type`);
      cfg[k] = structuredClone(sd[k]);
    }
    this.lastEpoch = sd.lastEpoch as number;
    this.stepCount = sd.stepCount as number;
    this.baseLrs = [...(sd.baseLrs as number[])];
    this.lastLr = [...(sd.lastLr as number[])];
    this.cfg = cfg as C;
  }
}

/** Multiplies the rate by gamma every stepSize epochs. */
export class StepLR extends LRScheduler<{ stepSize: number; gamma: number }> {
  constructor(optimizer: AnyOptimizer, o: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    if (!Number.isInteger(o.stepSize) || o.stepSize <= 0) throw new Error(`StepLR: stepSize must be a positive integer, got ${o.stepSize}`);
    super(optimizer, { stepSize: o.stepSize, gamma: o.gamma ?? 0.1 }, o.lastEpoch ?? -1);
    this.initialStep();
  }
  get kind(): string {
    return 'StepLR';
  }
  protected getLr(): number[] {
    const { stepSize, gamma } = this.cfg;
    const lrs = this.optimizer.paramGroups.map((g) => g.lr as number);
    if (this.lastEpoch === 0 || this.lastEpoch % stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * gamma);
  }
}

/** Cosine annealing from the base rate to etaMin over tMax epochs (and back up, periodically, beyond). */
export class CosineAnnealingLR extends LRScheduler<{ tMax: number; etaMin: number }> {
  constructor(optimizer: AnyOptimizer, o: { tMax: number; etaMin?: number; lastEpoch?: number }) {
    if (!(o.tMax > 0)) throw new Error(`CosineAnnealingLR: tMax must be positive, got ${o.tMax}`);
    super(optimizer, { tMax: o.tMax, etaMin: o.etaMin ?? 0 }, o.lastEpoch ?? -1);
    this.initialStep();
  }
  get kind(): string {
    return 'CosineAnnealingLR';
  }
  protected getLr(): number[] {
    const { tMax, etaMin } = this.cfg;
    const e = this.lastEpoch;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groups.map((g) => g.lr);
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((e * Math.PI) / tMax))) / 2);
    }
    if ((e - 1 - tMax) % (2 * tMax) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return groups.map(
      (g) => ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (g.lr - etaMin) + etaMin,
    );
  }
  protected override closedFormLr(): number[] {
    const { tMax, etaMin } = this.cfg;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / tMax))) / 2);
  }
}

/** The rate scaled by a factor going linearly from startFactor to endFactor over totalIters epochs (a warmup). */
export class LinearLR extends LRScheduler<{ startFactor: number; endFactor: number; totalIters: number }> {
  constructor(optimizer: AnyOptimizer, o: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number }) {
    const startFactor = o.startFactor ?? 1 / 3;
    const endFactor = o.endFactor ?? 1;
    const totalIters = o.totalIters ?? 5;
    // torch's bounds: a factor of 0 at the start would divide by zero in the recursive form.
    if (!(startFactor > 0 && startFactor <= 1)) throw new Error(`LinearLR: startFactor must be in (0, 1], got ${startFactor}`);
    if (!(endFactor >= 0 && endFactor <= 1)) throw new Error(`LinearLR: endFactor must be in [0, 1], got ${endFactor}`);
    if (!Number.isInteger(totalIters) || totalIters <= 0) throw new Error(`LinearLR: totalIters must be a positive integer, got ${totalIters}`);
    super(optimizer, { startFactor, endFactor, totalIters }, o.lastEpoch ?? -1);
    this.initialStep();
  }
  get kind(): string {
    return 'LinearLR';
  }
  protected getLr(): number[] {
    const { startFactor, endFactor, totalIters } = this.cfg;
    const e = this.lastEpoch;
    const lrs = this.optimizer.paramGroups.map((g) => g.lr as number);
    if (e === 0) return lrs.map((lr) => lr * startFactor);
    if (e > totalIters) return lrs;
    return lrs.map((lr) => lr * (1 + (endFactor - startFactor) / (totalIters * startFactor + (e - 1) * (endFactor - startFactor))));
  }
  protected override closedFormLr(): number[] {
    const { startFactor, endFactor, totalIters } = this.cfg;
    return this.baseLrs.map((base) => base * (startFactor + ((endFactor - startFactor) * Math.min(totalIters, this.lastEpoch)) / totalIters));
  }
}
