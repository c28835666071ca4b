// Weights holding NaN or inf make predictions NaN, or silently wrong (an inf running variance zeroes its
// channel), so they are refused wherever a model is read: a model file, pretrained weights, a checkpoint to
// export. The check runs in libtorch, one reduction per floating-point tensor (no value goes to JS), and names
// the first bad tensor by its state_dict key.
import type { StateDictRecords } from '../io/index.js';
import { scope, type Tensor } from '../torch/index.js';
import { recordToTensor } from './state.js';

const FLOATING = new Set(['float32', 'float64', 'float16', 'bfloat16']);

export type NonFiniteValue = 'NaN' | 'inf';

/** Weights (or buffers) holding NaN or ±inf: `key` is the first such tensor, `value` what it holds (NaN first). */
export class NonFiniteWeightsError extends Error {
  constructor(readonly source: string, readonly key: string, readonly value: NonFiniteValue) {
    super(`${source}: weights contain ${value}: ${key} (a model that diverged in training, or a damaged file)`);
    this.name = 'NonFiniteWeightsError';
  }
}

/** What `t` holds that is not finite: 'NaN' (also when it holds inf as well), 'inf', or null. */
export function nonFiniteValue(t: Tensor): NonFiniteValue | null {
  if (!FLOATING.has(t.dtype)) return null;
  return scope(() => {
    // x * 0 is ±0 for every finite x and NaN for NaN and ±inf, so one sum says whether all are finite; it cannot
    // overflow as a sum of large finite values would, and over resnet50's state_dict it took a fraction of the time
    // of isfinite().all(), which makes a bool tensor first.
    if (t.mul(0).sum().item() === 0) return null;
    return t.isnan().any().item() !== 0 ? 'NaN' : 'inf';
  });
}

/** Throws NonFiniteWeightsError for the first tensor, in the given order, that holds NaN or inf. */
export function checkFinite(tensors: Iterable<readonly [string, Tensor]>, source: string): void {
  for (const [key, t] of tensors) {
    const value = nonFiniteValue(t);
    if (value) throw new NonFiniteWeightsError(source, key, value);
  }
}

/** checkFinite for records as read from a file, in their order: one tensor at a time, each freed after its check. */
export function checkFiniteRecords(records: StateDictRecords, source: string): void {
  for (const [key, r] of records) {
    if (!FLOATING.has(r.dtype)) continue;
    const t = recordToTensor(key, r);
    let value: NonFiniteValue | null;
    try {
      value = nonFiniteValue(t);
    } finally {
      t.dispose();
    }
    if (value) throw new NonFiniteWeightsError(source, key, value);
  }
}
