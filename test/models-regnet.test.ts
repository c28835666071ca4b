// RegNetY against torchvision 0.14: the stage settings that BlockParams.from_init_params derives (for every RegNet
// design torchvision ships), state_dict keys/shapes and parameter counts of regnet_y_400mf/1_6gf/3_2gf, seeded
// initialisation, and a small RegNetY (SE, grouped convs, projection shortcuts) in eval and train mode with
// gradients and one SGD step.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as torch from '../src/torch/index.js';
import { RegNet, REGNET_DESIGNS, regnetParams, type RegNetArch } from '../src/models/regnet.js';
import type { RegNetDesign } from '../src/models/regnet-params.js';
import { parityOracle } from './helpers/module-parity.js';

// torchvision 0.14's designs (models/regnet.py), Y and X: inputs of the width generation, not results.
const DESIGNS: Record<string, RegNetDesign> = {
  ...REGNET_DESIGNS,
  regnet_y_800mf: { depth: 14, w0: 56, wa: 38.84, wm: 2.4, groupWidth: 16, seRatio: 0.25 },
  regnet_y_8gf: { depth: 17, w0: 192, wa: 76.82, wm: 2.19, groupWidth: 56, seRatio: 0.25 },
  regnet_y_16gf: { depth: 18, w0: 200, wa: 106.23, wm: 2.48, groupWidth: 112, seRatio: 0.25 },
  regnet_y_32gf: { depth: 20, w0: 232, wa: 115.89, wm: 2.53, groupWidth: 232, seRatio: 0.25 },
  regnet_y_128gf: { depth: 27, w0: 456, wa: 160.83, wm: 2.52, groupWidth: 264, seRatio: 0.25 },
  regnet_x_400mf: { depth: 22, w0: 24, wa: 24.48, wm: 2.54, groupWidth: 16 },
  regnet_x_800mf: { depth: 16, w0: 56, wa: 35.73, wm: 2.28, groupWidth: 16 },
  regnet_x_1_6gf: { depth: 18, w0: 80, wa: 34.01, wm: 2.25, groupWidth: 24 },
  regnet_x_3_2gf: { depth: 25, w0: 88, wa: 26.31, wm: 2.25, groupWidth: 48 },
  regnet_x_8gf: { depth: 23, w0: 80, wa: 49.56, wm: 2.88, groupWidth: 120 },
  regnet_x_16gf: { depth: 22, w0: 216, wa: 55.59, wm: 2.1, groupWidth: 128 },
  regnet_x_32gf: { depth: 23, w0: 320, wa: 69.86, wm: 2.0, groupWidth: 168 },
  // A small design for the numeric tests: three stages 8, 16, 32 wide.
  tiny: { depth: 3, w0: 8, wa: 8, wm: 2, groupWidth: 4, seRatio: 0.25 },
};
const tinyParams = () => regnetParams(DESIGNS.tiny);
const ARCHS = Object.keys(REGNET_DESIGNS) as RegNetArch[];

interface PyRegNet {
  params: Record<string, { depths: number[]; widths: number[]; group_widths: number[] }>;
  keys: Record<string, [string, number[]][]>;
  counts: Record<string, number>;
  seeded: Record<string, number[]>;
}

const parity = parityOracle({
  tiny: {
    pyBuild: `from torchvision.models.regnet import BlockParams, RegNet
m = RegNet(BlockParams.from_init_params(depth=3, w_0=8, w_a=8.0, w_m=2.0, group_width=4, se_ratio=0.25), stem_width=8, num_classes=10)`,
    inputShape: [2, 3, 32, 32],
  },
}, `
from torchvision.models.regnet import BlockParams, RegNet
params = {}
for name, d in inp['designs'].items():
    kw = {} if d.get('seRatio') is None else {'se_ratio': d['seRatio']}
    p = BlockParams.from_init_params(depth=d['depth'], w_0=d['w0'], w_a=d['wa'], w_m=d['wm'], group_width=d['groupWidth'], **kw)
    params[name] = {'depths': p.depths, 'widths': p.widths, 'group_widths': p.group_widths}
keys, counts = {}, {}
for arch in inp['archs']:
    m = getattr(torchvision.models, arch)()
    keys[arch] = [[k, list(v.shape)] for k, v in m.state_dict().items()]
    counts[arch] = sum(p.numel() for p in m.parameters())
torch.manual_seed(11)
t = inp['designs']['tiny']
m = RegNet(BlockParams.from_init_params(depth=3, w_0=8, w_a=8.0, w_m=2.0, group_width=4, se_ratio=0.25), stem_width=8, num_classes=10)
out({'params': params, 'keys': keys, 'counts': counts, 'seeded': {k: v.double().flatten().tolist() for k, v in m.state_dict().items()}})
`, { designs: DESIGNS, archs: ARCHS });
const oracle = (): PyRegNet => parity.extra<PyRegNet>();

test('RegNet stage widths, depths and group widths equal torchvision\'s BlockParams for all its designs', () => {
  for (const [name, d] of Object.entries(DESIGNS)) {
    const ours = regnetParams(d).stages;
    const theirs = oracle().params[name];
    assert.deepEqual(ours.map((s) => s.depth), theirs.depths, `${name} depths`);
    assert.deepEqual(ours.map((s) => s.width), theirs.widths, `${name} widths`);
    assert.deepEqual(ours.map((s) => s.groupWidth), theirs.group_widths, `${name} group widths`);
  }
});

test('regnet_y_400mf / 1_6gf / 3_2gf: state_dict keys, order, shapes and parameter counts equal torchvision', () => {
  for (const arch of ARCHS) {
    const m = new RegNet(arch);
    try {
      const ours = m.stateSlots().map(([k, , , t]) => [k, t.shape] as [string, number[]]);
      assert.deepEqual(ours, oracle().keys[arch], `${arch} keys and shapes`);
      assert.equal(m.countParameters(), oracle().counts[arch], `${arch} parameter count`);
    } finally {
      m.dispose();
    }
  }
});

test('after manualSeed a RegNet draws torchvision\'s initial weights', () => {
  torch.manualSeed(11);
  const m = new RegNet('tiny', { params: tinyParams(), stemWidth: 8, numClasses: 10 });
  try {
    const sd = m.stateDict();
    assert.deepEqual([...sd.keys()], Object.keys(oracle().seeded));
    for (const [k, t] of sd) assert.deepEqual(t.toArray(), oracle().seeded[k], k);
    torch.dispose(sd);
  } finally {
    m.dispose();
  }
});



test('a small RegNetY equals torchvision in eval and train mode, its gradients and one SGD step', () => {
  parity.check('tiny', () => new RegNet('tiny', { params: tinyParams(), stemWidth: 8, numClasses: 10 }));
});
