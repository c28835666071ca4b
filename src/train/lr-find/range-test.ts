// The LR range test on a model: a fresh optimizer of the phase over its trainable parameters, one step per
// batch at the schedule's rate (every parameter group), batches drawn epoch after epoch from the training
// loader (through the frozen-prefix cache when the phase has one), until the planned steps are done or the
// smoothed loss diverges. The weights and buffers (BatchNorm statistics) are copied before and put back after,
// so the model leaves exactly as it came; the optimizer is discarded.
import type { Tensor } from '../../torch/index.js';
import { NonFiniteLossError } from '../callbacks/nan-guard.js';
import type { PhaseConfig } from '../config/index.js';
import type { Engine } from '../engine.js';
import { gradClipOf, stepAccumulated, trainStep } from '../epoch.js';
import { AccumulationGroups } from '../accumulation.js';
import { mixDraw, type MixSettings } from '../mixup.js';
import { disposeInput, stepInputs, type InputSource } from '../inputs.js';
import { createOptimizer } from '../optimizers.js';
import { applyTrainable, nextStage, setTrainModes } from '../plan.js';
import { yieldToEventLoop } from '../signals.js';
import { LossSmoother, rangeTestLr, RANGE_TEST_DEFAULTS, type RangeTestSettings } from './schedule.js';

export interface RangeTestPoint { step: number; lr: number; loss: number; smoothed: number }

export interface RangeTestResult {
  points: RangeTestPoint[];
  /** Why it ended: the planned steps done, the smoothed loss over 4x the best, or a non-finite loss. */
  stoppedBy: 'steps' | 'divergence' | 'non-finite loss';
}

/** Copies of the model's state (parameters and persistent buffers), its requires-grad flags and module modes. */
function snapshot(e: Engine): () => void {
  const model = e.model;
  const saved = new Map<string, Tensor>();
  for (const [k, t] of model.stateDict()) {
    saved.set(k, t.clone());
    t.dispose();
  }
  const grads = model.namedParameters().map(([, p]) => p.requiresGrad);
  const modes = model.modules().map((m) => m.training);
  return () => {
    try {
      model.loadStateDict(saved);
    } finally {
      for (const t of saved.values()) t.dispose();
    }
    model.namedParameters().forEach(([, p], i) => p.requiresGrad_(grads[i]!));
    model.modules().forEach((m, i) => { m.training = modes[i]!; });
  };
}

/** What the run's training steps do besides the plain step, which the range test's steps do too. */
export interface RangeTestSteps {
  /** The configuration's gradient clipping (null: none). */
  clipGradNorm: number | null;
  /** The configuration's mixup/CutMix and its seed (null: none); the source must then be images, not cached features. */
  mixing: { settings: MixSettings; seed: number } | null;
  /** The configuration's accumulateGradBatches: one step of the test sums the gradients of this many batches. */
  accumulate: number;
}

/**
 * Runs the range test of `phase` on e.model with the inputs of `source`; the model is restored afterwards. Its
 * steps are the run's: clipped and mixed as training would (`steps`; as fastai's lr_find runs its callbacks).
 */
export async function rangeTest(e: Engine, phase: PhaseConfig, source: InputSource, bnPolicy: 'eval' | 'train',
  settings: Partial<RangeTestSettings> = {}, steps: RangeTestSteps = { clipGradNorm: null, mixing: null, accumulate: 1 }): Promise<RangeTestResult> {
  const s = { ...RANGE_TEST_DEFAULTS, ...settings };
  if (!(s.startLr > 0 && s.endLr > s.startLr && Number.isInteger(s.steps) && s.steps >= 2)) {
    throw new RangeError(`range test: need 0 < startLr < endLr and steps >= 2, got ${s.startLr}, ${s.endLr}, ${s.steps}`);
  }
  const restore = snapshot(e);
  const points: RangeTestPoint[] = [];
  let stoppedBy: RangeTestResult['stoppedBy'] = 'steps';
  try {
    applyTrainable(e.model, phase.trainable);
    setTrainModes(e.model, bnPolicy);
    const optimizer = createOptimizer(phase, e.model);
    // The test's rate is the head's; earlier modules keep their share of it (phase layerLrDecay).
    const shares = optimizer.paramGroups.map((g) => g.lr / phase.lr);
    const clip = gradClipOf(steps.clipGradNorm, optimizer);
    const mixing = steps.mixing;
    try {
      const smoother = new LossSmoother(s.beta, s.divergence);
      const from = nextStage(source.stage);
      let step = 0;
      let lr = rangeTestLr(0, s);
      // The loss of a step: the mean over the images of its batches (one batch without accumulation).
      let lossSum = 0;
      let images = 0;
      /** Records the step just taken; true when the test is over. */
      const stepDone = (): boolean => {
        const loss = lossSum / images;
        lossSum = images = 0;
        const { smoothed, stop } = smoother.add(loss);
        points.push({ step, lr, loss, smoothed });
        step++;
        if (stop) stoppedBy = 'divergence';
        return stop || step >= s.steps;
      };
      for (let epoch = 0; step < s.steps && stoppedBy === 'steps'; epoch++) {
        const plans = source.loader.plan(epoch);
        if (plans.length === 0) throw new Error('range test: the training loader has no batches');
        const groups = new AccumulationGroups(plans.map((p) => p.indices.length), steps.accumulate);
        let over = false;
        for await (const input of stepInputs(e, source, plans)) {
          const { micro, stepFirst } = groups.enter(input.batchIndex);
          if (stepFirst) {
            stepAccumulated(optimizer, clip);
            if ((over = stepDone())) { disposeInput(input); break; }
          }
          if (micro.first) {
            lr = rangeTestLr(step, s);
            optimizer.paramGroups.forEach((g, i) => { g.lr = lr * shares[i]!; });
          }
          try {
            lossSum += input.n * trainStep(e, optimizer, from, input.x, input.y, { phase: phase.name, epoch: epoch + 1, batch: input.batchIndex + 1 }, {
              clip, micro, mix: mixing && mixDraw(mixing.settings, mixing.seed, epoch, input.batchIndex, input.x.shape[2]!, input.x.shape[3]!),
            }).loss;
            images += input.n;
          } catch (err) {
            if (!(err instanceof NonFiniteLossError)) throw err;
            stoppedBy = 'non-finite loss';
            break;
          } finally {
            disposeInput(input);
          }
          await yieldToEventLoop();
          if (micro.last && (over = stepDone())) break;
        }
        if (!over && stoppedBy === 'steps' && groups.open) {
          stepAccumulated(optimizer, clip);
          stepDone();
        }
      }
    } finally {
      optimizer.dispose();
    }
  } finally {
    restore();
  }
  return { points, stoppedBy };
}
