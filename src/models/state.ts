// The bridge between src/io's neutral records (bytes + dtype + shape, as read from or written to a file) and
// engine tensors. Records are little-endian row-major bytes; float16/bfloat16 travel as raw 16-bit patterns.
import { tensor, dispose, type Tensor } from '../torch/index.js';
import { checkRawTensor, dtypeSize, typedArray, type RawTensor, type StateDictRecords } from '../io/index.js';
import type { Module } from '../nn/index.js';

/** One record as a new CPU tensor (a copy of its bytes). */
export function recordToTensor(name: string, r: RawTensor): Tensor {
  checkRawTensor(name, r);
  // A typed array must start at a multiple of its element size. Records read from files are views into the
  // file's bytes and may be unaligned (safetensors from other writers); copy those first. (`new Uint8Array(x)`
  // always copies, unlike Buffer#slice.)
  const aligned = r.data.byteOffset % dtypeSize(r.dtype) === 0 ? r : { ...r, data: new Uint8Array(r.data) };
  return tensor(typedArray(aligned), { shape: r.shape, dtype: r.dtype });
}

/** Every record as a tensor, in the records' order. On failure nothing is left allocated. */
export function recordsToTensors(records: StateDictRecords): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  try {
    for (const [name, r] of records) out.set(name, recordToTensor(name, r));
  } catch (e) {
    dispose(out);
    throw e;
  }
  return out;
}

/** One tensor's values as a record (copied to the CPU and made contiguous by the addon). */
export function tensorToRecord(t: Tensor): RawTensor {
  const values = t.data();
  return {
    dtype: t.dtype,
    shape: t.shape,
    data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  };
}

/** Every tensor as a record, in the map's order. */
export function tensorsToRecords(tensors: ReadonlyMap<string, Tensor>): StateDictRecords {
  const out: StateDictRecords = new Map();
  for (const [name, t] of tensors) out.set(name, tensorToRecord(t));
  return out;
}

/** A module's state_dict as records (the keys and order of torch's state_dict()). */
export function moduleToRecords(model: Module): StateDictRecords {
  const sd = model.stateDict();
  try {
    return tensorsToRecords(sd);
  } finally {
    dispose(sd);
  }
}
