// The backbone zoo against torchvision 0.14 (Debian's): EfficientNet B0-B3/V2-S and MobileNetV3 small/large have
// torchvision's state_dict keys, shapes and parameter counts and are recognised from keys alone; the smallest of
// each family, with the task's head at the family's place, draws the same initial weights after the same seed,
// gives the same logits in eval and train mode (stochastic depth, dropout), the same gradients and BatchNorm
// updates after one step, is saved as .pth and safetensors that PyTorch loads with the documented head (strict)
// and predicts identically, is loaded back from a plain PyTorch state_dict, and its phase-2 alias and
// frozen-prefix split select what they should.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as torch from '../src/torch/index.js';
import {
  ARCH_INFO, BinaryClassifier, expandTrainable, familyInfo, inferArch, loadModelFile, saveModelFile, type Arch,
} from '../src/models/index.js';
import { applyTrainable } from '../src/train/index.js';
import { cacheStageFor, nextStage } from '../src/train/plan.js';
import { runPython } from './helpers/python.js';
import { PY_MODELS, assertClose, readTensors, tempDir } from './models-helpers.js';

const ZOO: Arch[] = ['efficientnet_b0', 'efficientnet_b1', 'efficientnet_b2', 'efficientnet_b3', 'efficientnet_v2_s', 'mobilenet_v3_small', 'mobilenet_v3_large'];

test('state_dict keys, shapes and parameter counts equal torchvision for EfficientNet B0-B3/V2-S and MobileNetV3; the arch is recognised from the keys', () => {
  const py = runPython<Record<string, { keys: [string, number[]][]; params: number }>>(PY_MODELS + `
res = {}
for arch in inp:
    m = getattr(torchvision.models, arch)()
    res[arch] = {'keys': [[k, list(v.shape)] for k, v in m.state_dict().items()], 'params': sum(p.numel() for p in m.parameters())}
out(res)
`, ZOO);
  for (const arch of ZOO) {
    const m = new BinaryClassifier({ arch });
    try {
      // The task's head replaces torchvision's final Linear at the same place: <headPath>.1.weight instead of <headPath>.weight.
      const head = familyInfo(arch).headPath;
      const theirs = py[arch].keys.filter(([k]) => !k.startsWith(`${head}.`));
      const ours = m.stateSlots().map(([k, , , t]) => [k, t.shape] as [string, number[]]);
      assert.deepEqual(ours.filter(([k]) => !k.startsWith(`${head}.`)), theirs, `${arch} backbone keys and shapes`);
      assert.deepEqual(ours.filter(([k]) => k.startsWith(`${head}.`)).map(([k]) => k), [`${head}.1.weight`, `${head}.1.bias`]);
      const linear = py[arch].keys.find(([k]) => k === `${head}.weight`)![1];
      assert.equal(m.numFeatures, linear[1], `${arch} head input width`);
      assert.equal(m.countParameters() - (m.numFeatures + 1) + linear[0] * (linear[1] + 1), py[arch].params, `${arch} parameter count`);
      assert.equal(ARCH_INFO[arch].numParams, py[arch].params, `${arch} ARCH_INFO`);
      const records = new Map(py[arch].keys.map(([k, shape]) => [k, { dtype: 'float32' as const, shape, data: new Uint8Array(0) }]));
      assert.equal(inferArch(records), arch, `${arch} recognised from its keys`);
    } finally {
      m.dispose();
    }
  }
});

// The documented head for PyTorch users, and the family Dropout before it at p = 0 (as tlearn builds it).
const PY_FAMILY = PY_MODELS + `
import torch.nn as nn
def build(arch):
    m = getattr(torchvision.models, arch)()
    i = 1 if arch.startswith('efficientnet') else 3
    m.classifier[i] = nn.Sequential(nn.Dropout(0.5), nn.Linear(m.classifier[i].in_features, 1), nn.Sigmoid())
    m.classifier[i - 1].p = 0
    return m, i
`;

for (const arch of ['efficientnet_b0', 'mobilenet_v3_small'] as const) {
  test(`${arch}: seeded init, eval and train logits, gradients and BatchNorm updates equal torchvision's`, () => {
    const dir = tempDir(arch);
    const py = runPython<{ lastStage: string[] }>(PY_FAMILY + `
torch.manual_seed(5)
m, i = build(inp['arch'])
st_write(inp['dir'] + '/init.safetensors', m.state_dict())
randomize_bn(m)
torch.save(m.state_dict(), inp['dir'] + '/w.pth')
st_write(inp['dir'] + '/w.safetensors', m.state_dict())
m.classifier[i][2] = nn.Identity()  # logits
x = torch.randn(2, 3, 64, 64)
m.eval()
with torch.no_grad():
    y_eval = m(x)
    p_eval = torch.sigmoid(y_eval)
m.train()
torch.manual_seed(7)
y_train = m(x)
loss = nn.functional.binary_cross_entropy_with_logits(y_train, torch.tensor([[1.0], [0.0]]))
loss.backward()
io = {'x': x, 'y_eval': y_eval, 'p_eval': p_eval, 'y_train': y_train.detach()}
for k, p in m.named_parameters():
    io['grad.' + k] = p.grad
for k, b in m.named_buffers():
    io['buf.' + k] = b
st_write(inp['dir'] + '/io.safetensors', io)
st_write(inp['dir'] + '/x.safetensors', {'x': x})
# What the phase-2 alias should select: the last stage's modules and the head.
names = [k for k, _ in m.named_parameters() if any(k.startswith(p + '.') for p in inp['lastStage'] + ['classifier.%d' % i])]
out({'lastStage': names})
`, { arch, dir, lastStage: ARCH_INFO[arch].lastStage });

    torch.manualSeed(5);
    const model = new BinaryClassifier({ arch });
    const io = readTensors(path.join(dir, 'io.safetensors'));
    try {
      const init = readTensors(path.join(dir, 'init.safetensors'));
      const sd = model.stateDict();
      assert.deepEqual([...sd.keys()], [...init.keys()]);
      for (const [k, t] of sd) assert.ok(t.equal(init.get(k)!), `${arch} initial ${k} differs`);
      torch.dispose([...sd.values(), ...init.values()]);

      const weights = readTensors(path.join(dir, 'w.safetensors'));
      model.loadStateDict(weights);
      torch.dispose(weights);
      const x = io.get('x')!;
      model.eval();
      torch.scope(() => assertClose(torch.noGrad(() => model.forward(x)), io.get('y_eval')!, `${arch} eval logits`, 1e-5, 1e-5));

      model.train();
      torch.manualSeed(7);
      torch.scope(() => {
        const y = model.forward(x);
        assertClose(y.detach(), io.get('y_train')!, `${arch} train logits`, 1e-5, 1e-5);
        torch.F.binaryCrossEntropyWithLogits(y, torch.tensor([[1], [0]], { dtype: 'float32' })).backward();
      });
      const grads = model.namedParameters();
      for (const [k, p] of grads) {
        const g = io.get(`grad.${k}`)!;
        const scale = torch.scope(() => g.abs().amax().item());
        assertClose(p.grad!, g, `${arch} grad ${k}`, 1e-5 * Math.max(scale, 1e-3), 1e-4);
      }
      for (const [k, b] of model.namedBuffers()) {
        if (b.dtype === 'float32') assertClose(b, io.get(`buf.${k}`)!, `${arch} buffer ${k}`, 1e-6, 1e-5);
        else assert.equal(b.item(), io.get(`buf.${k}`)!.item(), `${arch} ${k}`);
      }

      // The phase-2 alias: exactly the last stage's parameters and the head's.
      const trainable = expandTrainable(['last_stage', 'head'], arch);
      assert.deepEqual(applyTrainable(model, trainable), py.lastStage);
      // The frozen-prefix cache: the input of the first trainable stage, then the rest, equals the whole forward.
      const on = { bnPolicy: 'eval' as const, viewsCacheable: true, enabled: true };
      for (const t of [['head'], trainable]) {
        const stage = cacheStageFor(model, expandTrainable(t, arch), on)!;
        assert.ok(stage, `${arch} ${t}: a cacheable prefix`);
        model.eval();
        torch.scope(() => torch.noGrad(() => {
          const mid = model.forwardStages(x, undefined, stage);
          const rest = model.forwardStages(mid, nextStage(stage, model.stages));
          assert.ok(rest.equal(model.forward(x)), `${arch}: cached prefix (${stage}) + rest equals the forward`);
        }));
      }
      assert.equal(cacheStageFor(model, expandTrainable(['head'], arch), on), arch === 'efficientnet_b0' ? 'pool' : 'prehead');
    } finally {
      torch.dispose(io);
      model.dispose();
    }

    // A plain PyTorch state_dict (.pth) is recognised and predicts as PyTorch does; tlearn's files load in PyTorch.
    const loaded = loadModelFile(path.join(dir, 'w.pth'));
    const io2 = readTensors(path.join(dir, 'io.safetensors'));
    try {
      assert.equal(loaded.model.arch, arch);
      torch.scope(() => assertClose(loaded.model.predictProba(io2.get('x')!), io2.get('p_eval')!, `${arch} probabilities from the .pth`, 1e-5, 1e-5));
      for (const ext of ['pth', 'safetensors']) saveModelFile(path.join(dir, `ours.${ext}`), loaded.model);
    } finally {
      torch.dispose(io2);
      loaded.model.dispose();
    }
    // PyTorch loads tlearn's files into the documented model (strict) and predicts the same probabilities.
    const back = runPython<number[][][]>(PY_FAMILY + `
x = st_read(inp['dir'] + '/x.safetensors')[0]['x']
res = []
for ext in ['pth', 'safetensors']:
    m, i = build(inp['arch'])
    f = inp['dir'] + '/ours.' + ext
    m.load_state_dict(torch.load(f, weights_only=True) if ext == 'pth' else st_read(f)[0], strict=True)
    m.eval()
    with torch.no_grad():
        res.append(m(x).tolist())
out(res)
`, { arch, dir });
    const expected = readTensors(path.join(dir, 'io.safetensors'));
    try {
      const p = expected.get('p_eval')!.toArray();
      for (const probs of back) probs.flat().forEach((v, i) => assert.ok(Math.abs(v - p[i]!) <= 1e-6, `${arch}: PyTorch on tlearn's file: ${v} vs ${p[i]}`));
    } finally {
      torch.dispose(expected);
    }
  });
}
