// .pth interop with another PyTorch than the test oracle's 1.13 (run where a torch 2.x is installed, e.g. the
// GPU machine: TLEARN_BENCH_PYTHON=python3 node dist/bench/pth-compat-check.js). Pure TypeScript IO, no addon:
//  1. a file written by tlearn's .pth writer loads with torch.load(weights_only=True) (the default since 2.6)
//     with the same dtypes, shapes, values and metadata;
//  2. a torchvision resnet18 state_dict saved by that torch reads here with the same bytes per tensor.
// Prints one JSON object; exits 1 when anything differs.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromTypedArray, readPth, typedArray, writePth, type StateDictRecords } from '../src/io/index.js';
import { runPythonBench } from './common.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-pth-compat-'));
const ours = path.join(dir, 'ours.pth');
const theirs = path.join(dir, 'theirs.pth');

const records: StateDictRecords = new Map([
  ['w.f32', fromTypedArray('float32', [2, 3], new Float32Array([1.5, -2, 3.25, 0, 1e-3, -7]))],
  ['w.f64', fromTypedArray('float64', [2], new Float64Array([Math.PI, -1e300]))],
  ['w.f16', fromTypedArray('float16', [2], new Uint16Array([0x3c00, 0xc000]))], // 1, -2
  ['w.bf16', fromTypedArray('bfloat16', [2], new Uint16Array([0x3f80, 0x4040]))], // 1, 3
  ['bn.num_batches_tracked', fromTypedArray('int64', [], new BigInt64Array([42n]))],
  ['w.i32', fromTypedArray('int32', [3], new Int32Array([-5, 7, 2 ** 31 - 1]))],
  ['w.u8', fromTypedArray('uint8', [3], new Uint8Array([0, 255, 17]))],
  ['w.bool', fromTypedArray('bool', [2], new Uint8Array([1, 0]))],
]);
writePth(ours, records, { metadata: { classes: ['ok', 'defect'], imageSize: 224 } });
const expected = Object.fromEntries([...records].map(([k, t]) => {
  const v = typedArray(t);
  const nums = t.dtype === 'float16' ? [1, -2] : t.dtype === 'bfloat16' ? [1, 3] : Array.from(v as ArrayLike<number | bigint>, Number);
  return [k, { dtype: t.dtype, shape: t.shape, values: nums }];
}));

const py = runPythonBench<{ torch: string; loaded: Record<string, { dtype: string; shape: number[]; values: number[] }>; meta: unknown; hashes: Record<string, string> }>(`
import hashlib, torch, torchvision
sd = torch.load(inp['ours'], weights_only=True)
loaded = {k: {'dtype': str(v.dtype).replace('torch.', '').replace('float', 'float').replace('bool', 'bool'),
              'shape': list(v.shape), 'values': v.double().flatten().tolist()} for k, v in sd.items()}
meta = json.loads(sd.tlearn_metadata)
torch.manual_seed(0)
m = torchvision.models.resnet18()
torch.save(m.state_dict(), inp['theirs'])
def raw(t):
    t = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.bool: t = t.to(torch.uint8)
    return t.view(torch.uint8).numpy().tobytes() if t.numel() else b''
hashes = {k: hashlib.sha256(raw(v)).hexdigest() for k, v in m.state_dict().items()}
print(json.dumps({'torch': torch.__version__, 'loaded': loaded, 'meta': meta, 'hashes': hashes}))
`, { ours, theirs }, 4);

const problems: string[] = [];
const dtypeName = (d: string) => ({ float: 'float32', double: 'float64', half: 'float16', long: 'int64', int: 'int32', uint8: 'uint8' } as Record<string, string>)[d] ?? d;
for (const [k, e] of Object.entries(expected)) {
  const got = py.loaded[k];
  if (!got) { problems.push(`${k}: missing after torch.load`); continue; }
  if (dtypeName(got.dtype) !== e.dtype) problems.push(`${k}: dtype ${got.dtype}, expected ${e.dtype}`);
  if (JSON.stringify(got.shape) !== JSON.stringify(e.shape)) problems.push(`${k}: shape ${got.shape}, expected ${e.shape}`);
  if (JSON.stringify(got.values) !== JSON.stringify(e.values)) problems.push(`${k}: values ${got.values}, expected ${e.values}`);
}
if (JSON.stringify(py.meta) !== JSON.stringify({ classes: ['ok', 'defect'], imageSize: 224 })) problems.push(`metadata ${JSON.stringify(py.meta)}`);
const read = readPth(theirs);
for (const [k, h] of Object.entries(py.hashes)) {
  const t = read.tensors.get(k);
  if (!t) { problems.push(`${k}: missing in our read of torch ${py.torch}'s file`); continue; }
  if (crypto.createHash('sha256').update(t.data).digest('hex') !== h) problems.push(`${k}: bytes differ`);
}
console.log(JSON.stringify({ torch: py.torch, oursLoadedByTorch: Object.keys(py.loaded).length, theirsReadHere: read.tensors.size, problems }, null, 2));
fs.rmSync(dir, { recursive: true, force: true });
process.exit(problems.length ? 1 : 0);
