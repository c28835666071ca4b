// The numeric side of a run that every pass shares: the model, its task (targets, loss, probabilities), the
// device, mixed precision, channels-last. Loader images become tensors on the device through src/data
// (imagesTensor), labels through the task.
import { autocast, noGrad, scope } from '../torch/index.js';
import type { ImageClassifier } from '../models/index.js';
import type { Task } from '../tasks/index.js';
import type { BnPolicy, Precision } from './config/index.js';
import type { TrainWorld } from './world.js';

export interface Engine {
  model: ImageClassifier;
  task: Task;
  device: 'cpu' | 'cuda';
  precision: Precision;
  channelsLast: boolean;
  bnPolicy: BnPolicy;
  /** The ranks of a data-parallel run (null or absent: a single process). */
  world?: TrainWorld | null;
}

/** Runs fn under bf16 autocast when the run asks for it (forward passes only; backward runs outside). */
export function withPrecision<T>(e: Engine, fn: () => T): T {
  return e.precision === 'bf16' ? autocast(fn, { device: e.device, dtype: 'bfloat16' }) : fn();
}

/** Converts the 4-D weights to channels-last strides (the tensors stay the same objects, as `param.data = ...`). */
export function toChannelsLast(model: ImageClassifier): void {
  noGrad(() => scope(() => {
    for (const t of [...model.parameters(), ...model.buffers()]) if (t.ndim === 4) t.setData_(t.contiguous(true));
  }));
}

/** The training flag of every module, to put back after a pass that changes modes (validation). */
export function saveModes(model: ImageClassifier): () => void {
  const modes = model.modules().map((m) => [m, m.training] as const);
  return () => {
    for (const [m, on] of modes) m.training = on;
  };
}
