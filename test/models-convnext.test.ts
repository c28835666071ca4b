// ConvNeXt against torchvision 0.14: state_dict keys/shapes and parameter counts of convnext_tiny/small, seeded
// initialisation (trunc_normal_), and a small ConvNeXt (two stages, a downsampling layer, stochastic depth drawn
// from the same seed) in eval and train mode with gradients and one SGD step.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as torch from '../src/torch/index.js';
import { ConvNeXt, type CNBlockConfig } from '../src/models/convnext.js';
import { PY_NO_INIT, parityOracle } from './helpers/module-parity.js';

const ARCHS = ['convnext_tiny', 'convnext_small'] as const;
const TINY: CNBlockConfig[] = [[8, 16, 1], [16, null, 2]];
const PY_TINY = `from torchvision.models.convnext import ConvNeXt, CNBlockConfig
m = ConvNeXt([CNBlockConfig(8, 16, 1), CNBlockConfig(16, None, 2)], stochastic_depth_prob=0.5, num_classes=10)`;
const tiny = (): ConvNeXt => new ConvNeXt('tiny', { blocks: TINY, stochasticDepthProb: 0.5, numClasses: 10 });

interface PyConvNeXt {
  keys: Record<string, [string, number[]][]>;
  counts: Record<string, number>;
  seeded: Record<string, number[]>;
}


const parity = parityOracle({ tiny: { pyBuild: PY_TINY, inputShape: [3, 3, 32, 32], trainSeed: 3 } }, `
torch.manual_seed(11)
${PY_TINY}
seeded = {k: v.double().flatten().tolist() for k, v in m.state_dict().items()}
${PY_NO_INIT}
keys, counts = {}, {}
for arch in inp:
    m = getattr(torchvision.models, arch)()
    keys[arch] = [[k, list(v.shape)] for k, v in m.state_dict().items()]
    counts[arch] = sum(p.numel() for p in m.parameters())
out({'keys': keys, 'counts': counts, 'seeded': seeded})
`, ARCHS);
const oracle = (): PyConvNeXt => parity.extra<PyConvNeXt>();

test('convnext_tiny / convnext_small: state_dict keys, order, shapes and parameter counts equal torchvision', () => {
  for (const arch of ARCHS) {
    const m = new ConvNeXt(arch, { skipInit: true });
    try {
      const ours = m.stateSlots().map(([k, , , t]) => [k, t.shape] as [string, number[]]);
      assert.deepEqual(ours, oracle().keys[arch], `${arch} keys and shapes`);
      assert.equal(m.countParameters(), oracle().counts[arch], `${arch} parameter count`);
    } finally {
      m.dispose();
    }
  }
});

test('after manualSeed a ConvNeXt draws torchvision\'s initial weights', () => {
  torch.manualSeed(11);
  const m = tiny();
  try {
    const sd = m.stateDict();
    assert.deepEqual([...sd.keys()], Object.keys(oracle().seeded));
    for (const [k, t] of sd) assert.deepEqual(t.toArray(), oracle().seeded[k], k);
    torch.dispose(sd);
  } finally {
    m.dispose();
  }
});


test('a small ConvNeXt equals torchvision in eval and train mode (stochastic depth from the same seed), gradients and one SGD step', () => {
  parity.check('tiny', tiny);
});
