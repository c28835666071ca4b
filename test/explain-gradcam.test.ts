// Grad-CAM equals a PyTorch implementation with forward/backward hooks (Debian's torch and torchvision) on a
// tiny random resnet18: multi-class class logits at layer4 and layer3, and a binary model's positive class (its
// logit) and negative class (the negated logit).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import path from 'node:path';
import { manualSeed, randn, scope } from '../src/torch/index.js';
import { ImageClassifier, saveModelFile } from '../src/models/index.js';
import { camLayers, camTarget, defaultCamLayer, gradCam, type CamLayer } from '../src/explain/gradcam.js';
import { runPython } from './helpers/python.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';

const PY_GRADCAM = `
import torch, torchvision
torch.set_num_threads(2)
m = torchvision.models.resnet18()
k = inp['outputs']
m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(512, k))
m.load_state_dict(torch.load(inp['file'], weights_only=True))
m.eval()
x = torch.tensor(inp['x'], dtype=torch.float32).reshape(inp['shape'])
res = {}
for layer in inp['layers']:
    acts, grads = {}, {}
    mod = getattr(m, layer)
    h1 = mod.register_forward_hook(lambda _m, _i, o: acts.__setitem__('a', o))
    h2 = mod.register_full_backward_hook(lambda _m, _gi, go: grads.__setitem__('g', go[0]))
    m.zero_grad()
    logits = m(x)
    score = sum(s * logits[i, c] for i, (c, s) in enumerate(inp['targets']))
    score.backward()
    h1.remove(); h2.remove()
    a, g = acts['a'].detach(), grads['g']
    w = g.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((w * a).sum(dim=1, keepdim=True))
    up = torch.nn.functional.interpolate(cam, size=x.shape[2:], mode='bilinear', align_corners=False)[:, 0]
    lo = up.amin(dim=(1, 2), keepdim=True); hi = up.amax(dim=(1, 2), keepdim=True)
    res[layer] = ((up - lo) / (hi - lo + 1e-7)).flatten().tolist()
out(res)
`;

function compare(outputs: number, classes: number[], layers: CamLayer[]): void {
  const dir = tempDir();
  manualSeed(7);
  const model = new ImageClassifier({ arch: 'resnet18', outputs, activation: outputs === 1 ? 'sigmoid' : 'softmax' });
  try {
    const file = path.join(dir, 'model.pth');
    saveModelFile(file, model, { task: outputs === 1 ? 'binary' : 'multiclass', classes: outputs === 1 ? ['a', 'b'] : ['a', 'b', 'c'].slice(0, outputs), positiveClass: outputs === 1 ? 'b' : null, imageSize: 64 }, { format: 'pth' });
    const shape = [classes.length, 3, 64, 64];
    const x = randn(shape);
    const targets = classes.map((c) => camTarget(outputs, c));
    const ours = Object.fromEntries(layers.map((l) => [l, scope(() => {
      const r = gradCam(model, x, l, targets);
      assert.deepEqual(r.maps.shape, [classes.length, 64, 64]);
      return Array.from(r.maps.toFloat32Array());
    })]));
    const py = runPython<Record<string, number[]>>(PY_GRADCAM, {
      file, outputs, x: Array.from(x.toFloat32Array()), shape, layers, targets: targets.map((t) => [t.output, t.sign]),
    });
    x.dispose();
    for (const l of layers) {
      const a = ours[l]!;
      const b = py[l]!;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      assert.ok(worst <= 1e-4, `${l}: largest difference ${worst}`);
      assert.ok(Math.max(...a) > 0.99 && Math.min(...a) >= 0, `${l}: normalised to [0, 1]`);
    }
    // No parameter gradient was accumulated and the parameters' requires_grad is as it was.
    assert.ok(model.parameters().every((p) => p.grad === undefined && p.requiresGrad));
  } finally {
    model.dispose();
    removeTempDirs();
  }
}

test('Grad-CAM of class logits (multi-class, layer4 and layer3) equals PyTorch with hooks within 1e-4', () => {
  compare(3, [2, 0], ['layer4', 'layer3']);
});

test('Grad-CAM of a binary model: the logit for the positive class, its negation for the negative one, equals PyTorch', () => {
  compare(1, [1, 0], ['layer4']);
});

// Every family of the zoo: Grad-CAM takes the last feature map before the pooling by default (a ResNet's layer4),
// refuses a stage that is not a feature map naming those that are, and a ViT (tokens, no pooling stage) has none.
test('Grad-CAM on other families: the default layer is the last feature map; a ViT has none', () => {
  const mobile = new ImageClassifier({ arch: 'mobilenet_v3_small', outputs: 1 });
  const vit = new ImageClassifier({ arch: 'vit_b_16', outputs: 1, skipInit: true });
  try {
    assert.deepEqual(camLayers(new ImageClassifier({ arch: 'resnet18', outputs: 1, skipInit: true })), ['layer1', 'layer2', 'layer3', 'layer4']);
    const layer = defaultCamLayer(mobile);
    assert.equal(layer, 'features12');
    scope(() => {
      const x = randn([2, 3, 64, 64]);
      const { maps } = gradCam(mobile, x, layer!, [camTarget(1, 1), camTarget(1, 0)]);
      assert.deepEqual(maps.shape, [2, 64, 64]);
      assert.ok(maps.max().item() <= 1 && maps.min().item() >= 0);
      assert.throws(() => gradCam(mobile, x, 'layer4', [camTarget(1, 1), camTarget(1, 0)]), /"layer4" is not a feature-map stage of mobilenet_v3_small; choose one of features1, .*features12/);
    });
    assert.equal(defaultCamLayer(vit), null);
    assert.throws(() => scope(() => gradCam(vit, randn([1, 3, 224, 224]), 'layer4', [camTarget(1, 1)])), /vit_b_16 has none/);
  } finally {
    mobile.dispose();
    vit.dispose();
  }
});
