// ResNet parity with torchvision 0.14: state_dict keys/order/shapes and parameter counts for every arch,
// seeded initialisation, eval-mode logits from .pth and safetensors files written by Python, train-mode
// BatchNorm statistics, and running the network by stages.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as torch from '../src/torch/index.js';
import { readPth } from '../src/io/index.js';
import {
  ARCHS, RESNET_ARCHS, RESNET_FACTORIES, ResNet, BinaryClassifier, inferArch, recordsToTensors, stageOf, resnet18,
} from '../src/models/index.js';
import { runPython } from './helpers/python.js';
import { PY_MODELS, assertClose, readTensors, tempDir } from './models-helpers.js';

test('state_dict keys, order, shapes and parameter counts equal torchvision for resnet18..152', () => {
  const py = runPython<Record<string, { keys: [string, number[]][]; params: number }>>(PY_MODELS + `
res = {}
for arch in inp:
    m = getattr(torchvision.models, arch)()
    res[arch] = {'keys': [[k, list(v.shape)] for k, v in m.state_dict().items()], 'params': sum(p.numel() for p in m.parameters())}
out(res)
`, RESNET_ARCHS);
  for (const arch of RESNET_ARCHS) {
    const m = RESNET_FACTORIES[arch]();
    try {
      const ours = m.stateSlots().map(([k, , , t]) => [k, t.shape] as [string, number[]]);
      assert.deepEqual(ours, py[arch].keys, `${arch} state_dict keys and shapes`);
      assert.equal(m.countParameters(), py[arch].params, `${arch} parameter count`);
      assert.equal(ARCHS[arch].numParams, py[arch].params, `${arch} ARCHS table`);
      // The arch is recognised from keys and shapes alone.
      const records = new Map(py[arch].keys.map(([k, shape]) => [k, { dtype: 'float32' as const, shape, data: new Uint8Array(0) }]));
      assert.equal(inferArch(records), arch);
    } finally {
      m.dispose();
    }
  }
  assert.equal(ARCHS.resnet50.numParams, 25_557_032);
});

test('after manualSeed the initial weights equal torchvision\'s after torch.manual_seed (resnet18 and the seed head)', () => {
  const dir = tempDir('init');
  const file = path.join(dir, 'init.safetensors');
  runPython(PY_MODELS + `
torch.manual_seed(11)
st_write(inp, seed_model('resnet18').state_dict())
`, file);
  torch.manualSeed(11);
  const ours = new BinaryClassifier({ arch: 'resnet18' });
  const theirs = readTensors(file);
  try {
    const sd = ours.stateDict();
    assert.deepEqual([...sd.keys()], [...theirs.keys()]);
    for (const [k, t] of sd) assert.ok(t.equal(theirs.get(k)!), `${k} differs`);
    torch.dispose(sd);
  } finally {
    torch.dispose(theirs);
    ours.dispose();
  }
});

for (const arch of ['resnet18', 'resnet50'] as const) {
  test(`${arch}: eval-mode logits equal torchvision's for weights saved as .pth and safetensors`, () => {
    const dir = tempDir(arch);
    const io = runPython<{ keys: string[] }>(PY_MODELS + `
torch.manual_seed(3)
m = getattr(torchvision.models, inp['arch'])()
randomize_bn(m)
m.eval()
x = torch.randn(2, 3, 64, 64)
with torch.no_grad():
    y = m(x)
torch.save(m.state_dict(), inp['dir'] + '/w.pth')
st_write(inp['dir'] + '/w.safetensors', m.state_dict())
st_write(inp['dir'] + '/io.safetensors', {'x': x, 'y': y})
out({'keys': list(m.state_dict().keys())})
`, { arch, dir });
    const data = readTensors(path.join(dir, 'io.safetensors'));
    for (const file of ['w.pth', 'w.safetensors']) {
      const records = file.endsWith('.pth') ? readPth(path.join(dir, file)).tensors : undefined;
      const weights = records ? recordsToTensors(records) : readTensors(path.join(dir, file));
      const model = new ResNet(arch);
      try {
        assert.deepEqual([...weights.keys()], io.keys);
        model.loadStateDict(weights);
        model.eval();
        const y = torch.noGrad(() => model.forward(data.get('x')!));
        assertClose(y, data.get('y')!, `${arch} ${file} logits`);
        y.dispose();
      } finally {
        torch.dispose(weights);
        model.dispose();
      }
    }
    torch.dispose(data);
  });
}

test('resnet18 train-mode forward: outputs and BatchNorm running statistics equal PyTorch\'s', () => {
  const dir = tempDir('bn');
  runPython(PY_MODELS + `
torch.manual_seed(5)
m = torchvision.models.resnet18()
randomize_bn(m)
st_write(inp + '/before.safetensors', m.state_dict())
x = torch.randn(4, 3, 64, 64)
m.train()
y = m(x)
st_write(inp + '/after.safetensors', m.state_dict())
st_write(inp + '/io.safetensors', {'x': x, 'y': y.detach()})
`, dir);
  const before = readTensors(path.join(dir, 'before.safetensors'));
  const after = readTensors(path.join(dir, 'after.safetensors'));
  const data = readTensors(path.join(dir, 'io.safetensors'));
  const model = resnet18();
  try {
    model.loadStateDict(before);
    model.train();
    const y = model.forward(data.get('x')!);
    assertClose(y, data.get('y')!, 'train-mode logits');
    const sd = model.stateDict();
    let buffers = 0;
    for (const [k, t] of sd) {
      if (/running_(mean|var)$/.test(k)) {
        assertClose(t, after.get(k)!, k, 1e-5, 1e-4);
        buffers++;
      } else if (k.endsWith('num_batches_tracked')) {
        assert.equal(t.item(), after.get(k)!.item(), k);
        assert.equal(t.item(), 8);
      } else {
        assert.ok(t.equal(after.get(k)!), `${k} must not change in a forward pass`);
      }
    }
    assert.equal(buffers, 40);
    torch.dispose([sd, y]);
  } finally {
    torch.dispose([before, after, data]);
    model.dispose();
  }
});

test('forwardStages: a cached prefix plus the rest equals the whole forward; features; trainable stage', () => {
  torch.manualSeed(1);
  const model = new BinaryClassifier({ arch: 'resnet18' }).eval();
  try {
    torch.scope(() => {
      const x = torch.randn([2, 3, 64, 64]);
      const full = torch.noGrad(() => model.forward(x));
      const cached = torch.noGrad(() => model.forwardStages(x, 'stem', 'layer3'));
      assert.deepEqual(cached.shape, [2, 256, 4, 4]);
      const rest = torch.noGrad(() => model.forwardStages(cached, 'layer4', 'fc'));
      assert.ok(rest.allclose(full, 0, 0), 'prefix + rest equals forward');
      assert.deepEqual(full.shape, [2, 1]);
      const feats = torch.noGrad(() => model.features(x));
      assert.deepEqual(feats.shape, [2, 512]);
      const logits = torch.noGrad(() => model.classifier.forward(feats));
      assert.ok(logits.allclose(full, 0, 0), 'features → fc.1 gives the logits (Dropout is off in eval)');
      const p = model.predictProba(x);
      assert.ok(p.allclose(full.sigmoid(), 1e-6, 1e-7));
      assert.throws(() => model.forwardStages(x, 'layer4', 'layer1'), /comes after/);
      assert.throws(() => model.forwardStages(x, 'nope' as 'stem'), /unknown stage "nope"/);
      assert.throws(() => model.forward(torch.randn([2, 1, 64, 64])), /expected an image batch of shape \[N, 3, H, W\], got \[2, 1, 64, 64\]/);
    });
    assert.equal(model.firstTrainableStage(), 'stem');
    model.freeze();
    assert.equal(model.firstTrainableStage(), undefined);
    model.unfreeze(['layer4', 'fc']);
    assert.equal(model.firstTrainableStage(), 'layer4');
    assert.equal(stageOf('layer3.1.bn2.running_mean'), 'layer3');
    assert.equal(stageOf('bn1.weight'), 'stem');
    assert.throws(() => stageOf('head.weight'), /not the name of a ResNet parameter/);
    assert.equal(stageOf('fc.1.weight'), 'fc');
  } finally {
    model.dispose();
  }
});

test('predictProba restores each module\'s mode and frees its intermediates', () => {
  torch.manualSeed(2);
  const model = new BinaryClassifier({ arch: 'resnet18' });
  try {
    model.train();
    model.layer1.eval(); // a frozen part kept in eval mode, as the trainer does
    const x = torch.randn([1, 3, 32, 32]);
    const before = torch.memory().tensors;
    const p = model.predictProba(x);
    assert.equal(torch.memory().tensors, before + 1, 'only the result is left');
    assert.equal(model.training, true);
    assert.equal(model.layer1.training, false);
    assert.equal(model.layer2.training, true);
    const probs = model.probabilities(x);
    assert.equal(probs.length, 1);
    assert.ok(probs[0] > 0 && probs[0] < 1);
    torch.dispose([x, p]);
  } finally {
    model.dispose();
  }
});
