// Model files: the seed's plain .pth state_dict (written by PyTorch) loads and predicts as PyTorch does; files
// written here (.pth and safetensors) load in PyTorch with weights_only=True and strict load_state_dict into
// the seed's model and give the same outputs; metadata round-trips and is validated; bad files fail by name.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../src/torch/index.js';
import { readSafetensors, saveCheckpoint, writeSafetensors } from '../src/io/index.js';
import {
  BinaryClassifier, loadModelFile, moduleToRecords, saveModelFile, seedMetadata, tensorsToRecords,
} from '../src/models/index.js';
import { runPython } from './helpers/python.js';
import { PY_MODELS, assertClose, readTensors, tempDir } from './models-helpers.js';

test('the seed\'s resnet50 .pth state_dict loads (also with a DataParallel prefix) and predicts PyTorch\'s probabilities', () => {
  const dir = tempDir('seed');
  runPython(PY_MODELS + `
torch.manual_seed(4)
m = seed_model('resnet50')
randomize_bn(m)
torch.save(m.state_dict(), inp + '/seed.pth')
torch.save(collections.OrderedDict(('module.' + k, v) for k, v in m.state_dict().items()), inp + '/seed_dp.pth')
m.eval()
x = torch.randn(2, 3, 64, 64)
with torch.no_grad():
    p = m(x)
st_write(inp + '/io.safetensors', {'x': x, 'p': p})
`, dir);
  const data = readTensors(path.join(dir, 'io.safetensors'));
  try {
    for (const file of ['seed.pth', 'seed_dp.pth']) {
      const { model, metadata, format, fromTlearn } = loadModelFile(path.join(dir, file));
      try {
        assert.equal(format, 'pth');
        assert.equal(fromTlearn, false);
        assert.deepEqual(metadata, seedMetadata('resnet50'));
        assert.equal(model.arch, 'resnet50');
        assert.equal(model.training, false, 'returned in eval mode');
        const p = model.predictProba(data.get('x')!);
        assertClose(p, data.get('p')!, `${file} probabilities`, 1e-5, 1e-4);
        p.dispose();
      } finally {
        model.dispose();
      }
    }
    // Options fill in what a plain state_dict cannot say; the arch is checked against the weights.
    const { model, metadata } = loadModelFile(path.join(dir, 'seed.pth'), { imageSize: 160, classes: ['cat', 'dog'], arch: 'resnet50' });
    model.dispose();
    assert.equal(metadata.imageSize, 160);
    assert.deepEqual(metadata.classes, ['cat', 'dog']);
    assert.equal(metadata.positiveClass, 'dog');
    assert.throws(() => loadModelFile(path.join(dir, 'seed.pth'), { arch: 'resnet18' }), /seed\.pth: holds a resnet50 model, not the requested resnet18/);
  } finally {
    torch.dispose(data);
  }
});

test('checkpoints written here load in PyTorch (weights_only, strict, the seed\'s model) with the same outputs', () => {
  const dir = tempDir('save');
  torch.manualSeed(9);
  const model = new BinaryClassifier({ arch: 'resnet50' });
  const x = torch.randn([2, 3, 64, 64]);
  try {
    // Non-trivial BatchNorm statistics: one training-mode pass updates every running mean/var.
    torch.noGrad(() => torch.scope(() => model.train().forward(torch.randn([4, 3, 64, 64]))));
    const p = model.predictProba(x);
    writeSafetensors(path.join(dir, 'io.safetensors'), tensorsToRecords(new Map([['x', x], ['p', p]])));
    p.dispose();
    const meta = {
      classes: ['ankle_boot', 'sneaker'] as [string, string], imageSize: 64, resize: 'crop' as const, threshold: 0.42,
      phase: 'phase2', epoch: 3, metrics: { val_auc: 0.93, val_loss: Number.NaN }, weights: 'imagenet', createdAt: '2026-01-02T03:04:05.000Z',
    };
    const written = saveModelFile(path.join(dir, 'model.pth'), model, meta);
    saveModelFile(path.join(dir, 'model.safetensors'), model, meta);
    assert.equal(written.arch, 'resnet50');
    assert.equal(written.positiveClass, 'sneaker');
    assert.match(written.toolVersion, /^\d+\.\d+\.\d+/);

    const py = runPython<Record<string, { keys: string[]; p: number[]; meta: Record<string, unknown> }>>(PY_MODELS + `
res = {}
io_t, _, _ = st_read(inp + '/io.safetensors')
for name in ['model.pth', 'model.safetensors']:
    if name.endswith('.pth'):
        sd = torch.load(inp + '/' + name, weights_only=True)
        meta = json.loads(getattr(sd, 'tlearn_metadata'))
    else:
        sd, meta, _ = st_read(inp + '/' + name)
        meta = {k: json.loads(v) for k, v in meta.items()}
    m = seed_model('resnet50')
    m.load_state_dict(sd, strict=True)
    m.eval()
    with torch.no_grad():
        p = m(io_t['x'])
    res[name] = {'keys': list(sd.keys()), 'p': p.flatten().tolist(), 'meta': meta}
out(res)
`, dir);
    const keys = [...model.stateDict({ keepVars: true }).keys()];
    const expected = readTensors(path.join(dir, 'io.safetensors'));
    for (const [name, r] of Object.entries(py)) {
      // .pth keeps torch's order; safetensors writers sort by dtype alignment and name (the format has no order).
      if (name.endsWith('.pth')) assert.deepEqual(r.keys, keys, `${name}: keys and order`);
      else assert.deepEqual([...r.keys].sort(), [...keys].sort(), `${name}: keys`);
      assertClose(torch.tensor(r.p, { shape: [2, 1] }), expected.get('p')!, `${name}: PyTorch's probabilities`, 1e-5, 1e-4);
      assert.deepEqual(r.meta.classes, ['ankle_boot', 'sneaker']);
      assert.equal((r.meta.metrics as Record<string, unknown>).val_loss, null, 'NaN is stored as null');
      // And back here: the same metadata and the same predictions.
      const loaded = loadModelFile(path.join(dir, name));
      try {
        assert.equal(loaded.fromTlearn, true);
        assert.deepEqual(loaded.metadata, { ...written, metrics: { val_auc: 0.93, val_loss: null } });
        const p2 = loaded.model.predictProba(x);
        assert.ok(p2.allclose(expected.get('p')!, 0, 0), `${name}: reloaded predictions are identical`);
        p2.dispose();
        assert.throws(() => loadModelFile(path.join(dir, name), { imageSize: 224 }), /was trained with imageSize 64; 224 was given/);
        if (name.endsWith('.pth')) {
          assert.doesNotThrow(() => loadModelFile(path.join(dir, name), { imageSize: 64, classes: ['ankle_boot', 'sneaker'] }).model.dispose());
        }
      } finally {
        loaded.model.dispose();
      }
    }
    torch.dispose(expected);
  } finally {
    x.dispose();
    model.dispose();
  }
});

test('bad model files fail with messages naming the file, the key and the problem', () => {
  const dir = tempDir('bad');
  runPython(PY_MODELS + `
torch.save(torchvision.models.resnet18().state_dict(), inp + '/imagenet18.pth')
`, dir);
  assert.throws(() => loadModelFile(path.join(dir, 'imagenet18.pth')),
    /imagenet18\.pth: this is a ResNet with a 1000-class Linear head \(fc\.weight \[1000, 512\]\), not a binary classifier.*--weights/);

  torch.manualSeed(0);
  const model = new BinaryClassifier({ arch: 'resnet18' });
  try {
    const records = moduleToRecords(model);
    const good = path.join(dir, 'good.safetensors');
    saveModelFile(good, model, {});

    const missing = new Map(records);
    missing.delete('layer2.1.bn1.running_var');
    saveCheckpoint(path.join(dir, 'missing.safetensors'), missing, {});
    assert.throws(() => loadModelFile(path.join(dir, 'missing.safetensors')), /missing\.safetensors: .*Missing key\(s\).*"layer2\.1\.bn1\.running_var"/s);

    const wrong = new Map(records);
    wrong.set('layer1.0.conv2.weight', { dtype: 'float32', shape: [64, 64, 1, 1], data: new Uint8Array(64 * 64 * 4) });
    saveCheckpoint(path.join(dir, 'wrong.safetensors'), wrong, {});
    assert.throws(() => loadModelFile(path.join(dir, 'wrong.safetensors')), /wrong\.safetensors: .*layer1\.0\.conv2\.weight.*\[64,64,1,1\].*\[64,64,3,3\]/s);

    const extra = new Map(records);
    extra.set('fc.3.weight', records.get('fc.1.bias')!);
    saveCheckpoint(path.join(dir, 'extra.safetensors'), extra, {});
    assert.throws(() => loadModelFile(path.join(dir, 'extra.safetensors')), /extra\.safetensors: .*Unexpected key\(s\).*"fc\.3\.weight"/s);

    const st = readSafetensors(good);
    const meta = { kind: 'tlearn.binary-classifier', arch: 'resnet18', imageSize: 'big' };
    saveCheckpoint(path.join(dir, 'badmeta.safetensors'), st.tensors, meta);
    assert.throws(() => loadModelFile(path.join(dir, 'badmeta.safetensors')), /checkpoint metadata imageSize "big" must be an integer ≥ 32 and ≤ 4096: .*badmeta\.safetensors/);
    saveCheckpoint(path.join(dir, 'archmeta.safetensors'), st.tensors, { kind: 'tlearn.binary-classifier', arch: 'resnet34' });
    assert.throws(() => loadModelFile(path.join(dir, 'archmeta.safetensors')), /metadata says arch 'resnet34' but the weights are those of resnet18/);
    saveCheckpoint(path.join(dir, 'pos.safetensors'), st.tensors, { kind: 'tlearn.binary-classifier', classes: ['a', 'b'], positiveClass: 'a' });
    assert.throws(() => loadModelFile(path.join(dir, 'pos.safetensors')), /checkpoint metadata positiveClass "a" must be the second of classes \["a","b"\]/);

    fs.writeFileSync(path.join(dir, 'junk.pth'), 'not a model');
    assert.throws(() => loadModelFile(path.join(dir, 'junk.pth')), /junk\.pth/);
    assert.throws(() => loadModelFile(path.join(dir, 'absent.pth')), /absent\.pth/);
    assert.throws(() => saveModelFile(path.join(dir, 'x.safetensors'), model, { arch: 'resnet50' }), /metadata arch 'resnet50' differs from the model's resnet18/);
  } finally {
    model.dispose();
  }
});
