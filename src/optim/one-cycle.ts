// OneCycleLR, as torch.optim.lr_scheduler.OneCycleLR (torch 1.13): per-batch warm-up from maxLr/divFactor
// to maxLr over pctStart of the steps, then annealing to initialLr/finalDivFactor; momentum (SGD's momentum
// or Adam's beta1) cycles the other way between maxMomentum and baseMomentum.
import { LRScheduler, type AnyOptimizer } from './scheduler.js';
import type { ParamGroup } from './optimizer.js';

type GroupKey = 'initialLr' | 'maxLr' | 'minLr' | 'maxMomentum' | 'baseMomentum';
interface Phase {
  endStep: number;
  startLr: GroupKey;
  endLr: GroupKey;
  startMomentum: GroupKey;
  endMomentum: GroupKey;
}
export interface OneCycleOptions {
  /** One number for every group, or one per group. */
  maxLr: number | number[];
  /** Either totalSteps, or epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  /** Default true (torch's default): SGD's momentum or Adam's beta1 cycles too. */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  lastEpoch?: number;
}
type Config = { totalSteps: number; phases: Phase[]; annealStrategy: 'cos' | 'linear'; cycleMomentum: boolean; useBeta1: boolean };

const positiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

export class OneCycleLR extends LRScheduler<Config> {
  constructor(optimizer: AnyOptimizer, o: OneCycleOptions) {
    const groups = optimizer.paramGroups as (ParamGroup & { betas?: number[]; momentum?: number })[];
    const perGroup = (name: string, v: number | number[]): number[] => {
      if (!Array.isArray(v)) return groups.map(() => v);
      if (v.length !== groups.length) throw new Error(`OneCycleLR: expected ${groups.length} values for ${name}, got ${v.length}`);
      return v;
    };
    let totalSteps: number;
    if (o.totalSteps !== undefined) {
      if (!positiveInt(o.totalSteps)) throw new Error(`OneCycleLR: expected a positive integer totalSteps, but got ${o.totalSteps}`);
      totalSteps = o.totalSteps;
    } else {
      if (!positiveInt(o.epochs)) throw new Error(`OneCycleLR: give totalSteps, or a positive integer epochs (got ${o.epochs}) and stepsPerEpoch`);
      if (!positiveInt(o.stepsPerEpoch)) throw new Error(`OneCycleLR: expected a positive integer stepsPerEpoch, but got ${o.stepsPerEpoch}`);
      totalSteps = o.epochs * o.stepsPerEpoch;
    }
    const pct = o.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new Error(`OneCycleLR: expected pctStart between 0 and 1, but got ${pct}`);
    const anneal = o.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') throw new Error(`OneCycleLR: annealStrategy must be 'cos' or 'linear', got ${anneal as string}`);
    const phases: Phase[] = o.threePhase
      ? [
          { endStep: pct * totalSteps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pct * totalSteps - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: totalSteps - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pct * totalSteps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: totalSteps - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    const lastEpoch = o.lastEpoch ?? -1;
    const maxLrs = perGroup('maxLr', o.maxLr);
    const divFactor = o.divFactor ?? 25;
    const finalDivFactor = o.finalDivFactor ?? 1e4;
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = g.initialLr / finalDivFactor;
      });
    }
    const cycleMomentum = o.cycleMomentum ?? true;
    let useBeta1 = false;
    if (cycleMomentum) {
      const d = optimizer.defaults as Record<string, unknown>;
      if (!('momentum' in d) && !('betas' in d)) throw new Error('OneCycleLR: the optimizer must have a momentum (or betas) when cycleMomentum is on');
      useBeta1 = 'betas' in d;
      const maxM = perGroup('maxMomentum', o.maxMomentum ?? 0.95);
      const baseM = perGroup('baseMomentum', o.baseMomentum ?? 0.85);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i], ...g.betas!.slice(1)];
          else g.momentum = maxM[i];
          g.maxMomentum = maxM[i];
          g.baseMomentum = baseM[i];
        });
      }
    }
    super(optimizer, { totalSteps, phases, annealStrategy: anneal, cycleMomentum, useBeta1 }, lastEpoch);
    this.initialStep();
  }
  get kind(): string {
    return 'OneCycleLR';
  }

  #anneal(start: number, end: number, pct: number): number {
    if (this.cfg.annealStrategy === 'linear') return (end - start) * pct + start;
    const cosOut = Math.cos(Math.PI * pct) + 1;
    return end + ((start - end) / 2.0) * cosOut;
  }

  protected getLr(): number[] {
    const { totalSteps, phases, cycleMomentum, useBeta1 } = this.cfg;
    const stepNum = this.lastEpoch;
    if (stepNum > totalSteps) throw new Error(`OneCycleLR: tried to step ${stepNum + 1} times; the specified number of total steps is ${totalSteps}`);
    const groups = this.optimizer.paramGroups as (ParamGroup & { betas?: number[]; momentum?: number })[];
    return groups.map((g) => {
      let startStep = 0;
      let lr = NaN;
      let momentum = NaN;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i];
        if (stepNum <= phase.endStep || i === phases.length - 1) {
          const pct = (stepNum - startStep) / (phase.endStep - startStep);
          lr = this.#anneal(g[phase.startLr]!, g[phase.endLr]!, pct);
          if (cycleMomentum) momentum = this.#anneal(g[phase.startMomentum]!, g[phase.endMomentum]!, pct);
          break;
        }
        startStep = phase.endStep;
      }
      if (cycleMomentum) {
        if (useBeta1) g.betas = [momentum, ...g.betas!.slice(1)];
        else g.momentum = momentum;
      }
      return lr;
    });
  }
}
