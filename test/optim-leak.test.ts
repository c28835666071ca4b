// Tensor lifetime in a training loop: 1,000 steps of a tiny conv model (forward in train mode with BN,
// BCE-with-logits, backward inside scope(); Adam step and zeroGrad outside it) must leave torch.memory() flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, manualSeed, memory, scope, randn, rand, keep, setNumThreads } from '../src/torch/index.js';
import { Sequential, Conv2d, BatchNorm2d, ReLU, AdaptiveAvgPool2d, Flatten, Dropout, Linear } from '../src/nn/index.js';
import { Adam } from '../src/optim/index.js';

test('1,000 training steps inside scope keep tensor count and bytes flat', () => {
  // Tiny tensors: one thread avoids OpenMP hand-offs that dominate (and crawl on a busy machine).
  setNumThreads(1);
  manualSeed(0);
  const start = memory();
  const net = new Sequential(new Conv2d(2, 3, 3, { padding: 1 }), new BatchNorm2d(3), new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(), new Dropout(0.2), new Linear(3, 1));
  const opt = new Adam(net.parameters(), { lr: 1e-3, amsgrad: true, weightDecay: 1e-4 });
  const [x, y] = keep(scope(() => [randn([4, 2, 5, 5]), rand([4, 1]).round()]));
  const step = (): number => {
    const loss = scope(() => {
      const l = F.binaryCrossEntropyWithLogits(net.forward(x), y);
      l.backward();
      return l.item();
    });
    // Outside the scope on purpose: step() and zeroGrad() must free their own temporaries.
    opt.step();
    opt.zeroGrad();
    return loss;
  };
  for (let i = 0; i < 10; i++) step(); // warm-up: optimizer state and gradients now exist
  const warm = memory();
  let first = 0;
  let last = 0;
  for (let i = 0; i < 1000; i++) {
    last = step();
    if (i === 0) first = last;
  }
  const after = memory();
  assert.deepEqual(after, warm, 'tensor count and bytes after 1,000 steps equal those after warm-up');
  assert.ok(Number.isFinite(last) && last < first, `the loss went down (${first} -> ${last})`);
  net.dispose();
  opt.dispose();
  x.dispose();
  y.dispose();
  assert.deepEqual(memory(), start, 'disposing the model, the optimizer and the data frees everything');
});
