// The numeric side of a run that every pass shares: the model, the device, mixed precision, channels-last,
// the loss's pos_weight, and turning loader batches into tensors on the device.
import { autocast, keep, noGrad, scope, tensor, type Tensor } from '../torch/index.js';
import type { Batch } from '../data/index.js';
import { imagesTensor } from '../data/tensor.js';
import type { BinaryClassifier } from '../models/index.js';
import type { BnPolicy, Precision } from './config.js';

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

/** A loader batch's images as a normalised [n, 3, h, w] float32 tensor on the device (channels-last strides for NHWC). */
export const imageTensor = (e: Engine, b: Batch): Tensor => imagesTensor(b, e.device);

/** 0/1 labels as a [n, 1] float32 tensor on the device. */
export function labelTensor(e: Engine, labels: Float32Array): Tensor {
  return scope(() => {
    const t = tensor(labels, { shape: [labels.length, 1] });
    return e.device === 'cpu' ? t : t.to(e.device);
  });
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
