// libtorch errors become JS Errors carrying the op name; nothing here may crash the process.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../src/torch/index.js';
import { F } from '../src/torch/index.js';
import { native } from '../src/torch/native.js';

const opError = (op: string, text: RegExp) => (e: unknown) => {
  assert.ok(e instanceof Error);
  assert.match(e.message, new RegExp(`^${op}: `));
  assert.match(e.message, text);
  assert.equal((e as Error & { op?: string }).op, op);
  return true;
};

test('wrong shapes name the op and carry libtorch message', () => {
  torch.scope(() => {
    assert.throws(() => torch.ones([2, 3]).matmul(torch.ones([2, 3])), opError('matmul', /cannot be multiplied|size mismatch/));
    assert.throws(() => F.conv2d(torch.ones([1, 3, 8, 8]), torch.ones([4, 2, 3, 3])), opError('conv2d', /channels|shape/i));
    assert.throws(() => torch.ones([6]).view(4), opError('view', /invalid for input of size 6/));
    assert.throws(() => torch.ones([2, 2]).add(torch.ones([3])), opError('add', /size of tensor/));
    assert.throws(() => torch.cat([], 0), opError('cat', /.+/));
  });
});

test('wrong dtypes and devices are errors, not crashes', () => {
  torch.scope(() => {
    assert.throws(() => F.linear(torch.ones([2, 3]), torch.ones([4, 3], { dtype: 'float64' })), opError('linear', /dtype|Double|Float/));
    assert.throws(() => torch.ones([2], { dtype: 'int64' }).requiresGrad_(), opError('setRequiresGrad', /floating point/));
    if (!torch.cuda.isAvailable()) {
      assert.throws(() => torch.ones([2]).to('cuda'), /toDevice: .*(CUDA|cuda)/);
    }
    assert.throws(() => torch.ones([2]).to('tpu9'), /unknown device 'tpu9'/);
    assert.throws(() => torch.zeros([2], { dtype: 'complex' as never }), /unknown dtype 'complex'/);
  });
});

test('a disposed tensor or a foreign value is a clear error', () => {
  const t = torch.ones([2]);
  t.dispose();
  assert.throws(() => t.add(1), /tensor was disposed/);
  t.dispose(); // twice is harmless
  const u = torch.ones([2]);
  const h = u.handle;
  u.dispose();
  assert.throws(() => native.add(h, 1), /add: argument 0: tensor was disposed/);
  assert.throws(() => native.add({}, 1), /add: argument 0: expected a tensor/);
  assert.throws(() => native.add(), /add: argument \d: expected a tensor/);
  assert.throws(() => native.zeros('abc'), /zeros: argument 0: expected an array of integers/);
  assert.throws(() => native.zeros([1.5]), /expected an array of integers/);
});

test('fromBuffer checks sizes before copying', () => {
  assert.throws(() => torch.tensor(new Float32Array(5), { shape: [2, 3] }), /fromBuffer: data has 20 bytes but shape and dtype need 24/);
  assert.throws(() => torch.tensor(new Float32Array(4), { shape: [-1, -4] }), /negative dimension/);
  assert.throws(() => torch.tensor(new Float32Array(4), { dtype: 'float64' }), /cannot hold float64/);
});

test('backward through a freed graph fails cleanly', () => {
  torch.scope(() => {
    const w = torch.ones([2]).requiresGrad_();
    const y = w.mul(w).sum();
    y.backward();
    assert.throws(() => y.backward(), opError('backward', /second time|freed/));
    assert.throws(() => torch.ones([2]).sum().backward(), opError('backward', /does not require grad/));
  });
});

test('integral JS numbers act as Python ints: int64 tensors take add_(1) and stay int64', () => {
  torch.scope(() => {
    const n = torch.zeros([2], { dtype: 'int64' });
    n.add_(1).add_(2);
    assert.equal(n.dtype, 'int64');
    assert.deepEqual(n.toArray(), [3, 3]);
    assert.equal(torch.ones([2], { dtype: 'int32' }).mul(3).dtype, 'int32');
    assert.equal(torch.ones([2], { dtype: 'int32' }).mul(0.5).dtype, 'float32');
    assert.deepEqual(torch.ones([2]).mul(3).toArray(), [3, 3]);
  });
});
