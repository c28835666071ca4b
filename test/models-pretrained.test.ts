// Pretrained backbones: registry names resolved through a temp TLEARN_HOME cache, file paths in torchvision and
// transformers layouts; the backbone equals the file, the new head is untouched; a missing key, a wrong shape
// or the wrong architecture fails naming the key and the file, and leaves the model unchanged.
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../src/torch/index.js';
import { readPth, saveCheckpoint, writeSafetensors, type StateDictRecords } from '../src/io/index.js';
import {
  BinaryClassifier, createBinaryClassifier, loadPretrainedBackbone, moduleToRecords, tensorsToRecords,
} from '../src/models/index.js';
import { runPython } from './helpers/python.js';
import { PY_MODELS, tempDir } from './models-helpers.js';

const home = tempDir('home');
const weightsDir = path.join(home, 'weights');
fs.mkdirSync(weightsDir, { recursive: true });
// A torchvision-layout resnet18 with random weights and ImageNet's 1000-class head, under the registry's file
// name (its SHA-256 cannot match the real file's, so the cache check is told not to verify).
const opts = { env: { TLEARN_HOME: home, HOME: home }, useTorchHub: false, verify: false, baseUrl: 'http://127.0.0.1:9/' };
let fileRecords: StateDictRecords;
before(() => {
  runPython(PY_MODELS + `
torch.manual_seed(21)
m = torchvision.models.resnet18()
randomize_bn(m)
torch.save(m.state_dict(), inp + '/resnet18-f37072fd.pth')
st_write(inp + '/resnet18.safetensors', m.state_dict())
`, weightsDir);
  fileRecords = readPth(path.join(weightsDir, 'resnet18-f37072fd.pth')).tensors;
});

/** Asserts that the model's backbone equals the file and its head equals `head`. */
function checkLoaded(model: BinaryClassifier, file: StateDictRecords, head: StateDictRecords): void {
  const ours = moduleToRecords(model);
  for (const [k, r] of ours) {
    const want = k.startsWith('fc.') ? head.get(k) : file.get(k);
    assert.ok(want, `${k} expected`);
    assert.deepEqual(Buffer.from(r.data), Buffer.from(want.data), `${k} differs`);
  }
}

test('registry name: imagenet resolves to the cached resnet18 file; backbone loaded, head kept', async () => {
  torch.manualSeed(0);
  const model = new BinaryClassifier({ arch: 'resnet18' });
  try {
    const head = moduleToRecords(model);
    const info = await loadPretrainedBackbone(model, 'imagenet', opts);
    assert.equal(info.file, path.join(weightsDir, 'resnet18-f37072fd.pth'));
    assert.equal(info.entry?.arch, 'resnet18');
    assert.equal(info.layout, 'torchvision');
    assert.deepEqual(info.droppedKeys, ['fc.weight', 'fc.bias']);
    checkLoaded(model, fileRecords, head);
  } finally {
    model.dispose();
  }
  // Not cached and no network: the error says where to put the file.
  await assert.rejects(() => createBinaryClassifier({ arch: 'resnet34', weights: 'imagenet', weightsOptions: { ...opts, timeoutMs: 2000 } }),
    /could not download resnet34-b627a593\.pth.*--weights none/s);
});

test('createBinaryClassifier: file paths (.pth, safetensors, transformers layout) and none', async () => {
  const hfRecords: StateDictRecords = new Map();
  for (const [k, r] of fileRecords) hfRecords.set(toTransformersKey(k), r);
  const hf = path.join(weightsDir, 'hf.safetensors');
  saveCheckpoint(hf, hfRecords, {});
  for (const file of ['resnet18-f37072fd.pth', 'resnet18.safetensors', 'hf.safetensors']) {
    torch.manualSeed(1);
    const { model, pretrained } = await createBinaryClassifier({ arch: 'resnet18', weights: path.join(weightsDir, file), dropout: 0.2 });
    try {
      assert.equal(pretrained.layout, file === 'hf.safetensors' ? 'transformers' : 'torchvision');
      assert.equal(model.dropoutP, 0.2);
      torch.manualSeed(1);
      const fresh = new BinaryClassifier({ arch: 'resnet18', dropout: 0.2 });
      checkLoaded(model, fileRecords, moduleToRecords(fresh));
      fresh.dispose();
    } finally {
      model.dispose();
    }
  }
  torch.manualSeed(2);
  const { model, pretrained } = await createBinaryClassifier({ arch: 'resnet18', weights: 'none' });
  torch.manualSeed(2);
  const fresh = new BinaryClassifier({ arch: 'resnet18' });
  assert.equal(pretrained.source, 'none');
  checkLoaded(model, moduleToRecords(fresh), moduleToRecords(fresh));
  model.dispose();
  fresh.dispose();
  await assert.rejects(() => createBinaryClassifier({ arch: 'resnet18', weights: path.join(weightsDir, 'nope.pth') }),
    /weights '.*nope\.pth': no such file, and not a registry name/);
});

test('a missing key, a wrong shape, an unknown key or another arch fail naming key and file; the model is unchanged', async () => {
  torch.manualSeed(3);
  const model = new BinaryClassifier({ arch: 'resnet18' });
  const before = moduleToRecords(model);
  const cases: [string, (r: StateDictRecords) => void, RegExp][] = [
    ['missing', (r) => r.delete('layer3.1.conv2.weight'), /missing\.safetensors: cannot load these weights into the resnet18 backbone:\n  missing key\(s\) \(1\): 'layer3\.1\.conv2\.weight'/],
    ['shape', (r) => r.set('layer2.0.downsample.0.weight', { dtype: 'float32', shape: [128, 64, 3, 3], data: new Uint8Array(128 * 64 * 9 * 4) }),
      /shape\.safetensors: .*shape mismatch for 'layer2\.0\.downsample\.0\.weight': the file has \[128, 64, 3, 3\], resnet18 has \[128, 64, 1, 1\]/s],
    ['unknown', (r) => r.set('layer5.0.conv1.weight', r.get('conv1.weight')!), /unknown\.safetensors: .*unexpected key\(s\) \(1\): 'layer5\.0\.conv1\.weight'/s],
    ['dtype', (r) => r.set('bn1.weight', { dtype: 'int32', shape: [64], data: new Uint8Array(256) }), /dtype\.safetensors: .*'bn1\.weight': the file has int32 values/s],
  ];
  try {
    for (const [name, edit, message] of cases) {
      const r = new Map(fileRecords);
      edit(r);
      const file = path.join(weightsDir, `${name}.safetensors`);
      writeSafetensors(file, r);
      await assert.rejects(() => loadPretrainedBackbone(model, file), message);
    }
    // num_batches_tracked may be absent (old checkpoints): it is filled, as torch does.
    const noCount = new Map([...fileRecords].filter(([k]) => !k.endsWith('num_batches_tracked')));
    writeSafetensors(path.join(weightsDir, 'nocount.safetensors'), noCount);
    const m2 = new BinaryClassifier({ arch: 'resnet18' });
    await loadPretrainedBackbone(m2, path.join(weightsDir, 'nocount.safetensors'));
    assert.equal(m2.bn1.numBatchesTracked!.item(), 0);
    m2.dispose();
    // resnet18 weights into a resnet34: named as such.
    const m34 = new BinaryClassifier({ arch: 'resnet34' });
    await assert.rejects(() => loadPretrainedBackbone(m34, path.join(weightsDir, 'resnet18.safetensors')),
      /resnet18\.safetensors: cannot load these weights into the resnet34 backbone:\n  missing key\(s\) \(\d+\): 'layer1\.2\.conv1\.weight'.*the file holds resnet18 weights/s);
    m34.dispose();
    const junk = path.join(weightsDir, 'junk.safetensors');
    writeSafetensors(junk, tensorsToRecords(new Map([['w', torch.zeros([2])]])));
    await assert.rejects(() => loadPretrainedBackbone(model, junk), /junk\.safetensors: not a ResNet state_dict in a known layout \(.*first keys: w\)/);
    const after = moduleToRecords(model);
    for (const [k, r] of before) assert.deepEqual(Buffer.from(after.get(k)!.data), Buffer.from(r.data), `${k} changed by a failed load`);
  } finally {
    model.dispose();
  }
});

/** torchvision key → Hugging Face transformers ResNet key (microsoft/resnet-50 layout). */
function toTransformersKey(k: string): string {
  let m = /^(conv1|bn1)\.(.+)$/.exec(k);
  if (m) return `resnet.embedder.embedder.${m[1] === 'conv1' ? 'convolution' : 'normalization'}.${m[2]}`;
  m = /^layer(\d)\.(\d+)\.(.+)$/.exec(k);
  if (m) {
    const block = `resnet.encoder.stages.${Number(m[1]) - 1}.layers.${m[2]}`;
    let r = /^downsample\.([01])\.(.+)$/.exec(m[3]);
    if (r) return `${block}.shortcut.${r[1] === '0' ? 'convolution' : 'normalization'}.${r[2]}`;
    r = /^(conv|bn)(\d)\.(.+)$/.exec(m[3]);
    if (r) return `${block}.layer.${Number(r[2]) - 1}.${r[1] === 'conv' ? 'convolution' : 'normalization'}.${r[3]}`;
  }
  m = /^fc\.(weight|bias)$/.exec(k);
  if (m) return `classifier.1.${m[1]}`;
  throw new Error(`no transformers name for ${k}`);
}
