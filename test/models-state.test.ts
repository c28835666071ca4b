// The records ↔ tensors bridge for every dtype a checkpoint can hold: values equal PyTorch's, bytes round-trip
// unchanged (float16/bfloat16 as raw bits), scalars and empty tensors included; bad records are refused.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as torch from '../src/torch/index.js';
import { readSafetensors } from '../src/io/index.js';
import { recordToTensor, recordsToTensors, tensorsToRecords } from '../src/models/index.js';
import { runPython } from './helpers/python.js';
import { PY_MODELS, tempDir } from './models-helpers.js';

test('every dtype: tensors made from records hold PyTorch\'s values, and give back the same bytes', () => {
  const dir = tempDir('state');
  const file = path.join(dir, 'all.safetensors');
  const py = runPython<Record<string, { dtype: string; shape: number[]; values: number[] }>>(PY_MODELS + `
g = torch.Generator().manual_seed(1)
f = torch.randn(2, 3, generator=g) * 100
ts = collections.OrderedDict([
    ('f32', f), ('f16', f.half()), ('bf16', f.bfloat16()), ('f64', f.double()),
    ('i64', torch.tensor([[-(2**40), 1, 2], [3, 4, 2**40]], dtype=torch.int64)),
    ('i32', torch.tensor([-5, 7, 2**31 - 1], dtype=torch.int32)), ('i16', torch.tensor([-300, 300], dtype=torch.int16)),
    ('i8', torch.tensor([-128, 127, 0], dtype=torch.int8)), ('u8', torch.tensor([0, 255, 17], dtype=torch.uint8)),
    ('bool', torch.tensor([True, False, True])), ('scalar', torch.tensor(42, dtype=torch.int64)), ('empty', torch.zeros(0, 3)),
])
st_write(inp, ts)
out({k: {'dtype': str(v.dtype).replace('torch.', ''), 'shape': list(v.shape), 'values': v.double().flatten().tolist()} for k, v in ts.items()})
`, file);
  const records = readSafetensors(file).tensors;
  const tensors = recordsToTensors(records);
  try {
    assert.deepEqual([...tensors.keys()].sort(), Object.keys(py).sort());
    for (const [k, t] of tensors) {
      assert.equal(t.dtype, py[k].dtype, `${k} dtype`);
      assert.deepEqual(t.shape, py[k].shape, `${k} shape`);
      assert.deepEqual(t.toArray(), py[k].values, `${k} values`);
    }
    const back = tensorsToRecords(tensors);
    for (const [k, r] of records) {
      const b = back.get(k)!;
      assert.equal(b.dtype, r.dtype);
      assert.deepEqual(b.shape, r.shape);
      assert.deepEqual(Buffer.from(b.data), Buffer.from(r.data), `${k} bytes`);
    }
    // A non-contiguous view is written in row-major order of its logical shape.
    const tr = torch.scope(() => tensorsToRecords(new Map([['t', tensors.get('f32')!.t()]])).get('t')!);
    assert.deepEqual(tr.shape, [3, 2]);
    assert.deepEqual(Array.from(new Float32Array(tr.data.slice().buffer)), torch.scope(() => tensors.get('f32')!.t().contiguous().toArray()));
  } finally {
    torch.dispose(tensors);
  }
  assert.throws(() => recordToTensor('w', { dtype: 'float32', shape: [2, 2], data: new Uint8Array(12) }), /tensor 'w': 12 bytes of data, expected 16/);
  assert.throws(() => recordToTensor('w', { dtype: 'float32', shape: [-1], data: new Uint8Array(0) }), /tensor 'w'.*not a non-negative integer/);
  const before = torch.memory().tensors;
  assert.throws(() => recordsToTensors(new Map([
    ['a', { dtype: 'float32', shape: [1], data: new Uint8Array(4) }],
    ['b', { dtype: 'float32', shape: [1], data: new Uint8Array(3) }],
  ])), /tensor 'b'/);
  assert.equal(torch.memory().tensors, before, 'nothing left allocated after a failure');
});
