// torch.optim.swa_utils.SWALR (torch 1.13): the rate of each group goes from where it is to a fixed SWA rate over
// annealEpochs epochs (cosine or linear), then stays there. Each step recovers the rate the annealing started from
// out of the group's current one, as torch does, so the sequence is torch's to the last bit.
import { LRScheduler, type AnyOptimizer } from './scheduler.js';

export type AnnealStrategy = 'cos' | 'linear';

const ANNEAL: Record<AnnealStrategy, (t: number) => number> = {
  cos: (t) => (1 - Math.cos(Math.PI * t)) / 2,
  linear: (t) => t,
};

export class SWALR extends LRScheduler<{ swaLrs: number[]; annealEpochs: number; annealStrategy: AnnealStrategy }> {
  constructor(optimizer: AnyOptimizer, o: { swaLr: number | readonly number[]; annealEpochs?: number; annealStrategy?: AnnealStrategy; lastEpoch?: number }) {
    const n = optimizer.paramGroups.length;
    const swaLrs = typeof o.swaLr === 'number' ? Array<number>(n).fill(o.swaLr) : [...o.swaLr];
    if (swaLrs.length !== n) throw new Error(`SWALR: swaLr has ${swaLrs.length} values, the optimizer ${n} parameter groups`);
    if (!swaLrs.every((lr) => Number.isFinite(lr) && lr >= 0)) throw new Error(`SWALR: swaLr must be finite and >= 0, got ${swaLrs.join(', ')}`);
    const annealEpochs = o.annealEpochs ?? 10;
    if (!Number.isInteger(annealEpochs) || annealEpochs < 0) throw new Error(`SWALR: annealEpochs must be an integer >= 0, got ${annealEpochs}`);
    const annealStrategy = o.annealStrategy ?? 'cos';
    if (!(annealStrategy in ANNEAL)) throw new Error(`SWALR: annealStrategy must be 'cos' or 'linear', got '${String(annealStrategy)}'`);
    super(optimizer, { swaLrs, annealEpochs, annealStrategy }, o.lastEpoch ?? -1);
    this.initialStep();
  }

  get kind(): string {
    return 'SWALR';
  }

  protected getLr(): number[] {
    const { swaLrs, annealEpochs, annealStrategy } = this.cfg;
    const anneal = ANNEAL[annealStrategy];
    // torch counts from its step counter: the constructor's step is 0; with no annealing every step is the last.
    const step = annealEpochs === 0 ? Math.max(1, this.stepCount - 1) : this.stepCount - 1;
    const span = Math.max(1, annealEpochs);
    const prevAlpha = anneal(Math.max(0, Math.min(1, (step - 1) / span)));
    const alpha = anneal(Math.max(0, Math.min(1, step / span)));
    return this.optimizer.paramGroups.map((g, i) => {
      const swa = swaLrs[i]!;
      // The rate the annealing started from, out of the current one (torch's _get_initial_lr).
      const from = prevAlpha === 1 ? swa : ((g.lr as number) - prevAlpha * swa) / (1 - prevAlpha);
      return swa * alpha + from * (1 - alpha);
    });
  }
}
