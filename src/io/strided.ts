// Turns a strided view of a storage (as torch pickles tensors) into a contiguous RawTensor: a zero-copy
// view when the layout is already row-major, a gather otherwise. Every offset is checked against the
// storage first, so a hostile size/stride cannot read outside it.
import { dtypeSize, numel, type DTypeName, type RawTensor } from './dtypes.js';

/** A gathered (non-contiguous) tensor may exceed its storage's size up to this many bytes. */
export const GATHER_FLOOR_BYTES = 256 * 1024 * 1024;

/** Row-major strides of a shape (in elements). */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/** True when a view with these strides is laid out row-major (dimensions of size 1 may carry any stride). */
function isRowMajor(shape: readonly number[], stride: readonly number[]): boolean {
  const cs = contiguousStrides(shape);
  return shape.every((d, i) => d === 1 || stride[i] === cs[i]);
}

/**
 * A view can describe far more elements than its storage holds (stride 0, as from expand()): refuses to blow
 * a small file up into a huge allocation. `bytes` is the copy's size.
 */
export function checkGatherSize(what: string, bytes: number, storageBytes: number): void {
  if (bytes > Math.max(storageBytes, GATHER_FLOOR_BYTES)) {
    throw new Error(`${what}: non-contiguous view of ${bytes} bytes over a ${storageBytes}-byte storage is too large to materialize`);
  }
}

/**
 * The bytes materializeStrided allocates for this view: 0 for a row-major view (returned as a view of its
 * storage), else its whole size. Throws on an invalid shape, like materializeStrided.
 */
export function gatheredBytes(what: string, dtype: DTypeName, shape: readonly number[], stride: readonly number[]): number {
  if (stride.length !== shape.length || isRowMajor(shape, stride)) return 0;
  return numel(shape, `${what} size`) * dtypeSize(dtype);
}

/**
 * Materializes `shape`/`stride`/`offset` (in elements) over `storage` bytes of element type `dtype`.
 * `storageNumel` is the storage's element count. Throws (message prefixed by `what`) if out of bounds.
 */
export function materializeStrided(
  what: string, dtype: DTypeName, storage: Uint8Array, storageNumel: number,
  offset: number, shape: readonly number[], stride: readonly number[],
): RawTensor {
  const es = dtypeSize(dtype);
  const n = numel(shape, `${what} size`);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`${what}: storage offset ${offset} is invalid`);
  if (stride.some((s) => !Number.isSafeInteger(s) || s < 0)) throw new Error(`${what}: strides [${stride.join(', ')}] must be non-negative integers`);
  if (storage.length !== storageNumel * es) throw new Error(`${what}: storage holds ${storage.length} bytes, expected ${storageNumel} × ${es}`);
  if (n === 0) return { dtype, shape: [...shape], data: new Uint8Array(0) };
  let last = offset;
  for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * stride[i];
  if (!Number.isSafeInteger(last) || last >= storageNumel) {
    throw new Error(`${what}: view (offset ${offset}, size [${shape.join(', ')}], stride [${stride.join(', ')}]) reaches element ${last}, outside its storage of ${storageNumel} elements`);
  }
  if (isRowMajor(shape, stride)) return { dtype, shape: [...shape], data: storage.subarray(offset * es, (offset + n) * es) };

  checkGatherSize(what, n * es, storage.length);
  // Gather: walk the index space with an odometer, copying the innermost dimension as runs when dense.
  const out = new Uint8Array(n * es);
  const rank = shape.length;
  const inner = rank > 0 ? shape[rank - 1] : 1;
  const innerStride = rank > 0 ? stride[rank - 1] : 1;
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let src = offset;
  let o = 0;
  for (let done = 0; done < n; done += inner) {
    if (innerStride === 1) {
      out.set(storage.subarray(src * es, (src + inner) * es), o);
      o += inner * es;
    } else {
      for (let j = 0; j < inner; j++) {
        const b = (src + j * innerStride) * es;
        for (let k = 0; k < es; k++) out[o++] = storage[b + k];
      }
    }
    // Advance the outer dimensions.
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      src += stride[d];
      if (idx[d] < shape[d]) break;
      src -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return { dtype, shape: [...shape], data: out };
}

/** Swaps each element's bytes (for a big-endian archive); returns a new buffer. */
export function byteSwap(data: Uint8Array, elementSize: number): Uint8Array {
  if (elementSize === 1) return data;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += elementSize) {
    for (let k = 0; k < elementSize; k++) out[i + k] = data[i + elementSize - 1 - k];
  }
  return out;
}
