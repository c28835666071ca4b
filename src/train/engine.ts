// The numeric side of a run that every pass shares: the model, the device, mixed precision, channels-last,
// the loss's pos_weight. Loader batches become tensors on the device through src/data (imagesTensor, labelsTensor).
import { autocast, keep, noGrad, scope, tensor, type Tensor } from '../torch/index.js';
import type { BinaryClassifier } from '../models/index.js';
import type { BnPolicy, Precision } from './config/index.js';

export interface Engine {
  model: BinaryClassifier;
  device: 'cpu' | 'cuda';
  precision: Precision;
  channelsLast: boolean;
  bnPolicy: BnPolicy;
  /** BCE pos_weight as a kept [1] tensor on the device, or undefined. */
  posWeight: Tensor | undefined;
}

/** Runs fn under bf16 autocast when the run asks for it (forward passes only; backward runs outside). */
export function withPrecision<T>(e: Engine, fn: () => T): T {
  return e.precision === 'bf16' ? autocast(fn, { device: e.device, dtype: 'bfloat16' }) : fn();
}

/** Converts the 4-D weights to channels-last strides (the tensors stay the same objects, as `param.data = ...`). */
export function toChannelsLast(model: BinaryClassifier): void {
  noGrad(() => scope(() => {
    for (const t of [...model.parameters(), ...model.buffers()]) if (t.ndim === 4) t.setData_(t.contiguous(true));
  }));
}

export function posWeightTensor(e: Pick<Engine, 'device'>, value: number | null): Tensor | undefined {
  if (value === null) return undefined;
  return keep(scope(() => {
    const t = tensor(new Float32Array([value]), { shape: [1] });
    return e.device === 'cpu' ? t : t.to(e.device);
  }));
}

/** The training flag of every module, to put back after a pass that changes modes (validation). */
export function saveModes(model: BinaryClassifier): () => void {
  const modes = model.modules().map((m) => [m, m.training] as const);
  return () => {
    for (const [m, on] of modes) m.training = on;
  };
}
