// Shared fixtures for the io tests: temp dirs, tensor hashing, and the Python snippets that describe
// tensors the same way on both sides (dtype name, shape, SHA-256 of the contiguous little-endian bytes).
import * as crypto from 'node:crypto';
import type { RawTensor, StateDictRecords } from '../src/io/dtypes.js';
import { PY_SAFETENSORS } from './helpers/py-safetensors.js';
import { tempDir as newTempDir } from './helpers/temp.js';

export function tempDir(tag: string): string {
  return newTempDir(`tlearn-io-${tag}-`);
}

export type TensorDesc = [dtype: string, shape: number[], sha256: string];

export function describeTensor(t: RawTensor): TensorDesc {
  return [t.dtype, t.shape, crypto.createHash('sha256').update(t.data).digest('hex')];
}

export function describeAll(records: StateDictRecords): Record<string, TensorDesc> {
  const o: Record<string, TensorDesc> = {};
  for (const [k, t] of records) o[k] = describeTensor(t);
  return o;
}

/** Python prelude: `desc(t)` matches describeTensor; raw/st_write/st_read come from PY_SAFETENSORS. */
export const PY_PRELUDE = String.raw`
import torch, hashlib, struct, collections
` + PY_SAFETENSORS + String.raw`
def dname(d):
    return str(d).replace('torch.', '')
def desc(t):
    return [dname(t.dtype), list(t.shape), hashlib.sha256(raw(t)).hexdigest()]
def desc_all(sd):
    return {k: desc(v) for k, v in sd.items()}
def every_dtype():
    g = torch.Generator().manual_seed(1)
    f = torch.randn(2, 3, generator=g)
    return collections.OrderedDict([
        ('t.f32', f), ('t.f16', f.half()), ('t.bf16', f.bfloat16()), ('t.f64', f.double()),
        ('t.i64', torch.tensor([[-(2**62), 1, 2], [3, 4, 2**62]], dtype=torch.int64)),
        ('t.i32', torch.tensor([-5, 7, 2**31 - 1], dtype=torch.int32)),
        ('t.i16', torch.tensor([-300, 300], dtype=torch.int16)),
        ('t.i8', torch.tensor([-128, 127, 0], dtype=torch.int8)),
        ('t.u8', torch.tensor([0, 255, 17], dtype=torch.uint8)),
        ('t.bool', torch.tensor([True, False, True])),
        ('t.scalar', torch.tensor(42, dtype=torch.int64)),
        ('t.empty', torch.zeros(0, 3)),
    ])
`;
