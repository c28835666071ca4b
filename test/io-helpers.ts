// Shared fixtures for the io tests: temp dirs, tensor hashing, and the Python snippets that describe
// tensors the same way on both sides (dtype name, shape, SHA-256 of the contiguous little-endian bytes).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RawTensor, StateDictRecords } from '../src/io/dtypes.js';

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tlearn-io-${tag}-`));
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

/** Python prelude: `desc(t)` matches describeTensor; `raw(t)` gives the bytes; st_write/st_read do safetensors by hand. */
export const PY_PRELUDE = String.raw`
import torch, hashlib, struct, collections
def raw(t):
    t = t.detach().contiguous().reshape(-1)
    if t.numel() == 0:
        return b''
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.view(torch.uint8).numpy().tobytes()
def dname(d):
    return str(d).replace('torch.', '')
def desc(t):
    return [dname(t.dtype), list(t.shape), hashlib.sha256(raw(t)).hexdigest()]
def desc_all(sd):
    return {k: desc(v) for k, v in sd.items()}
ST = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64', torch.int64: 'I64',
      torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL'}
ST_INV = {v: k for k, v in ST.items()}
def st_write(path, tensors, metadata=None):
    header = {}
    if metadata:
        header['__metadata__'] = metadata
    blobs, off = [], 0
    for name, t in tensors.items():
        b = raw(t)
        header[name] = {'dtype': ST[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
def st_read(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n].decode())
    meta = header.pop('__metadata__', {})
    out_t, cursor = collections.OrderedDict(), 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets'][0]):
        b, e = info['data_offsets']
        assert b == cursor, ('hole or overlap', name)
        dt = ST_INV[info['dtype']]
        size = torch.empty(0, dtype=dt).element_size()
        assert (8 + n + b) % size == 0, ('misaligned', name)
        cursor = e
        buf = bytearray(data[8 + n + b:8 + n + e])
        if len(buf) == 0:
            t = torch.empty(info['shape'], dtype=dt)
        elif dt == torch.bool:
            t = torch.frombuffer(buf, dtype=torch.uint8).to(torch.bool).reshape(info['shape'])
        else:
            t = torch.frombuffer(buf, dtype=dt).reshape(info['shape'])
        out_t[name] = t
    assert 8 + n + cursor == len(data), 'trailing bytes'
    return out_t, meta, list(header.keys())
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
