// The neutral tensor record shared by every reader and writer in src/io, and the dtype tables that map
// it to the names used by safetensors headers and by torch.save pickles. Nothing here depends on the engine:
// a bridge elsewhere turns RawTensor into engine tensors and back.

export type DTypeName =
  | 'float32' | 'float16' | 'bfloat16' | 'float64'
  | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** A tensor as bytes: contiguous, row-major, little-endian. `data.length === numel(shape) * dtypeSize(dtype)`. */
export interface RawTensor {
  dtype: DTypeName;
  shape: number[];
  data: Uint8Array;
}

/** A state_dict as records; Map insertion order is the order found in the file (or to write). */
export type StateDictRecords = Map<string, RawTensor>;

interface DTypeInfo {
  size: number;
  safetensors: string;
  /** torch's legacy storage class name, as pickled in persistent ids (`torch.FloatStorage`). */
  storage: string;
  /** torch dtype attribute name, as pickled for a `torch.dtype` (`torch.float32`). */
  torch: string;
}

const INFO: Record<DTypeName, DTypeInfo> = {
  float32: { size: 4, safetensors: 'F32', storage: 'FloatStorage', torch: 'float32' },
  float16: { size: 2, safetensors: 'F16', storage: 'HalfStorage', torch: 'float16' },
  bfloat16: { size: 2, safetensors: 'BF16', storage: 'BFloat16Storage', torch: 'bfloat16' },
  float64: { size: 8, safetensors: 'F64', storage: 'DoubleStorage', torch: 'float64' },
  int64: { size: 8, safetensors: 'I64', storage: 'LongStorage', torch: 'int64' },
  int32: { size: 4, safetensors: 'I32', storage: 'IntStorage', torch: 'int32' },
  int16: { size: 2, safetensors: 'I16', storage: 'ShortStorage', torch: 'int16' },
  int8: { size: 1, safetensors: 'I8', storage: 'CharStorage', torch: 'int8' },
  uint8: { size: 1, safetensors: 'U8', storage: 'ByteStorage', torch: 'uint8' },
  bool: { size: 1, safetensors: 'BOOL', storage: 'BoolStorage', torch: 'bool' },
};

export const DTYPE_NAMES = Object.keys(INFO) as DTypeName[];

function invert(field: keyof DTypeInfo): Map<string, DTypeName> {
  return new Map(DTYPE_NAMES.map((d) => [String(INFO[d][field]), d]));
}
const BY_SAFETENSORS = invert('safetensors');
const BY_STORAGE = invert('storage');
// torch also pickles dtypes under their aliases' canonical names only, but accept the common aliases.
const BY_TORCH = new Map([...invert('torch'), ['float', 'float32'], ['half', 'float16'], ['double', 'float64'],
  ['long', 'int64'], ['int', 'int32'], ['short', 'int16']] as [string, DTypeName][]);

export function isDTypeName(x: unknown): x is DTypeName {
  return typeof x === 'string' && Object.hasOwn(INFO, x);
}
export function dtypeSize(d: DTypeName): number { return INFO[d].size; }
export function safetensorsCode(d: DTypeName): string { return INFO[d].safetensors; }
export function storageClassName(d: DTypeName): string { return INFO[d].storage; }
export function torchDTypeName(d: DTypeName): string { return INFO[d].torch; }
export function dtypeFromSafetensors(code: string): DTypeName | undefined { return BY_SAFETENSORS.get(code); }
export function dtypeFromStorageClass(name: string): DTypeName | undefined { return BY_STORAGE.get(name); }
export function dtypeFromTorchName(name: string): DTypeName | undefined { return BY_TORCH.get(name); }

/**
 * Number of elements of `shape`, or throws if a dimension is not a non-negative safe integer or the product
 * overflows. Called on untrusted shapes before anything is allocated from them.
 */
export function numel(shape: readonly unknown[], what = 'shape'): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new Error(`${what}: dimension ${JSON.stringify(d)} is not a non-negative integer`);
    }
    n *= d;
    if (!Number.isSafeInteger(n)) throw new Error(`${what}: element count overflows`);
  }
  return n;
}

/** Byte length of a tensor of this dtype and shape (validated like `numel`). */
export function byteLength(dtype: DTypeName, shape: readonly unknown[], what = 'shape'): number {
  const bytes = numel(shape, what) * dtypeSize(dtype);
  if (!Number.isSafeInteger(bytes)) throw new Error(`${what}: byte size overflows`);
  return bytes;
}

/** Checks that a record is self-consistent; returns it. Used by writers so they never emit a broken file. */
export function checkRawTensor(name: string, t: RawTensor): RawTensor {
  if (!t || !isDTypeName(t.dtype)) throw new Error(`tensor '${name}': unknown dtype ${JSON.stringify(t?.dtype)}`);
  if (!Array.isArray(t.shape)) throw new Error(`tensor '${name}': shape must be an array`);
  if (!(t.data instanceof Uint8Array)) throw new Error(`tensor '${name}': data must be a Uint8Array`);
  const expected = byteLength(t.dtype, t.shape, `tensor '${name}'`);
  if (t.data.length !== expected) {
    throw new Error(`tensor '${name}': ${t.data.length} bytes of data, expected ${expected} for ${t.dtype}[${t.shape.join(', ')}]`);
  }
  return t;
}

export type TypedArrayFor<D extends DTypeName> =
  D extends 'float32' ? Float32Array :
  D extends 'float64' ? Float64Array :
  D extends 'int64' ? BigInt64Array :
  D extends 'int32' ? Int32Array :
  D extends 'int16' ? Int16Array :
  D extends 'int8' ? Int8Array :
  D extends 'float16' | 'bfloat16' ? Uint16Array :
  Uint8Array;

const CTORS = {
  float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array, int16: Int16Array,
  int8: Int8Array, float16: Uint16Array, bfloat16: Uint16Array, uint8: Uint8Array, bool: Uint8Array,
} as const;

/**
 * A typed-array view of the tensor's bytes (float16/bfloat16 as their raw Uint16 bits). Zero-copy when the
 * data is suitably aligned; otherwise (e.g. a safetensors file from a writer that does not align) a copy.
 * Assumes a little-endian host, like every platform libtorch ships for.
 */
export function typedArray<D extends DTypeName>(t: RawTensor & { dtype: D }): TypedArrayFor<D> {
  const Ctor = CTORS[t.dtype] as unknown as { new(b: ArrayBufferLike, o: number, n: number): TypedArrayFor<D>; BYTES_PER_ELEMENT: number };
  const size = Ctor.BYTES_PER_ELEMENT;
  let bytes = t.data;
  if (bytes.byteOffset % size !== 0) bytes = new Uint8Array(bytes); // a copy: Buffer#slice would only make another view
  return new Ctor(bytes.buffer, bytes.byteOffset, bytes.length / size);
}

/** A RawTensor over a typed array's bytes (no copy). */
export function fromTypedArray(dtype: DTypeName, shape: number[], values: ArrayBufferView): RawTensor {
  const data = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return checkRawTensor('<typed array>', { dtype, shape: [...shape], data });
}
