// Shared fixtures for the models tests: temp dirs, tensor comparison, reading the safetensors files the Python
// oracle writes, and the Python prelude (a hand-written safetensors writer: Debian has no safetensors package;
// the seed's model; random BatchNorm statistics so that eval mode depends on them).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as assert from 'node:assert/strict';
import { readSafetensors } from '../src/io/index.js';
import type { Tensor } from '../src/torch/index.js';
import { recordsToTensors } from '../src/models/index.js';

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tlearn-models-${tag}-`));
}

/** The tensors of a safetensors file (written by the Python side), in file order. */
export function readTensors(file: string): Map<string, Tensor> {
  return recordsToTensors(readSafetensors(file).tensors);
}

/** Largest |a-b| and the worst ratio |a-b| / (atol + rtol·|b|); passes when the ratio is ≤ 1. */
export function assertClose(actual: Tensor, expected: Tensor, what: string, atol = 1e-4, rtol = 1e-4): number {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = actual.toArray();
  const b = expected.toArray();
  let worst = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    maxAbs = Math.max(maxAbs, d);
    worst = Math.max(worst, d / (atol + rtol * Math.abs(b[i])));
    if (!Number.isFinite(a[i]) || Number.isNaN(d)) assert.fail(`${what}: element ${i} is ${a[i]}, expected ${b[i]}`);
  }
  assert.ok(worst <= 1, `${what}: max |diff| ${maxAbs} exceeds atol ${atol} + rtol ${rtol}·|expected|`);
  return maxAbs;
}

export const PY_MODELS = String.raw`
import torch, torchvision, struct, collections
torch.set_num_threads(2)
ST = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64', torch.int64: 'I64',
      torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL'}
def raw(t):
    t = t.detach().contiguous().reshape(-1)
    if t.numel() == 0:
        return b''
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.view(torch.uint8).numpy().tobytes()
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
    inv = {v: k for k, v in ST.items()}
    out_t = collections.OrderedDict()
    for name, info in header.items():
        b, e = info['data_offsets']
        buf = bytearray(data[8 + n + b:8 + n + e])
        out_t[name] = torch.frombuffer(buf, dtype=inv[info['dtype']]).reshape(info['shape']) if buf else torch.empty(info['shape'], dtype=inv[info['dtype']])
    return out_t, meta
def randomize_bn(model, seed=123):
    # Non-trivial running statistics and affine parameters, so that eval-mode outputs depend on all of them.
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                m.weight.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(n, generator=g) * 0.1)
                m.num_batches_tracked.fill_(7)
def seed_model(arch='resnet50'):
    m = getattr(torchvision.models, arch)()
    m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(m.fc.in_features, 1), torch.nn.Sigmoid())
    return m
`;
