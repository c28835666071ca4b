// Tensor factories, as torch.zeros/ones/full/randn/rand/arange/tensor.
import { native } from './native.js';
import { type Tensor, wrap, elementSize, type AnyTypedArray, type DType, type DeviceName } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  device?: DeviceName | string;
  requiresGrad?: boolean;
}
type ShapeArg = number | readonly number[];
const dims = (s: ShapeArg): number[] => (typeof s === 'number' ? [s] : [...s]);
const o = (opts: TensorOptions = {}) => [opts.dtype, opts.device] as const;
// ATen factories ignore requires_grad (only torch:: ones honour it), so it is applied after creation.
const grad = (t: Tensor, opts?: TensorOptions): Tensor => (opts?.requiresGrad ? t.requiresGrad_(true) : t);

export const zeros = (shape: ShapeArg, opts?: TensorOptions): Tensor =>
  grad(wrap(native.zeros(dims(shape), ...o(opts))), opts);
export const ones = (shape: ShapeArg, opts?: TensorOptions): Tensor =>
  grad(wrap(native.ones(dims(shape), ...o(opts))), opts);
export const empty = (shape: ShapeArg, opts?: TensorOptions): Tensor =>
  grad(wrap(native.empty(dims(shape), ...o(opts))), opts);
export const full = (shape: ShapeArg, value: number | boolean, opts?: TensorOptions): Tensor =>
  grad(wrap(native.full(dims(shape), value, ...o(opts))), opts);
/** Standard normal samples from libtorch's generator (seeded by manualSeed). */
export const randn = (shape: ShapeArg, opts?: TensorOptions): Tensor =>
  grad(wrap(native.randn(dims(shape), ...o(opts))), opts);
/** Uniform [0, 1) samples from libtorch's generator. */
export const rand = (shape: ShapeArg, opts?: TensorOptions): Tensor =>
  grad(wrap(native.rand(dims(shape), ...o(opts))), opts);
export const randint = (low: number, high: number, shape: ShapeArg, opts: TensorOptions = {}): Tensor =>
  wrap(native.randint(low, high, dims(shape), ...o({ dtype: 'int64', ...opts })));
export const randperm = (n: number, opts: TensorOptions = {}): Tensor => wrap(native.randperm(n, opts.dtype ?? 'int64', opts.device));
/** Values start, start+step, … below end (float32 unless a dtype is given, unlike torch's int default). */
export const arange = (start: number, end?: number, step = 1, opts?: TensorOptions): Tensor =>
  end === undefined ? wrap(native.arange(0, start, step, ...o(opts))) : wrap(native.arange(start, end, step, ...o(opts)));
export const linspace = (start: number, end: number, steps: number, opts?: TensorOptions): Tensor =>
  wrap(native.linspace(start, end, steps, ...o(opts)));
export const eye = (n: number, opts?: TensorOptions): Tensor => wrap(native.eye(n, ...o(opts)));
export const zerosLike = (t: Tensor): Tensor => wrap(native.zerosLike(t.handle));
export const onesLike = (t: Tensor): Tensor => wrap(native.onesLike(t.handle));
export const fullLike = (t: Tensor, v: number): Tensor => wrap(native.fullLike(t.handle, v));
export const scalar = (v: number | boolean, opts?: TensorOptions): Tensor => wrap(native.scalarTensor(v, ...o(opts)));

const DEFAULT_DTYPE: Record<string, DType> = {
  Float32Array: 'float32', Float64Array: 'float64', BigInt64Array: 'int64', Int32Array: 'int32',
  Int16Array: 'int16', Int8Array: 'int8', Uint8Array: 'uint8', Uint8ClampedArray: 'uint8',
};

type Nested = number | boolean | Nested[];

/**
 * A tensor holding a copy of `data`: a typed array (its dtype follows the array unless given; Uint16Array needs
 * 'float16' or 'bfloat16'), or (nested) arrays of numbers/booleans (float32 by default, shape inferred).
 */
export function tensor(data: AnyTypedArray | Uint8ClampedArray | Nested, opts: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  let typed: AnyTypedArray | Uint8ClampedArray;
  let shape: number[];
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    typed = data;
    dtype = opts.dtype ?? DEFAULT_DTYPE[data.constructor.name] ?? fail(`tensor(): pass a dtype for ${data.constructor.name}`);
    shape = opts.shape ? [...opts.shape] : [data.length];
    if (elementSize(dtype) !== data.BYTES_PER_ELEMENT) {
      throw new Error(`tensor(): a ${data.constructor.name} cannot hold ${dtype} elements; convert with .to('${dtype}') after creating it`);
    }
  } else {
    shape = opts.shape ? [...opts.shape] : inferShape(data);
    const flat = (Array.isArray(data) ? (data as unknown[]).flat(Infinity as 1) : [data]) as (number | boolean)[];
    dtype = opts.dtype ?? (typeof flat[0] === 'boolean' ? 'bool' : 'float32');
    typed = fromNumbers(flat, dtype);
  }
  let t = wrap(native.fromBuffer(typed, shape, dtype));
  if (opts.device && opts.device !== 'cpu') {
    const moved = t.to(opts.device);
    t.dispose();
    t = moved;
  }
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function inferShape(d: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = d;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function fromNumbers(flat: (number | boolean)[], dtype: DType): AnyTypedArray {
  const nums = flat.map(Number);
  switch (dtype) {
    case 'float32': return Float32Array.from(nums);
    case 'float64': return Float64Array.from(nums);
    case 'int64': return BigInt64Array.from(nums.map((n) => BigInt(Math.trunc(n))));
    case 'int32': return Int32Array.from(nums);
    case 'int16': return Int16Array.from(nums);
    case 'int8': return Int8Array.from(nums);
    case 'uint8': case 'bool': return Uint8Array.from(nums);
    default: throw new Error(`tensor(): build ${dtype} tensors from float32 data with .to('${dtype}')`);
  }
}

function fail(msg: string): never {
  throw new Error(msg);
}

/** Concatenates along an existing dimension. */
export const cat = (ts: readonly Tensor[], dim = 0): Tensor => wrap(native.cat(ts.map((t) => t.handle), dim));
/** Stacks along a new dimension. */
export const stack = (ts: readonly Tensor[], dim = 0): Tensor => wrap(native.stack(ts.map((t) => t.handle), dim));
export const where = (cond: Tensor, a: Tensor, b: Tensor): Tensor => wrap(native.where(cond.handle, a.handle, b.handle));
