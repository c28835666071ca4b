// Non-finite models: weights holding NaN or inf are refused where a model is read (a model file, pretrained
// weights, a checkpoint to export), naming the first such tensor by its state_dict key and saying NaN or inf;
// finite weights whose forward pass overflows to NaN are reported as such, not as unreadable images.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadCheckpoint } from '../src/io/index.js';
import {
  BinaryClassifier, checkCheckpointContents, loadBackboneFromFile, loadModelFile, moduleToRecords, NonFiniteWeightsError,
} from '../src/models/index.js';
import { saveCheckpoint } from '../src/io/index.js';
import { predictItems } from '../src/eval/predict.js';
import { memory } from '../src/torch/index.js';
import { forgeModelFile, OVERFLOWING } from './helpers/forged-models.js';
import { tinyModelFile } from './helpers/model-files.js';
import { runPython } from './helpers/python.js';
import { PY_MODELS, tempDir } from './models-helpers.js';

const dir = tempDir('finite');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const good = tinyModelFile(dir);
const at = (name: string) => path.join(dir, name);

test('a model file whose weights hold NaN or inf is refused, naming the first such tensor and which', () => {
  // Two bad tensors: the first in state_dict order is named (layer4 comes before fc).
  forgeModelFile(good, at('nan.safetensors'), { tensors: { 'fc.1.bias': Infinity, 'layer4.1.conv2.weight': (v) => { v[7] = NaN; } } });
  assert.throws(() => loadModelFile(at('nan.safetensors')), (e: Error) => {
    assert.ok(e instanceof NonFiniteWeightsError);
    assert.equal(e.key, 'layer4.1.conv2.weight');
    assert.equal(e.value, 'NaN');
    assert.match(e.message, /nan\.safetensors: weights contain NaN: layer4\.1\.conv2\.weight\b/);
    return true;
  });
  // A buffer counts too (running statistics are part of the state_dict), and -inf is inf.
  forgeModelFile(good, at('inf.pth'), { tensors: { 'bn1.running_var': (v) => { v[0] = -Infinity; } } });
  assert.throws(() => loadModelFile(at('inf.pth')), /inf\.pth: weights contain inf: bn1\.running_var\b/);
  // NaN and inf in one tensor: NaN is named (it is what spreads to every output).
  forgeModelFile(good, at('both.safetensors'), { tensors: { 'conv1.weight': (v) => { v[0] = Infinity; v[5] = NaN; } } });
  assert.throws(() => loadModelFile(at('both.safetensors')), /weights contain NaN: conv1\.weight\b/);
  // Huge but finite weights load (their output is checked after the forward pass instead).
  loadModelFile(forgeModelFile(good, at('huge.safetensors'), { tensors: OVERFLOWING })).model.dispose();
});

test('a PyTorch-written .pth state_dict with NaN (DataParallel prefix) is refused by its state_dict key', () => {
  runPython(PY_MODELS + `
torch.manual_seed(0)
m = seed_model('resnet18')
sd = m.state_dict()
sd['layer3.0.downsample.0.weight'][1, 2, 0, 0] = float('nan')
torch.save(collections.OrderedDict(('module.' + k, v) for k, v in sd.items()), inp)
`, at('seed_nan.pth'));
  assert.throws(() => loadModelFile(at('seed_nan.pth')), /seed_nan\.pth: weights contain NaN: layer3\.0\.downsample\.0\.weight\b/);
});

test('pretrained weights (--weights FILE) with NaN in the backbone are refused; a bad dropped head is not used', () => {
  const m = new BinaryClassifier({ arch: 'resnet18' });
  try {
    // An ImageNet-style file: the backbone and a 1000-class head fc.weight/fc.bias, which is dropped.
    const records = new Map([...moduleToRecords(m)].filter(([k]) => !k.startsWith('fc.')));
    const fcW = new Float32Array(1000 * 512).fill(Number.NaN);
    records.set('fc.weight', { dtype: 'float32', shape: [1000, 512], data: new Uint8Array(fcW.buffer) });
    records.set('fc.bias', { dtype: 'float32', shape: [1000], data: new Uint8Array(4000) });
    saveCheckpoint(at('imagenet_badhead.pth'), records, {});
    loadBackboneFromFile(m, at('imagenet_badhead.pth'));
    forgeModelFile(at('imagenet_badhead.pth'), at('imagenet_nan.pth'), { tensors: { 'layer2.0.bn1.weight': (v) => { v[3] = NaN; } } });
    assert.throws(() => loadBackboneFromFile(m, at('imagenet_nan.pth')), /imagenet_nan\.pth: weights contain NaN: layer2\.0\.bn1\.weight\b/);
  } finally {
    m.dispose();
  }
});

test('export\'s check: the checkpoint\'s tensors (all of them, any layout) and its tlearn metadata', () => {
  checkCheckpointContents(loadCheckpoint(good), good);
  forgeModelFile(good, at('x_inf.safetensors'), { tensors: { 'fc.1.weight': (v) => { v[511] = Infinity; } } });
  assert.throws(() => checkCheckpointContents(loadCheckpoint(at('x_inf.safetensors')), at('x_inf.safetensors')),
    /x_inf\.safetensors: weights contain inf: fc\.1\.weight\b/);
  forgeModelFile(good, at('x_size.safetensors'), { metadata: { imageSize: 100000 } });
  assert.throws(() => checkCheckpointContents(loadCheckpoint(at('x_size.safetensors')), at('x_size.safetensors')),
    /checkpoint metadata imageSize 100000 is out of range \(32-4096\): .*x_size\.safetensors/);
  // (In the file's order: a safetensors file sorts its tensors by name, and export builds no model to order them.)
  const before = memory().tensors;
  assert.throws(() => checkCheckpointContents(loadCheckpoint(at('nan.safetensors')), at('nan.safetensors')), /weights contain (NaN|inf)/);
  assert.equal(memory().tensors, before, 'no tensor is left behind');
});

test('finite weights whose forward pass overflows: predictItems says the output is NaN, naming the model', async () => {
  const img = at('grey.png');
  await sharp({ create: { width: 40, height: 40, channels: 3, background: '#7f7f7f' } }).png().toFile(img);
  const file = forgeModelFile(good, at('overflow.safetensors'), { tensors: OVERFLOWING });
  const { model, metadata } = loadModelFile(file);
  try {
    const items = [{ path: img, label: null }, { path: img, label: null }];
    await assert.rejects(predictItems(model, metadata, items, { source: file }),
      /overflow\.safetensors: the model's output is NaN for 2 of 2 images \(the first: .*grey\.png\); its weights are finite, so the forward pass overflowed/);
  } finally {
    model.dispose();
  }
});
