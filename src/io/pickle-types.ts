// The values a restricted unpickle produces. Python objects map to plain JS where that is lossless
// enough for checkpoints: None → null, bool, int → number (bigint beyond 2^53), float → number,
// str → string, bytes → Uint8Array, list → array, tuple → *frozen* array, dict → PyDict (a Map).
import type { DTypeName } from './dtypes.js';

/** A module-level name from the allowlist. Only its path is kept: nothing is ever looked up or run. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get path(): string { return `${this.module}.${this.name}`; }
  toString(): string { return this.path; }
}

/** dict, collections.OrderedDict or collections.Counter. BUILD on an OrderedDict sets `attributes`. */
export class PyDict extends Map<unknown, unknown> {
  readonly attributes = new Map<string, unknown>();
  constructor(readonly kind: 'dict' | 'OrderedDict' | 'Counter' = 'dict') { super(); }
}

/** A storage named by a persistent id; `data` is its raw bytes (set later for the legacy format). */
export class PyStorage {
  constructor(
    readonly dtype: DTypeName,
    readonly key: string,
    readonly location: string,
    /** Element count as pickled. */
    readonly numel: number,
    public data?: Uint8Array,
  ) {}
}

/** A tensor as described by torch._utils._rebuild_tensor*: a strided view of a storage. */
export class PyTensor {
  constructor(
    readonly storage: PyStorage,
    readonly dtype: DTypeName,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly requiresGrad: boolean,
    readonly isParameter: boolean,
  ) {}
  asParameter(requiresGrad: boolean): PyTensor {
    return new PyTensor(this.storage, this.dtype, this.offset, this.shape, this.stride, requiresGrad, true);
  }
}

/** Tuples are frozen arrays, so they can be told from (mutable) lists. */
export function isTuple(x: unknown): x is readonly unknown[] {
  return Array.isArray(x) && Object.isFrozen(x);
}
export function isList(x: unknown): x is unknown[] {
  return Array.isArray(x) && !Object.isFrozen(x);
}
