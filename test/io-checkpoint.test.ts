import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  checkpointFormatFor, decodeSafetensorsMetadata, detectCheckpointFormat, encodeSafetensorsMetadata, loadCheckpoint,
  saveCheckpoint, sidecarPath,
} from '../src/io/checkpoint.js';
import { fromTypedArray, type RawTensor, type StateDictRecords } from '../src/io/dtypes.js';
import { adaptToTorchvision, transformersKeyToTorchvision } from '../src/io/key-adapters.js';
import { runPython } from './helpers/python.js';
import { describeAll, PY_PRELUDE, tempDir } from './io-helpers.js';

function records(): StateDictRecords {
  return new Map<string, RawTensor>([
    ['fc.1.weight', fromTypedArray('float32', [1, 4], Float32Array.of(0.5, -1, 2, 0))],
    ['fc.1.bias', fromTypedArray('float32', [1], Float32Array.of(0.25))],
    ['bn1.num_batches_tracked', fromTypedArray('int64', [], BigInt64Array.of(9n))],
  ]);
}
const META = { imageSize: 224, classes: ['cat', 'dog'], positiveClass: 'dog', threshold: 0.5, mean: [0.485, 0.456, 0.406], label: 'x' };

test('checkpoint: save/load in both formats keeps tensors and metadata; format from extension and content', () => {
  const dir = tempDir('ckpt');
  for (const ext of ['.safetensors', '.pth', '.pt', '.bin']) {
    const f = path.join(dir, `model${ext}`);
    saveCheckpoint(f, records(), META);
    const c = loadCheckpoint(f);
    assert.equal(c.format, ext === '.safetensors' ? 'safetensors' : 'pth');
    assert.deepEqual(describeAll(c.tensors), describeAll(records()));
    assert.deepEqual(c.metadata, META);
  }
  // Content wins over a misleading extension.
  fs.copyFileSync(path.join(dir, 'model.pth'), path.join(dir, 'really-a-pth.safetensors'));
  assert.equal(loadCheckpoint(path.join(dir, 'really-a-pth.safetensors')).format, 'pth');
  assert.equal(detectCheckpointFormat(fs.readFileSync(path.join(dir, 'model.safetensors'))), 'safetensors');
  assert.throws(() => checkpointFormatFor('model.h5'), /model\.h5: unknown checkpoint extension/);
  assert.throws(() => saveCheckpoint(path.join(dir, 'm.onnx'), records()), /unknown checkpoint extension/);
  assert.throws(() => loadCheckpoint(path.join(dir, 'missing.pth')), /cannot read checkpoint .*missing\.pth: ENOENT/);
  fs.writeFileSync(path.join(dir, 'junk.dat'), 'junk junk junk');
  assert.throws(() => loadCheckpoint(path.join(dir, 'junk.dat')), /junk\.dat: not a checkpoint tlearn can read/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('checkpoint: safetensors metadata values are JSON strings; other writers\' plain strings stay strings', () => {
  const enc = encodeSafetensorsMetadata({ a: 'text', b: 3, c: [1, 'x'], d: undefined });
  assert.deepEqual(enc, { a: '"text"', b: '3', c: '[1,"x"]' });
  assert.deepEqual(decodeSafetensorsMetadata({ ...enc, format: 'pt' }), { a: 'text', b: 3, c: [1, 'x'], format: 'pt' });
});

test('checkpoint: sidecar JSON is written on request and merged under the file\'s own metadata', () => {
  const dir = tempDir('side');
  const f = path.join(dir, 'seed.pth');
  saveCheckpoint(f, records(), {}, { sidecar: true });
  assert.equal(fs.readFileSync(sidecarPath(f), 'utf8'), '{}\n');
  fs.writeFileSync(sidecarPath(f), JSON.stringify({ classes: ['a', 'b'], imageSize: 160 }));
  assert.deepEqual(loadCheckpoint(f).metadata, { classes: ['a', 'b'], imageSize: 160 });
  const g = path.join(dir, 'own.pth');
  saveCheckpoint(g, records(), { imageSize: 224 });
  fs.writeFileSync(sidecarPath(g), JSON.stringify({ imageSize: 100, extra: true }));
  assert.deepEqual(loadCheckpoint(g).metadata, { imageSize: 224, extra: true });
  fs.writeFileSync(sidecarPath(g), '{oops');
  assert.throws(() => loadCheckpoint(g), /own\.pth\.json: metadata sidecar is not valid JSON/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('checkpoint: a .pth with metadata still loads with weights_only=True into a strict module', () => {
  const dir = tempDir('ckpt-py');
  const f = path.join(dir, 'head.pth');
  const recs = new Map<string, RawTensor>([
    ['1.weight', fromTypedArray('float32', [1, 4], Float32Array.of(0.5, -1, 2, 0))],
    ['1.bias', fromTypedArray('float32', [1], Float32Array.of(0.25))],
  ]);
  saveCheckpoint(f, recs, META);
  const py = runPython<any>(PY_PRELUDE + `
sd = torch.load(inp, weights_only=True)
m = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(4, 1), torch.nn.Sigmoid())
r = m.load_state_dict(sd, strict=True)
m.eval()
out({'r': str(r), 'y': m(torch.tensor([[1.0, 1.0, 1.0, 1.0]])).item(), 'meta': json.loads(sd.tlearn_metadata)})
`, f);
  assert.equal(py.r, '<All keys matched successfully>');
  assert.ok(Math.abs(py.y - 1 / (1 + Math.exp(-1.75))) < 1e-6);
  assert.deepEqual(py.meta, META);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('key adapters: transformers ResNet names map to torchvision; prefixes are stripped', () => {
  assert.equal(transformersKeyToTorchvision('resnet.embedder.embedder.convolution.weight'), 'conv1.weight');
  assert.equal(transformersKeyToTorchvision('resnet.embedder.embedder.normalization.running_var'), 'bn1.running_var');
  assert.equal(transformersKeyToTorchvision('resnet.encoder.stages.0.layers.0.shortcut.convolution.weight'), 'layer1.0.downsample.0.weight');
  assert.equal(transformersKeyToTorchvision('resnet.encoder.stages.3.layers.2.shortcut.normalization.bias'), 'layer4.2.downsample.1.bias');
  assert.equal(transformersKeyToTorchvision('resnet.encoder.stages.1.layers.3.layer.2.convolution.weight'), 'layer2.3.conv3.weight');
  assert.equal(transformersKeyToTorchvision('resnet.encoder.stages.2.layers.5.layer.0.normalization.num_batches_tracked'), 'layer3.5.bn1.num_batches_tracked');
  assert.equal(transformersKeyToTorchvision('classifier.1.weight'), 'fc.weight');
  assert.equal(transformersKeyToTorchvision('pooler.x'), undefined);

  const t = fromTypedArray('float32', [1], Float32Array.of(1));
  const hf = new Map([
    ['resnet.embedder.embedder.convolution.weight', t],
    ['resnet.encoder.stages.0.layers.0.layer.0.convolution.weight', t],
    ['classifier.1.bias', t],
    ['something.else', t],
  ]);
  const a = adaptToTorchvision(hf);
  assert.equal(a.layout, 'transformers');
  assert.deepEqual([...a.tensors.keys()], ['conv1.weight', 'layer1.0.conv1.weight', 'fc.bias', 'something.else']);
  assert.deepEqual(a.unmapped, ['something.else']);

  const dp = adaptToTorchvision(new Map([['module.conv1.weight', t], ['module.fc.bias', t]]));
  assert.deepEqual([dp.layout, dp.strippedPrefix, [...dp.tensors.keys()]], ['torchvision', 'module.', ['conv1.weight', 'fc.bias']]);
  const lightning = adaptToTorchvision(new Map([['model.backbone.conv1.weight', t], ['model.backbone.layer1.0.conv1.weight', t]]));
  assert.deepEqual([lightning.strippedPrefix, [...lightning.tensors.keys()]], ['model.backbone.', ['conv1.weight', 'layer1.0.conv1.weight']]);
  const tv = adaptToTorchvision(new Map([['conv1.weight', t], ['fc.weight', t]]));
  assert.deepEqual([tv.layout, tv.strippedPrefix], ['torchvision', '']);
  assert.equal(adaptToTorchvision(new Map([['x', t]])).layout, 'unknown');
});
