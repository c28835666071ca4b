// ViT against torchvision 0.14: vit_b_16's state_dict keys/shapes and parameter count, seeded initialisation,
// and a small VisionTransformer (32 px, patch 16, 2 layers, 2 heads, dropout and attention dropout drawn from the
// same seed) in eval mode (the fused attention under no_grad, the explicit one with grad) and train mode, with
// gradients and one SGD step; the MLP's pre-0.14 key names upgraded as torchvision's hook does.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as torch from '../src/torch/index.js';
import { VisionTransformer, upgradeViTKeys, type ViTConfig } from '../src/models/vit.js';
import { PY_NO_INIT, parityOracle } from './helpers/module-parity.js';

const SMALL: ViTConfig = { imageSize: 32, patchSize: 16, numLayers: 2, numHeads: 2, hiddenDim: 16, mlpDim: 32, dropout: 0.1, attentionDropout: 0.1 };
const PY_SMALL = `from torchvision.models.vision_transformer import VisionTransformer
m = VisionTransformer(image_size=32, patch_size=16, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32, dropout=0.1, attention_dropout=0.1, num_classes=10)`;
const small = (): VisionTransformer => new VisionTransformer('small', { config: SMALL, numClasses: 10 });

interface PyViT {
  keys: [string, number[]][];
  count: number;
  seeded: Record<string, number[]>;
}
const parity = parityOracle({ small: { pyBuild: PY_SMALL, inputShape: [2, 3, 32, 32], trainSeed: 9 } }, `
torch.manual_seed(11)
${PY_SMALL}
seeded = {k: v.double().flatten().tolist() for k, v in m.state_dict().items()}
${PY_NO_INIT}
m = torchvision.models.vit_b_16()
out({'keys': [[k, list(v.shape)] for k, v in m.state_dict().items()], 'count': sum(p.numel() for p in m.parameters()), 'seeded': seeded})
`);
const oracle = (): PyViT => parity.extra<PyViT>();

test('vit_b_16: state_dict keys, order, shapes and parameter count equal torchvision', () => {
  const m = new VisionTransformer('vit_b_16', { skipInit: true });
  try {
    assert.deepEqual(m.stateSlots().map(([k, , , t]) => [k, t.shape]), oracle().keys);
    assert.equal(m.countParameters(), oracle().count);
  } finally {
    m.dispose();
  }
});

test('after manualSeed a VisionTransformer draws torchvision\'s initial weights', () => {
  torch.manualSeed(11);
  const m = small();
  try {
    const sd = m.stateDict();
    assert.deepEqual([...sd.keys()], Object.keys(oracle().seeded));
    for (const [k, t] of sd) {
      // conv_proj's trunc_normal_ bounds come from erf (see init.truncNormal_): equal to float32 rounding.
      const want = oracle().seeded[k];
      t.toArray().forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-7 * Math.max(1, Math.abs(want[i])), `${k}[${i}]: ${v} vs ${want[i]}`));
    }
    torch.dispose(sd);
  } finally {
    m.dispose();
  }
});

test('a small VisionTransformer equals torchvision in eval and train mode (dropouts from the same seed), gradients and one SGD step', () => {
  parity.check('small', small);
});

test('a ViT image of the wrong size is refused naming the size the position embedding fixes', () => {
  const m = small();
  try {
    torch.scope(() => assert.throws(() => m.forward(torch.zeros([1, 3, 48, 48])), /takes 32×32 images \(its position embedding has 5 tokens\), got 48×48/));
  } finally {
    m.dispose();
  }
});

test('pre-0.14 MLP keys (mlp.linear_1 / mlp.linear_2) are renamed mlp.0 / mlp.3 as torchvision\'s upgrade hook does', () => {
  const old = new Map([['encoder.layers.encoder_layer_3.mlp.linear_1.weight', 1], ['encoder.layers.encoder_layer_3.mlp.linear_2.bias', 2], ['heads.head.weight', 3]]);
  assert.deepEqual([...upgradeViTKeys(old).keys()], ['encoder.layers.encoder_layer_3.mlp.0.weight', 'encoder.layers.encoder_layer_3.mlp.3.bias', 'heads.head.weight']);
});
