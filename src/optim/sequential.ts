// torch.optim.lr_scheduler.SequentialLR (torch 1.13): schedulers that take over from each other at milestone
// epochs (a warmup, then cosine annealing). As torch does, construction puts the rates back to the initial ones
// and repeats the first scheduler's initial step; at a milestone the next scheduler jumps to its epoch 0.
import type { AnyOptimizer, LRScheduler, SchedulerState } from './scheduler.js';

export class SequentialLR {
  lastEpoch: number;
  #lastLr: number[];

  constructor(readonly optimizer: AnyOptimizer, private readonly schedulers: LRScheduler[], private readonly milestones: number[]) {
    if (schedulers.length === 0) throw new Error('SequentialLR: give at least one scheduler');
    if (milestones.length !== schedulers.length - 1) {
      throw new Error(`SequentialLR: ${schedulers.length} schedulers need ${schedulers.length - 1} milestones, got ${milestones.length}`);
    }
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) throw new Error(`SequentialLR: scheduler ${i} belongs to another optimizer`);
    });
    this.lastEpoch = 0;
    for (const g of optimizer.paramGroups) g.lr = g.initialLr!;
    for (const s of schedulers) s.lastEpoch -= 1;
    schedulers[0]!.initialStep();
    this.#lastLr = schedulers[0]!.getLastLr();
  }

  /** The rates set by the last step. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  get kind(): string {
    return 'SequentialLR';
  }

  step(): void {
    this.lastEpoch += 1;
    // bisect_right: the number of milestones at or before this epoch.
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.stepTo(0);
    else s.step();
    this.#lastLr = s.getLastLr();
  }

  stateDict(): SchedulerState {
    return {
      type: this.kind, lastEpoch: this.lastEpoch, lastLr: [...this.#lastLr], milestones: [...this.milestones], schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  loadStateDict(sd: SchedulerState): void {
    const fail = (msg: string): never => {
      throw new Error(`SequentialLR.loadStateDict: ${msg}`);
    };
    if (sd.type !== this.kind) fail(`the state was saved by ${String(sd.type)}, not ${this.kind}`);
    if (!Number.isInteger(sd.lastEpoch)) fail('lastEpoch must be an integer');
    if (JSON.stringify(sd.milestones) !== JSON.stringify(this.milestones)) fail(`milestones ${JSON.stringify(sd.milestones)} differ from ${JSON.stringify(this.milestones)}`);
    const inner = sd.schedulers;
    if (!Array.isArray(inner) || inner.length !== this.schedulers.length) fail(`expected ${this.schedulers.length} scheduler states`);
    this.schedulers.forEach((s, i) => s.loadStateDict((inner as SchedulerState[])[i]!));
    if (!Array.isArray(sd.lastLr) || !sd.lastLr.every((v) => typeof v === 'number')) fail('lastLr must be a list of numbers');
    this.lastEpoch = sd.lastEpoch as number;
    this.#lastLr = [...(sd.lastLr as number[])];
  }
}
