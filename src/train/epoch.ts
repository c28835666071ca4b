// One training pass and one validation pass. Steps run synchronously inside `scope` (every temporary is
// freed per batch); between batches the loop yields to the event loop, so a Ctrl-C handler can run.
import { noGrad, scope, type Tensor } from '../torch/index.js';
import type { BatchPlan } from '../data/index.js';
import { nextStage } from './plan.js';
import { saveModes, withPrecision, type Engine } from './engine.js';
import { disposeInput, stepInputs, type InputSource } from './inputs.js';
import { checkFinite } from './callbacks/nan-guard.js';
import { yieldToEventLoop, type StopController } from './signals.js';
import { headLr, type AnyOptimizer } from './optimizers.js';
import type { GradientReducer } from '../distributed/index.js';
import { clipGradNorm_ } from '../nn/index.js';
import { AccumulationGroups, SINGLE_BATCH, type MicroBatch } from './accumulation.js';
import { mixDraw, mixInputs, mixupLoss, type MixDraw, type MixSettings } from './mixup.js';

/** Running sums of a training pass (saved with a mid-epoch interrupt, so a resume continues them). */
export interface EpochTotals {
  lossSum: number;
  correct: number;
  seen: number;
  batches: number;
  seconds: number;
}
export const emptyTotals = (): EpochTotals => ({ lossSum: 0, correct: 0, seen: 0, batches: 0, seconds: 0 });

export { countCorrect } from '../tasks/index.js';

function logitsOf(e: Engine, x: Tensor, from: string): Tensor {
  return withPrecision(e, () => e.model.forwardStages(x, from));
}

/** Gradient clipping of a step: the largest total L2 norm of the gradients of `params` (config clipGradNorm). */
export interface GradClip {
  params: readonly Tensor[];
  maxNorm: number;
}

/** The clipping the configuration asks for, over what the optimizer updates (null: none). */
export const gradClipOf = (maxNorm: number | null, opt: AnyOptimizer): GradClip | null =>
  maxNorm === null ? null : { params: opt.paramGroups.flatMap((g) => g.params), maxNorm };

/** What a step does besides forward, loss, backward and update (each absent: not done). */
export interface StepExtras {
  /** Data-parallel: averages the gradients over the ranks during backward. */
  reducer?: GradientReducer | null;
  clip?: GradClip | null;
  /** This batch's mixup or CutMix draw (mixup.ts): the inputs and the loss are mixed with the batch's mirror. */
  mix?: MixDraw | null;
  /** This batch's place in its gradient-accumulation group (accumulation.ts); absent: a step of its own. */
  micro?: MicroBatch;
}

/**
 * One optimisation step, or one batch's share of it under gradient accumulation (`extras.micro`: the gradients
 * are zeroed before a group's first batch, the optimizer steps after its last). Returns the batch's mean loss and
 * the probabilities of its images.
 */
export function trainStep(e: Engine, opt: AnyOptimizer, from: string, x: Tensor, y: Tensor,
  where: { phase: string; epoch: number; batch: number }, extras: StepExtras = {}): { loss: number; probs: Float32Array } {
  const { reducer = null, clip = null, mix = null, micro = SINGLE_BATCH } = extras;
  return scope(() => {
    if (micro.first) opt.zeroGrad();
    const logits = logitsOf(e, mix === null ? x : mixInputs(x, mix), from).float();
    const loss = mix === null ? e.task.loss(logits, y) : mixupLoss((t) => e.task.loss(logits, t), y, mix.lambda);
    const value = loss.item();
    // Before backward and the update: a non-finite loss must not reach the weights.
    checkFinite(value, where.phase, where.epoch, where.batch, 'training');
    // Data-parallel: the buckets' all-reduces start while backward runs; after it every gradient is the ranks' mean.
    // Within an accumulation group only the last backward all-reduces (the sums so far), as DDP's no_sync.
    if (micro.last) reducer?.prepareForBackward(logits);
    (micro.weight === 1 ? loss : loss.mul(micro.weight)).backward();
    if (micro.last) optimizerStep(opt, clip);
    return { loss: value, probs: probsOf(e, logits) };
  });
}

/** The update after backward, where data-parallel gradients are already the ranks' mean: every rank clips alike. */
function optimizerStep(opt: AnyOptimizer, clip: GradClip | null): void {
  if (clip) clipGradNorm_(clip.params, clip.maxNorm)?.dispose();
  opt.step();
}

/** The step of an accumulation group whose last batch yielded nothing (accumulation.ts). */
export const stepAccumulated = (opt: AnyOptimizer, clip: GradClip | null): void => scope(() => optimizerStep(opt, clip));

const probsOf = (e: Engine, logits: Tensor): Float32Array => noGrad(() => e.task.probabilities(logits.detach()).toFloat32Array());

export interface TrainPassOptions {
  engine: Engine;
  optimizer: AnyOptimizer;
  source: InputSource;
  plans: readonly BatchPlan[];
  /** Batches of this epoch already done (a resumed interrupt); their sums are in `totals`. */
  startBatch: number;
  totals: EpochTotals;
  phase: string;
  epoch: number;
  stop: StopController;
  /** Data-parallel: averages the gradients over the ranks during backward (null: a single process). */
  reducer?: GradientReducer | null;
  /** Gradient clipping of every step (null: none). */
  clip?: GradClip | null;
  /** Mixup/CutMix of every batch: the alphas, and the run's seed and global epoch the draws come from (null: none). */
  mixup?: { settings: MixSettings; seed: number; epoch: number } | null;
  /** Batches per optimizer step (config accumulateGradBatches; default 1). */
  accumulate?: number;
  /** Called after every optimizer step (a per-batch LR schedule steps here). */
  afterStep?: () => void;
  /** `lr`: the rate of the step just taken (of the first parameter group). */
  onBatch?: (batch: number, batches: number, totals: EpochTotals, lr: number) => void;
}

/**
 * Trains on the plans from startBatch on, adding to `totals`. Returns the number of batches done when a
 * stop was requested before the end of the epoch (always after an optimizer step: at the end of an
 * accumulation group), or null when the epoch is complete.
 */
export async function trainPass(o: TrainPassOptions): Promise<number | null> {
  const from = nextStage(o.source.stage, o.engine.model.stages);
  const t0 = performance.now();
  const base = o.totals.seconds;
  const groups = new AccumulationGroups(o.plans.map((p) => p.indices.length), o.accumulate ?? 1);
  const stepOpenGroup = () => {
    stepAccumulated(o.optimizer, o.clip ?? null);
    o.afterStep?.();
  };
  for await (const input of stepInputs(o.engine, o.source, o.plans, o.startBatch)) {
    let r: { loss: number; probs: Float32Array };
    const { micro, stepFirst } = groups.enter(input.batchIndex);
    if (stepFirst) stepOpenGroup();
    const lr = headLr(o.optimizer);
    try {
      r = trainStep(o.engine, o.optimizer, from, input.x, input.y, { phase: o.phase, epoch: o.epoch, batch: input.batchIndex + 1 }, {
        reducer: o.reducer, clip: o.clip, micro,
        mix: o.mixup ? mixDraw(o.mixup.settings, o.mixup.seed, o.mixup.epoch, input.batchIndex, input.x.shape[2]!, input.x.shape[3]!) : null,
      });
    } finally {
      disposeInput(input);
    }
    o.totals.lossSum += r.loss * input.n;
    o.totals.correct += o.engine.task.correct(r.probs, input.labels);
    o.totals.seen += input.n;
    o.totals.batches = input.batchIndex + 1;
    o.totals.seconds = base + (performance.now() - t0) / 1000;
    if (micro.last) o.afterStep?.();
    o.onBatch?.(input.batchIndex + 1, o.plans.length, o.totals, lr);
    await yieldToEventLoop();
    // A stop keeps no half-summed gradients: it waits for the group's step (RUN/last has no gradients).
    if (!micro.last) continue;
    // The ranks stop at the same step: a stop asked for on any of them (a signal reaches them one by one) stops all.
    const stop = o.engine.world ? await o.engine.world.any(o.stop.stopRequested) : o.stop.stopRequested;
    if (stop && input.batchIndex + 1 < o.plans.length) return input.batchIndex + 1;
  }
  if (groups.open) stepOpenGroup();
  return null;
}

export interface ValidationResult {
  loss: number;
  accuracy: number;
  auc: number;
  /** Probabilities (n x the head's outputs; binary: of the positive class), in the validation loader's order. */
  probs: Float32Array;
  /** Labels (n x the task's label width). */
  labels: Float32Array;
  /** The logits the probabilities came from (n x the head's outputs; what temperature scaling is fitted on). */
  logits: Float32Array;
}

/** The validation pass: the whole model in eval mode, without gradients; modes are restored afterwards. */
export async function validationPass(e: Engine, source: InputSource, where: { phase: string; epoch: number }): Promise<ValidationResult> {
  const from = nextStage(source.stage, e.model.stages);
  const restore = saveModes(e.model);
  e.model.eval();
  const probs: number[] = [];
  const labels: number[] = [];
  const logitValues: number[] = [];
  let lossSum = 0;
  try {
    for await (const input of stepInputs(e, source, source.loader.plan(0))) {
      try {
        const r = scope(() => noGrad(() => {
          const logits = logitsOf(e, input.x, from).float();
          const loss = e.task.batchLossSum(logits, input.y, input.n);
          return { loss, p: e.task.probabilities(logits).toFloat32Array(), z: logits.toFloat32Array() };
        }));
        lossSum += r.loss;
        for (const v of r.p) probs.push(v);
        for (const v of r.z) logitValues.push(v);
        for (const v of input.labels) labels.push(v);
      } finally {
        disposeInput(input);
      }
      await yieldToEventLoop();
    }
  } finally {
    restore();
  }
  let p: Float32Array = Float32Array.from(probs);
  let y: Float32Array = Float32Array.from(labels);
  let z: Float32Array = Float32Array.from(logitValues);
  if (e.world) {
    // Every rank has its shard's rows: gathered back into the split's order, so that every metric is the whole
    // split's and every rank decides the same (the logits too: the final model's temperature is fitted on them).
    const all = source.loader.items.length;
    p = await e.world.gatherRows(p, e.task.outputs, all);
    y = await e.world.gatherRows(y, e.task.labelWidth, all);
    z = await e.world.gatherRows(z, e.task.outputs, all);
    lossSum = (await e.world.sum([lossSum]))[0]!;
  }
  const n = y.length / e.task.labelWidth;
  if (n === 0) throw new Error('the validation set yielded no images (every file failed to decode?)');
  const loss = lossSum / n;
  checkFinite(loss, where.phase, where.epoch, null, 'validation');
  const { accuracy, auc } = e.task.validationScores(p, y);
  return { loss, accuracy, auc, probs: p, labels: y, logits: z };
}
