// A phase's callbacks as one list that the epoch loop calls in order after every epoch (as fastai's Learner
// calls its TrackerCallbacks): the best checkpoint, LR reduction on a plateau, or instead a one-cycle schedule
// (stepped after every batch) or cosine annealing (after every epoch), SWA's rate (SWALR, which takes over from
// the plateau or cosine once the averaging begins), and early stopping. Each keeps its state for RUN/last under
// its own key of the phase's progress (`best`, `scheduler`, `swa`, `earlyStopping`), so a resumed phase
// continues every one of them.
import type { PhaseConfig } from '../config/index.js';
import type { AnyOptimizer } from '../optimizers.js';
import type { ValidationResult } from '../epoch.js';
import type { PhaseProgress } from '../resume/state.js';
import type { EpochRecord } from '../types.js';
import { BestTracker } from './best-tracker.js';
import { EarlyStopping } from './early-stopping.js';
import { metricOf } from './monitor.js';
import { PlateauScheduler } from './plateau.js';
import { spanSchedule, type SpanSchedule } from './span-schedules.js';
import { recordMetrics } from '../checkpoints.js';
import type { SwaSchedule } from '../swa.js';

/** What a callback sees after an epoch. */
export interface EpochEnd {
  record: EpochRecord;
  val: ValidationResult;
  epoch: number;
}

type StateKey = 'best' | 'scheduler' | 'swa' | 'earlyStopping';

export interface PhaseCallback {
  /** Where its state is kept in the phase's progress (RUN/last). */
  readonly key: StateKey;
  /** Runs after each epoch; 'stop' ends the phase after this epoch. */
  afterEpoch(end: EpochEnd): 'stop' | undefined;
  /** Runs after each optimizer step (a per-batch schedule). */
  afterStep?(): void;
  stateDict(): PhaseProgress[StateKey];
  loadStateDict(state: NonNullable<PhaseProgress[StateKey]>): void;
}

/** What the callbacks do besides keeping their state: save the best weights, say that the LR went down. */
export interface CallbackActions {
  saveBest(end: EpochEnd, value: number): void;
  lrLowered(epoch: number, lr: number): void;
}

/**
 * The phase's callbacks in the order they run, and its best-epoch tracker (read when the phase ends).
 * `stepsPerEpoch`: the optimizer steps of one epoch (a one-cycle schedule spans epochs × them); `swa`: the phase's
 * SWA schedule, if it has one.
 */
export function phaseCallbacks(pc: PhaseConfig, optimizer: AnyOptimizer, stepsPerEpoch: number, act: CallbackActions,
  swa: SwaSchedule | null = null): { callbacks: PhaseCallback[]; best: BestTracker } {
  // Once the averaging begins SWALR alone sets the rate (PyTorch's recipe: scheduler.step() up to swa_start,
  // swa_scheduler.step() after it); the epoch it begins after is still the phase's own schedule's.
  const ownRate = (epoch: number): boolean => swa === null || epoch <= swa.before;
  const best = new BestTracker(pc.checkpoint);
  const callbacks: PhaseCallback[] = [{
    key: 'best',
    afterEpoch: (end) => {
      if (best.update(metricOf(end.record, pc.checkpoint.monitor), end.epoch, recordMetrics(end.record))) act.saveBest(end, best.best);
      return undefined;
    },
    stateDict: () => best.stateDict(),
    loadStateDict: (s) => best.loadStateDict(s as ReturnType<BestTracker['stateDict']>),
  }];
  if (pc.reduceLROnPlateau) {
    const plateau = new PlateauScheduler(optimizer, pc.reduceLROnPlateau);
    callbacks.push({
      key: 'scheduler',
      afterEpoch: (end) => {
        if (!ownRate(end.epoch)) return undefined;
        const lowered = plateau.update(end.record);
        if (lowered !== null) act.lrLowered(end.epoch, lowered);
        return undefined;
      },
      stateDict: () => plateau.stateDict(),
      loadStateDict: (s) => plateau.loadStateDict(s as ReturnType<PlateauScheduler['stateDict']>),
    });
  }
  const span = spanSchedule(pc, optimizer, stepsPerEpoch);
  if (span) {
    callbacks.push({
      key: 'scheduler',
      afterEpoch: (end) => {
        if (ownRate(end.epoch)) span.afterEpoch();
        return undefined;
      },
      afterStep: () => span.afterStep(),
      stateDict: () => span.stateDict(),
      loadStateDict: (s) => span.loadStateDict(s as ReturnType<SpanSchedule['stateDict']>),
    });
  }
  if (swa) {
    callbacks.push({
      key: 'swa',
      afterEpoch: (end) => { swa.afterEpoch(end.epoch); return undefined; },
      stateDict: () => swa.stateDict(),
      loadStateDict: (s) => swa.loadStateDict(s as NonNullable<ReturnType<SwaSchedule['stateDict']>>),
    });
  }
  if (pc.earlyStopping) {
    const early = new EarlyStopping(pc.earlyStopping);
    callbacks.push({
      key: 'earlyStopping',
      afterEpoch: (end) => (early.update(metricOf(end.record, early.config.monitor), end.epoch) ? 'stop' : undefined),
      stateDict: () => early.stateDict(),
      loadStateDict: (s) => early.loadStateDict(s as ReturnType<EarlyStopping['stateDict']>),
    });
  }
  return { callbacks, best };
}
