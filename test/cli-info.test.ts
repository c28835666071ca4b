// tlearn info: what a model file holds, against the file itself and PyTorch. Its PyTorch code, run by Debian's
// torchvision, rebuilds the network and loads the file strictly (a binary ResNet .pth of tlearn and a plain one
// of torch.save, a multi-class EfficientNet whose head sits at classifier[1]), with as many parameters as info
// counts; the SHA-256 is hashlib's; a plain state_dict says what was assumed; an .onnx graph says what it takes;
// a missing or truncated file is refused naming it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ImageClassifier, saveModelFile } from '../src/models/index.js';
import { manualSeed } from '../src/torch/index.js';
import type { ModelInfo } from '../src/cli/commands/info.js';
import { cliIn } from './helpers/cli.js';
import { seedStateDictPth, tinyModelFile } from './helpers/model-files.js';
import { runPython } from './helpers/python.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('tlearn-cli-info-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cli = cliIn(tmp);

async function info(file: string): Promise<ModelInfo> {
  const r = await cli(['info', file, '--json']);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as ModelInfo;
}

test('info --json: the metadata, parameters and SHA-256 of tlearn and plain files; its PyTorch code loads each strictly', async () => {
  const model = tinyModelFile(tmp, { seed: 3 });
  assert.equal((await cli(['export', model, '--out', 'model.pth'])).code, 0);
  const plain = path.join(tmp, 'plain.pth');
  seedStateDictPth(plain);
  manualSeed(2);
  const multi = new ImageClassifier({ arch: 'efficientnet_b0', outputs: 3, activation: 'softmax' });
  try {
    saveModelFile(path.join(tmp, 'multi.pth'), multi, { task: 'multiclass', classes: ['a', 'b', 'c'], imageSize: 64 });
  } finally {
    multi.dispose();
  }

  const tl = await info('model.pth');
  assert.equal(tl.fromTlearn, true);
  assert.equal(tl.format, 'pth');
  assert.deepEqual([tl.metadata.arch, tl.metadata.task, tl.metadata.classes, tl.metadata.imageSize, tl.metadata.extra.seed], ['resnet18', 'binary', ['cat', 'dog'], 32, 3]);
  assert.deepEqual(tl.head, { path: 'fc', inFeatures: 512, outputs: 1 });
  const pl = await info('plain.pth');
  assert.equal(pl.fromTlearn, false);
  assert.deepEqual(pl.assumed, ['image size 224', 'classes 0,1']);
  const mc = await info('multi.pth');
  assert.deepEqual([mc.metadata.arch, mc.metadata.task, mc.head], ['efficientnet_b0', 'multiclass', { path: 'classifier.1', inFeatures: 1280, outputs: 3 }]);

  const py = runPython<{ params: number; sha256: string; last: string }[]>(`
import hashlib, os, torch, torchvision
res = []
for f, code in inp:
    scope = {}
    exec('\\n'.join(code), scope)          # the printed lines, as a user pastes them (load_state_dict is strict)
    m = scope['model']
    res.append({'params': sum(p.numel() for p in m.parameters()), 'sha256': hashlib.sha256(open(f, 'rb').read()).hexdigest(),
                'last': type(list(m.modules())[-1]).__name__})
out(res)
`, [tl, pl, mc].map((i) => [i.file, i.pytorch]), { cwd: tmp });
  [tl, pl, mc].forEach((i, k) => {
    assert.equal(i.parameters, py[k]!.params, `${i.file}: parameters`);
    assert.equal(i.sha256, py[k]!.sha256, `${i.file}: SHA-256`);
    assert.equal(i.bytes, fs.statSync(i.file).size);
  });
  assert.deepEqual(py.map((p) => p.last), ['Sigmoid', 'Sigmoid', 'Linear'], 'binary heads end in a Sigmoid, a multi-class one in logits');
  // The safetensors file's code uses safetensors' load_file (Debian has no safetensors for Python: not run here).
  // DDP's 'module.' prefix: evaluate and predict read it, but load_state_dict would not take it as is: no code.
  runPython(`
import torch, torchvision
m = torchvision.models.resnet18()
m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(512, 1), torch.nn.Sigmoid())
torch.save({'module.' + k: v for k, v in m.state_dict().items()}, inp)
out(True)
`, path.join(tmp, 'prefixed.pth'));
  const prefixed = await info('prefixed.pth');
  assert.deepEqual([prefixed.metadata.arch, prefixed.pytorch], ['resnet18', null]);
  const st = await info('model.safetensors');
  assert.match(st.pytorch!.join('\n'), /from safetensors\.torch import load_file\n.*\nmodel\.fc = .*\nmodel\.load_state_dict\(load_file\("model\.safetensors"\)\)/);
});

test('info in words: architecture, input, task and threshold, and the code; a plain file says what is assumed', async () => {
  const r = await cli(['info', 'model.safetensors']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^.*model\.safetensors: a tlearn model \(safetensors, [\d.]+ MB, SHA-256 [0-9a-f]{64}\)\n/);
  assert.match(r.out, /\n  architecture  resnet18, 11,177,025 parameters; head fc = Dropout\(0\.5\), Linear\(512, 1\), Sigmoid\n/);
  assert.match(r.out, /\n  input         32 x 32 px, squash \(Resize\(\(32, 32\)\)\), mean 0\.485, 0\.456, 0\.406, std 0\.229, 0\.224, 0\.225\n/);
  assert.match(r.out, /\n  task          binary: positive "dog", negative "cat"; predicted positive at p >= 0\.5\n/);
  assert.match(r.out, /\nIn PyTorch:\n  import torch, torchvision\n/);
  const p = await cli(['info', 'plain.pth']);
  assert.match(p.out, /plain\.pth: a plain PyTorch state_dict \(no tlearn metadata\)/);
  assert.match(p.out, /\n  assumed\s+image size 224, classes 0,1 \(give --image-size/);
});

test('info in words: a flat record of extra metadata is printed whole, a nested one abbreviated', async () => {
  const dir = path.join(tmp, 'extra');
  fs.mkdirSync(dir);
  tinyModelFile(dir, { focal_loss: { gamma: 2, alpha: null }, deep: { a: { b: 1 } }, seed: 4 });
  const r = await cli(['info', path.join('extra', 'model.safetensors')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\n  extra +focal_loss \{"gamma":2,"alpha":null\}; deep \{\.\.\.\}; seed 4\n/);
});

test('info on an .onnx graph: its input and metadata; a missing or truncated file is refused naming it', async () => {
  assert.equal((await cli(['export', 'model.safetensors', '--out', 'model.onnx', '--no-check'])).code, 0);
  const o = await info('model.onnx');
  assert.deepEqual([o.format, o.fromTlearn, o.input, o.metadata.classes, o.parameters, o.pytorch], ['onnx', true, 'normalised float32, NCHW', ['cat', 'dog'], null, null]);
  const missing = await cli(['info', 'nothere.safetensors']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nothere\.safetensors does not exist/);
  const whole = fs.readFileSync(path.join(tmp, 'model.safetensors'));
  fs.writeFileSync(path.join(tmp, 'cut.safetensors'), whole.subarray(0, whole.length - 1000));
  const cut = await cli(['info', 'cut.safetensors']);
  assert.equal(cut.code, 2, cut.err);
  assert.match(cut.err, /cut\.safetensors.*truncated/);
});
