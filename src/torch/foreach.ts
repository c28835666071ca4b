// Multi-tensor ops (torch._foreach_*): one binding call updates a whole list of tensors, which on CUDA runs
// as a few fused kernels instead of one launch per tensor. Used by the optimizers.
import { native, type Handle } from './native.js';
import { wrap, type Tensor } from './tensor.js';

const hs = (ts: readonly Tensor[]): Handle[] => ts.map((t) => t.handle);

export const foreachMul_ = (ts: readonly Tensor[], s: number): void => native.foreachMul_(hs(ts), s);
/** ts[i] += alpha * others[i] */
export const foreachAdd_ = (ts: readonly Tensor[], others: readonly Tensor[], alpha = 1): void =>
  native.foreachAddList_(hs(ts), hs(others), alpha);
export const foreachAddScalar_ = (ts: readonly Tensor[], s: number): void => native.foreachAddScalar_(hs(ts), s);
/** ts[i] += value * a[i] * b[i] */
export const foreachAddcmul_ = (ts: readonly Tensor[], a: readonly Tensor[], b: readonly Tensor[], value = 1): void =>
  native.foreachAddcmul_(hs(ts), hs(a), hs(b), value);
/** ts[i] += values[i] * a[i] / b[i] */
export const foreachAddcdiv_ = (ts: readonly Tensor[], a: readonly Tensor[], b: readonly Tensor[], values: readonly number[]): void =>
  native.foreachAddcdivScalars_(hs(ts), hs(a), hs(b), values);
/** ts[i] /= values[i] */
export const foreachDiv_ = (ts: readonly Tensor[], values: readonly number[]): void => native.foreachDivScalars_(hs(ts), values);
export const foreachSqrt = (ts: readonly Tensor[]): Tensor[] => (native.foreachSqrt(hs(ts)) as Handle[]).map(wrap);
