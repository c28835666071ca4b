// The Tensor: a JS handle on one libtorch tensor reference. Methods mirror torch.Tensor's; each one is a
// single call into the addon's op table. In-place methods end in `_` and return `this`.
import { native, type Handle } from './native.js';
import { track } from './scope.js';

export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';
export type DeviceName = 'cpu' | 'cuda' | `cuda:${number}`;
export type Shape = readonly number[];
export type TypedArrayFor<D extends DType> = D extends 'float32' ? Float32Array
  : D extends 'float64' ? Float64Array
  : D extends 'int64' ? BigInt64Array
  : D extends 'int32' ? Int32Array
  : D extends 'int16' ? Int16Array
  : D extends 'int8' ? Int8Array
  : D extends 'float16' | 'bfloat16' ? Uint16Array
  : Uint8Array;
export type AnyTypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint16Array | Uint8Array;

/** Second operand of a binary op: a tensor or a JS number (treated like a Python scalar by type promotion). */
export type Operand = Tensor | number;
const h = (x: Operand): Handle | number => (typeof x === 'number' ? x : x.handle);
// alpha 1 is left to the addon's integral default: a JS number reaches ATen as a double, which integer
// tensors refuse as alpha (so `intTensor.add_(other)` works, as in torch).
const al = (alpha: number): number | undefined => (alpha === 1 ? undefined : alpha);

export class Tensor {
  #handle: Handle | null;
  #shape: number[] | undefined;

  /** Wraps a native handle; the innermost open `scope` takes ownership. */
  constructor(handle: Handle) {
    this.#handle = handle;
    track(this);
  }

  /** The native handle; throws if the tensor was disposed. */
  get handle(): Handle {
    if (this.#handle === null) throw new Error('tensor was disposed');
    return this.#handle;
  }
  get isDisposed(): boolean {
    return this.#handle === null;
  }
  /** Drops this reference. Storage still used by autograd or another tensor stays alive. */
  dispose(): void {
    if (this.#handle !== null) {
      native.free(this.#handle);
      this.#handle = null;
    }
  }

  // ---- properties ----
  get shape(): number[] {
    return (this.#shape ??= native.shape(this.handle) as number[]).slice();
  }
  get ndim(): number {
    return (this.#shape ??= native.shape(this.handle) as number[]).length;
  }
  get dtype(): DType {
    return native.dtype(this.handle);
  }
  get device(): string {
    return native.device(this.handle);
  }
  get numel(): number {
    return native.numel(this.handle);
  }
  size(dim: number): number {
    const s = (this.#shape ??= native.shape(this.handle) as number[]);
    return s[dim < 0 ? s.length + dim : dim];
  }
  strides(): number[] {
    return native.strides(this.handle);
  }
  isContiguous(channelsLast = false): boolean {
    return native.isContiguous(this.handle, channelsLast);
  }

  // ---- data out ----
  /** The value of a one-element tensor. */
  item(): number {
    return native.item(this.handle);
  }
  /** A copy of the elements, row-major, as the typed array of this dtype (float16/bfloat16: raw bits). */
  data<D extends DType = DType>(): TypedArrayFor<D> {
    const buf: ArrayBuffer = native.toBuffer(this.handle);
    return typedArrayOf(this.dtype, buf) as TypedArrayFor<D>;
  }
  /** The elements converted to float32. */
  toFloat32Array(): Float32Array {
    if (this.dtype === 'float32') return this.data<'float32'>();
    const f = native.toDtype(this.handle, 'float32');
    try {
      return new Float32Array(native.toBuffer(f));
    } finally {
      native.free(f);
    }
  }
  /** The elements as plain numbers (float64). */
  toArray(): number[] {
    const f = native.toDtype(this.handle, 'float64');
    try {
      return Array.from(new Float64Array(native.toBuffer(f)));
    } finally {
      native.free(f);
    }
  }
  toString(): string {
    return this.isDisposed ? 'Tensor(disposed)' : `Tensor(shape=[${this.shape}], dtype=${this.dtype}, device=${this.device})`;
  }

  // ---- conversion ----
  /** A tensor of another dtype or on another device (the same tensor if nothing changes). */
  to(target: DType | DeviceName | string, nonBlocking = false): Tensor {
    return isDType(target) ? wrap(native.toDtype(this.handle, target)) : wrap(native.toDevice(this.handle, target, nonBlocking));
  }
  float(): Tensor {
    return this.to('float32');
  }
  cpu(): Tensor {
    return this.to('cpu');
  }
  contiguous(channelsLast = false): Tensor {
    return wrap(native.contiguous(this.handle, channelsLast));
  }
  clone(): Tensor {
    return wrap(native.clone(this.handle));
  }
  detach(): Tensor {
    return wrap(native.detach(this.handle));
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  requiresGrad_(on = true): this {
    native.setRequiresGrad(this.handle, on);
    return this;
  }
  /** Makes this tensor use `src`'s data, as PyTorch's `param.data = src`: the same JS object and autograd
   *  identity (optimizers and modules keep working), now with src's dtype, device and shape. */
  setData_(src: Tensor): this {
    native.setData(this.handle, src.handle);
    this.#shape = undefined;
    return this;
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }
  /** The accumulated gradient (a new handle each call), or undefined. */
  get grad(): Tensor | undefined {
    const g = native.grad(this.handle);
    return g === undefined ? undefined : new Tensor(g);
  }
  /** Sets (or with undefined, clears) the gradient. */
  setGrad(g: Tensor | undefined): void {
    native.setGrad(this.handle, g?.handle);
  }
  backward(gradient?: Tensor, retainGraph?: boolean, createGraph = false): void {
    native.backward(this.handle, gradient?.handle, retainGraph, createGraph);
  }
  retainGrad(): this {
    native.retainGrad(this.handle);
    return this;
  }

  // ---- arithmetic ----
  add(o: Operand, alpha = 1): Tensor { return wrap(native.add(this.handle, h(o), al(alpha))); }
  sub(o: Operand, alpha = 1): Tensor { return wrap(native.sub(this.handle, h(o), al(alpha))); }
  /** `o - this` for a scalar o. */
  rsub(o: number): Tensor { return wrap(native.rsub(this.handle, o)); }
  mul(o: Operand): Tensor { return wrap(native.mul(this.handle, h(o))); }
  div(o: Operand): Tensor { return wrap(native.div(this.handle, h(o))); }
  pow(o: Operand): Tensor { return wrap(native.pow(this.handle, h(o))); }
  remainder(o: Operand): Tensor { return wrap(native.remainder(this.handle, h(o))); }
  /** Bitwise AND of integer or bool tensors (torch.bitwise_and). */
  bitwiseAnd(o: Operand): Tensor { return wrap(native.bitwiseAnd(this.handle, h(o))); }
  maximum(o: Tensor): Tensor { return wrap(native.maximum(this.handle, o.handle)); }
  minimum(o: Tensor): Tensor { return wrap(native.minimum(this.handle, o.handle)); }
  neg(): Tensor { return wrap(native.neg(this.handle)); }
  abs(): Tensor { return wrap(native.abs(this.handle)); }
  exp(): Tensor { return wrap(native.exp(this.handle)); }
  log(): Tensor { return wrap(native.log(this.handle)); }
  log1p(): Tensor { return wrap(native.log1p(this.handle)); }
  sqrt(): Tensor { return wrap(native.sqrt(this.handle)); }
  rsqrt(): Tensor { return wrap(native.rsqrt(this.handle)); }
  sign(): Tensor { return wrap(native.sign(this.handle)); }
  floor(): Tensor { return wrap(native.floor(this.handle)); }
  ceil(): Tensor { return wrap(native.ceil(this.handle)); }
  round(): Tensor { return wrap(native.round(this.handle)); }
  reciprocal(): Tensor { return wrap(native.reciprocal(this.handle)); }
  sigmoid(): Tensor { return wrap(native.sigmoid(this.handle)); }
  tanh(): Tensor { return wrap(native.tanh(this.handle)); }
  relu(): Tensor { return wrap(native.relu(this.handle)); }
  clamp(min?: number, max?: number): Tensor { return wrap(native.clamp(this.handle, min, max)); }
  lerp(end: Tensor, weight: Operand): Tensor { return wrap(native.lerp(this.handle, end.handle, h(weight))); }
  addcmul(t1: Tensor, t2: Tensor, value = 1): Tensor { return wrap(native.addcmul(this.handle, t1.handle, t2.handle, value)); }
  addcdiv(t1: Tensor, t2: Tensor, value = 1): Tensor { return wrap(native.addcdiv(this.handle, t1.handle, t2.handle, value)); }

  // ---- comparison and logic ----
  eq(o: Operand): Tensor { return wrap(native.eq(this.handle, h(o))); }
  ne(o: Operand): Tensor { return wrap(native.ne(this.handle, h(o))); }
  lt(o: Operand): Tensor { return wrap(native.lt(this.handle, h(o))); }
  le(o: Operand): Tensor { return wrap(native.le(this.handle, h(o))); }
  gt(o: Operand): Tensor { return wrap(native.gt(this.handle, h(o))); }
  ge(o: Operand): Tensor { return wrap(native.ge(this.handle, h(o))); }
  logicalNot(): Tensor { return wrap(native.logicalNot(this.handle)); }
  logicalAnd(o: Tensor): Tensor { return wrap(native.logicalAnd(this.handle, o.handle)); }
  logicalOr(o: Tensor): Tensor { return wrap(native.logicalOr(this.handle, o.handle)); }
  isfinite(): Tensor { return wrap(native.isfinite(this.handle)); }
  isnan(): Tensor { return wrap(native.isnan(this.handle)); }
  where(cond: Tensor, other: Tensor): Tensor { return wrap(native.where(cond.handle, this.handle, other.handle)); }
  allclose(o: Tensor, rtol = 1e-5, atol = 1e-8): boolean { return native.allclose(this.handle, o.handle, rtol, atol); }
  equal(o: Tensor): boolean { return native.equal(this.handle, o.handle); }

  // ---- reductions ----
  sum(dims?: number | number[], keepdim = false): Tensor { return wrap(native.sum(this.handle, dims, keepdim)); }
  mean(dims?: number | number[], keepdim = false): Tensor { return wrap(native.mean(this.handle, dims, keepdim)); }
  prod(dim?: number, keepdim = false): Tensor { return wrap(native.prod(this.handle, dim, keepdim)); }
  var(dims?: number | number[], unbiased = true, keepdim = false): Tensor { return wrap(native.varDim(this.handle, dims, unbiased, keepdim)); }
  std(dims?: number | number[], unbiased = true, keepdim = false): Tensor { return wrap(native.stdDim(this.handle, dims, unbiased, keepdim)); }
  amax(dims?: number | number[], keepdim = false): Tensor { return wrap(native.amax(this.handle, dims, keepdim)); }
  amin(dims?: number | number[], keepdim = false): Tensor { return wrap(native.amin(this.handle, dims, keepdim)); }
  /** The largest element. */
  max(): Tensor { return wrap(native.maxAll(this.handle)); }
  min(): Tensor { return wrap(native.minAll(this.handle)); }
  /** Largest values and their indices along a dimension. */
  maxDim(dim: number, keepdim = false): [Tensor, Tensor] { return wrap2(native.maxDim(this.handle, dim, keepdim)); }
  minDim(dim: number, keepdim = false): [Tensor, Tensor] { return wrap2(native.minDim(this.handle, dim, keepdim)); }
  argmax(dim?: number, keepdim = false): Tensor { return wrap(native.argmax(this.handle, dim, keepdim)); }
  argmin(dim?: number, keepdim = false): Tensor { return wrap(native.argmin(this.handle, dim, keepdim)); }
  all(): Tensor { return wrap(native.all(this.handle)); }
  any(): Tensor { return wrap(native.any(this.handle)); }
  norm(p = 2): Tensor { return wrap(native.norm(this.handle, p)); }
  cumsum(dim: number): Tensor { return wrap(native.cumsum(this.handle, dim)); }
  sort(dim = -1, descending = false): [Tensor, Tensor] { return wrap2(native.sort(this.handle, dim, descending)); }
  topk(k: number, dim = -1, largest = true, sorted = true): [Tensor, Tensor] { return wrap2(native.topk(this.handle, k, dim, largest, sorted)); }

  // ---- linear algebra ----
  matmul(o: Tensor): Tensor { return wrap(native.matmul(this.handle, o.handle)); }
  mm(o: Tensor): Tensor { return wrap(native.mm(this.handle, o.handle)); }
  t(): Tensor { return wrap(native.t(this.handle)); }
  transpose(d0: number, d1: number): Tensor { return wrap(native.transpose(this.handle, d0, d1)); }

  // ---- shape and indexing ----
  view(...shape: number[]): Tensor { return wrap(native.view(this.handle, shape)); }
  reshape(...shape: number[]): Tensor { return wrap(native.reshape(this.handle, shape)); }
  permute(...dims: number[]): Tensor { return wrap(native.permute(this.handle, dims)); }
  flatten(startDim = 0, endDim = -1): Tensor { return wrap(native.flatten(this.handle, startDim, endDim)); }
  squeeze(dim?: number): Tensor { return wrap(native.squeeze(this.handle, dim)); }
  unsqueeze(dim: number): Tensor { return wrap(native.unsqueeze(this.handle, dim)); }
  expand(...shape: number[]): Tensor { return wrap(native.expand(this.handle, shape)); }
  flip(dims: number[]): Tensor { return wrap(native.flip(this.handle, dims)); }
  indexSelect(dim: number, index: Tensor): Tensor { return wrap(native.indexSelect(this.handle, dim, index.handle)); }
  /** Elements start..end (exclusive) along dim, like Python's `t[start:end:step]`. */
  slice(dim: number, start: number, end: number, step = 1): Tensor { return wrap(native.slice(this.handle, dim, start, end, step)); }
  narrow(dim: number, start: number, length: number): Tensor { return wrap(native.narrow(this.handle, dim, start, length)); }
  select(dim: number, index: number): Tensor { return wrap(native.select(this.handle, dim, index)); }
  maskedFill(mask: Tensor, value: number): Tensor { return wrap(native.maskedFill(this.handle, mask.handle, value)); }
  maskedSelect(mask: Tensor): Tensor { return wrap(native.maskedSelect(this.handle, mask.handle)); }
  gather(dim: number, index: Tensor): Tensor { return wrap(native.gather(this.handle, dim, index.handle)); }
  split(size: number, dim = 0): Tensor[] { return (native.split(this.handle, size, dim) as Handle[]).map(wrap); }
  chunk(chunks: number, dim = 0): Tensor[] { return (native.chunk(this.handle, chunks, dim) as Handle[]).map(wrap); }

  // ---- in-place (optimizers, initialisation, loading state) ----
  add_(o: Operand, alpha = 1): this { native.add_(this.handle, h(o), al(alpha)); return this; }
  sub_(o: Operand, alpha = 1): this { native.sub_(this.handle, h(o), al(alpha)); return this; }
  mul_(o: Operand): this { native.mul_(this.handle, h(o)); return this; }
  div_(o: Operand): this { native.div_(this.handle, h(o)); return this; }
  addcmul_(t1: Tensor, t2: Tensor, value = 1): this { native.addcmul_(this.handle, t1.handle, t2.handle, value); return this; }
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this { native.addcdiv_(this.handle, t1.handle, t2.handle, value); return this; }
  lerp_(end: Tensor, weight: Operand): this { native.lerp_(this.handle, end.handle, h(weight)); return this; }
  sqrt_(): this { native.sqrt_(this.handle); return this; }
  neg_(): this { native.neg_(this.handle); return this; }
  relu_(): this { native.relu_(this.handle); return this; }
  clamp_(min?: number, max?: number): this { native.clamp_(this.handle, min, max); return this; }
  maximum_(o: Tensor): this { native.maximum_(this.handle, o.handle); return this; }
  copy_(src: Tensor): this { native.copy_(this.handle, src.handle); return this; }
  zero_(): this { native.zero_(this.handle); return this; }
  fill_(v: number | boolean): this { native.fill_(this.handle, v); return this; }
  uniform_(from = 0, to = 1): this { native.uniform_(this.handle, from, to); return this; }
  normal_(mean = 0, std = 1): this { native.normal_(this.handle, mean, std); return this; }
  bernoulli_(p: number): this { native.bernoulli_(this.handle, p); return this; }
  /** The inverse error function, in place (torch.nn.init.trunc_normal_ maps uniform numbers through it). */
  erfinv_(): this { native.erfinv_(this.handle); return this; }
}

/** Wraps a handle returned by the addon. */
export function wrap(handle: Handle): Tensor {
  return new Tensor(handle);
}
function wrap2(pair: [Handle, Handle]): [Tensor, Tensor] {
  return [new Tensor(pair[0]), new Tensor(pair[1])];
}

const DTYPES: readonly string[] = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];
export function isDType(s: string): s is DType {
  return DTYPES.includes(s);
}

export function typedArrayOf(dtype: DType, buf: ArrayBuffer): AnyTypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int16': return new Int16Array(buf);
    case 'int8': return new Int8Array(buf);
    case 'float16':
    case 'bfloat16': return new Uint16Array(buf);
    default: return new Uint8Array(buf);
  }
}

/** Bytes per element of a dtype. */
export function elementSize(dtype: DType): number {
  switch (dtype) {
    case 'float64': case 'int64': return 8;
    case 'float32': case 'int32': return 4;
    case 'float16': case 'bfloat16': case 'int16': return 2;
    default: return 1;
  }
}
