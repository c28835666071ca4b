// Tensor lifetime: scope frees what it made, keeps what is returned or kept; freeing drops one reference only.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../src/torch/index.js';
import { F } from '../src/torch/index.js';

test('scope frees intermediates and hands returned tensors to the enclosing scope', () => {
  const before = torch.memory().tensors;
  const kept = torch.scope(() => {
    const a = torch.ones([4, 4]);
    const b = a.mul(3).add(1);
    const inner = torch.scope(() => [b.sum(), b.mean()]);
    assert.equal(inner.length, 2);
    return { total: inner[0] };
  });
  assert.equal(kept.total.item(), 64);
  assert.equal(torch.memory().tensors, before + 1);
  kept.total.dispose();
  assert.equal(torch.memory().tensors, before);
});

test('keep() exempts a tensor from every scope; an exception still frees the scope', () => {
  const before = torch.memory().tensors;
  let k!: torch.Tensor;
  torch.scope(() => {
    torch.scope(() => {
      k = torch.keep(torch.zeros([3]));
      torch.ones([3]);
    });
  });
  assert.equal(k.isDisposed, false);
  assert.throws(() => torch.scope(() => {
    torch.ones([10]);
    throw new Error('boom');
  }), /boom/);
  assert.equal(torch.memory().tensors, before + 1);
  k.dispose();
  assert.equal(torch.memory().tensors, before);
});

test('disposing a handle keeps storage that a parameter or autograd still uses', () => {
  torch.scope(() => {
    const w = torch.randn([3, 3]).requiresGrad_();
    const view = w.detach(); // shares storage with w
    view.dispose();
    assert.equal(w.sum().isfinite().item(), 1);
    const x = torch.randn([2, 3]);
    const y = F.linear(x, w).sum();
    x.dispose(); // autograd saved x for the weight gradient
    y.backward();
    assert.deepEqual(w.grad!.shape, [3, 3]);
  });
});

test('memory stays flat over 1,000 training steps', () => {
  const w1 = torch.keep(torch.randn([16, 8]).mul_(0.1).requiresGrad_());
  const w2 = torch.keep(torch.randn([1, 16]).mul_(0.1).requiresGrad_());
  const step = () =>
    torch.scope(() => {
      const x = torch.randn([32, 8]);
      const y = torch.rand([32, 1]).gt(0.5).float();
      const loss = F.binaryCrossEntropyWithLogits(F.linear(F.linear(x, w1).relu(), w2), y);
      loss.backward();
      torch.noGrad(() => {
        for (const w of [w1, w2]) {
          w.sub_(w.grad!, 0.01);
          w.setGrad(undefined);
        }
      });
      return loss.item();
    });
  for (let i = 0; i < 20; i++) step();
  const warm = torch.memory();
  for (let i = 0; i < 1000; i++) step();
  assert.deepEqual(torch.memory(), warm);
  w1.dispose();
  w2.dispose();
});
