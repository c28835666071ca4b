// timm's files of torchvision's weights: a ResNet state_dict in timm's layout (its keys are torchvision's) and a
// RegNetY one under timm's names (renamed here in Python by the mapping documented in src/models/regnet-timm.ts)
// load as start weights (by timm's registry name, from Hugging Face's hub cache) and as model files
// (evaluate/predict), and predict as torchvision's model does; a key outside the mapping is named in the error.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../src/torch/index.js';
import { readSafetensors, writePth, type StateDictRecords } from '../src/io/index.js';
import {
  ImageClassifier, loadBackboneFromFile, loadModelFile, loadPretrainedBackbone, moduleToRecords,
} from '../src/models/index.js';
import { runPython } from './helpers/python.js';
import { PY_MODELS, assertClose, readTensors, tempDir } from './models-helpers.js';

const dir = tempDir('timm');
const hub = path.join(dir, 'hf-hub');
const snapshot = path.join(hub, 'models--timm--regnety_004.tv2_in1k', 'snapshots', '0123abcd');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

before(() => {
  fs.mkdirSync(snapshot, { recursive: true });
  runPython(PY_MODELS + String.raw`
import re
d, snap = inp
PARTS = {'f.a.0': 'conv1.conv', 'f.a.1': 'conv1.bn', 'f.b.0': 'conv2.conv', 'f.b.1': 'conv2.bn', 'f.se.fc1': 'se.fc1',
         'f.se.fc2': 'se.fc2', 'f.c.0': 'conv3.conv', 'f.c.1': 'conv3.bn', 'proj.0': 'downsample.conv', 'proj.1': 'downsample.bn'}
def timm_key(k):
    m = re.match(r'^stem\.([01])\.(\w+)$', k)
    if m:
        return 'stem.%s.%s' % ('conv' if m.group(1) == '0' else 'bn', m.group(2))
    m = re.match(r'^trunk_output\.block(\d)\.block(\d)-(\d+)\.(.+)\.(\w+)$', k)
    if m:
        assert m.group(1) == m.group(2), k
        return 's%s.b%d.%s.%s' % (m.group(1), int(m.group(3)) + 1, PARTS[m.group(4)], m.group(5))
    assert k.startswith('fc.'), k
    return 'head.' + k
def timm_state(model):
    sd = collections.OrderedDict((timm_key(k), v) for k, v in model.state_dict().items())
    assert len(sd) == len(model.state_dict())
    return sd
torch.manual_seed(5)
x = torch.randn(2, 3, 32, 32)
# ResNet18 with the seed's head: timm's keys are torchvision's.
r = seed_model('resnet18'); randomize_bn(r); r.eval()
torch.save(r.state_dict(), d + '/resnet18-timm.pth')
# regnet_y_400mf with ImageNet's head, as timm's regnety_004.tv2_in1k in the hub cache (and torchvision's keys beside).
g = torchvision.models.regnet_y_400mf(); randomize_bn(g); g.eval()
st_write(d + '/regnet-tv.safetensors', g.state_dict())
st_write(snap + '/model.safetensors', timm_state(g))
# A RegNetY saved from timm with the seed's head at head.fc.
g.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(440, 1), torch.nn.Sigmoid()); g.eval()
torch.save(timm_state(g), d + '/regnet-timm.pth')
with torch.no_grad():
    st_write(d + '/io.safetensors', {'x': x, 'resnet': r(x), 'regnet': g(x)})
`, [dir, snapshot]);
});

test('model files in timm\'s layout (ResNet18 as it is, RegNetY-400MF renamed) load and predict torchvision\'s probabilities', () => {
  const data = readTensors(path.join(dir, 'io.safetensors'));
  try {
    for (const [file, arch, want] of [['resnet18-timm.pth', 'resnet18', 'resnet'], ['regnet-timm.pth', 'regnet_y_400mf', 'regnet']] as const) {
      const { model } = loadModelFile(path.join(dir, file));
      try {
        assert.equal(model.arch, arch);
        const p = model.predictProba(data.get('x')!);
        assertClose(p, data.get(want)!, `${file} probabilities`, 1e-5, 1e-4);
        p.dispose();
      } finally {
        model.dispose();
      }
    }
  } finally {
    torch.dispose(data);
  }
});

test('--weights regnety_004.tv2_in1k: timm\'s file from Hugging Face\'s hub cache, checked, renamed to torchvision\'s keys', async () => {
  const tv = readSafetensors(path.join(dir, 'regnet-tv.safetensors')).tensors;
  const model = new ImageClassifier({ arch: 'regnet_y_400mf', outputs: 3 });
  try {
    const head = moduleToRecords(model);
    const opts = { env: { HF_HUB_CACHE: hub, TLEARN_HOME: path.join(dir, 'tl'), HOME: dir }, baseUrl: 'http://127.0.0.1:9/' };
    const info = await loadPretrainedBackbone(model, 'regnety_004.tv2_in1k', opts);
    assert.equal(info.file, path.join(snapshot, 'model.safetensors'));
    assert.equal(info.entry?.source, 'timm');
    assert.equal(info.layout, 'timm');
    assert.deepEqual(info.droppedKeys, ['fc.weight', 'fc.bias']);
    for (const [k, r] of moduleToRecords(model)) {
      const want = k.startsWith('fc.') ? head.get(k) : tv.get(k);
      assert.ok(want, `${k} expected`);
      assert.deepEqual(Buffer.from(r.data), Buffer.from(want.data), `${k} differs`);
    }
  } finally {
    model.dispose();
  }
});

test('a timm RegNet file with a key outside the mapping fails naming it (start weights and model file)', () => {
  const records: StateDictRecords = new Map(readSafetensors(path.join(snapshot, 'model.safetensors')).tensors);
  const bad: StateDictRecords = new Map([...records].map(([k, r]) => [k === 's2.b1.se.fc1.weight' ? 's2.b1.se.conv_reduce.weight' : k, r]));
  const file = path.join(dir, 'bad-timm.pth');
  writePth(file, bad);
  const model = new ImageClassifier({ arch: 'regnet_y_400mf', outputs: 1 });
  try {
    assert.throws(() => loadBackboneFromFile(model, file),
      /bad-timm\.pth: a timm RegNet state_dict .*its key 's2\.b1\.se\.conv_reduce\.weight' has no torchvision counterpart/);
  } finally {
    model.dispose();
  }
  assert.throws(() => loadModelFile(file), /bad-timm\.pth: a timm RegNet state_dict .*'s2\.b1\.se\.conv_reduce\.weight'/);
});
