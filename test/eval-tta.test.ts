// Test-time augmentation (--tta flip: the mean of the probabilities of each image and its horizontal mirror, as
// fastai's tta; --tta dihedral: of its 8 symmetries): equal to PyTorch on a tiny model (binary and multi-class); evaluate records the result without
// it in metrics.json and the report; predict's probability is the mean of the image's and its mirrored file's.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { manualSeed, randn, scope } from '../src/torch/index.js';
import { loadModelFile, saveModelFile } from '../src/models/index.js';
import { probabilityVariants } from '../src/eval/torch-engine.js';
import { TTA_MODES } from '../src/eval/tta.js';
import { writePng } from './data-fixtures.js';
import { cliIn } from './helpers/cli.js';
import { runPython } from './helpers/python.js';
import { maxAbsDiff, tinyClassifier } from './helpers/onnx-models.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';

after(removeTempDirs);

// PyTorch's views: the mirror; or the 8 symmetries, torch.rot90's quarter turns of the image and of its mirror.
const PY_TTA = `
import torch, torchvision
m = torchvision.models.resnet18()
m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(512, inp['k']))
m.load_state_dict(torch.load(inp['file'], weights_only=True))
m.eval()
x = torch.tensor(inp['x'], dtype=torch.float32).reshape(inp['shape'])
act = (lambda z: torch.sigmoid(z)) if inp['k'] == 1 else (lambda z: torch.softmax(z, 1))
if inp['mode'] == 'flip':
    views = [torch.flip(x, dims=[3])]
else:
    views = [torch.rot90(v, k, dims=[2, 3]) for v in (x, torch.flip(x, dims=[3])) for k in range(4)][1:]
with torch.no_grad():
    plain = act(m(x))
    tta = (plain + sum(act(m(v)) for v in views)) / (len(views) + 1)
out({'plain': plain.flatten().tolist(), 'tta': tta.flatten().tolist()})
`;

for (const kind of ['binary', 'multiclass'] as const) {
  test(`${kind}: --tta flip and dihedral probabilities equal PyTorch's mean over the image's views`, () => {
    const dir = tempDir();
    const { model, metadata } = tinyClassifier(kind, 'resnet18', 32);
    try {
      const file = path.join(dir, 'm.pth');
      saveModelFile(file, model, metadata, { format: 'pth' });
      manualSeed(9);
      const x = randn([4, 3, 32, 32]);
      for (const mode of TTA_MODES) {
        const ours = scope(() => {
          const v = probabilityVariants(model, x, mode);
          return { tta: v.main.toFloat32Array(), plain: v.plain!.toFloat32Array(), none: v.uncalibrated };
        });
        assert.equal(ours.none, undefined, 'no temperature: no uncalibrated variant');
        const py = runPython<{ plain: number[]; tta: number[] }>(PY_TTA, { file, mode, k: model.outputs, x: Array.from(x.toFloat32Array()), shape: [4, 3, 32, 32] });
        assert.ok(maxAbsDiff(ours.tta, py.tta) < 1e-5, `${mode}: tta ${maxAbsDiff(ours.tta, py.tta)}`);
        assert.ok(maxAbsDiff(ours.plain, py.plain) < 1e-5, `${mode}: plain ${maxAbsDiff(ours.plain, py.plain)}`);
        assert.ok(maxAbsDiff(ours.tta, ours.plain) > 1e-4, `${mode}: the views change the probabilities`);
      }
      x.dispose();
    } finally {
      model.dispose();
    }
  });
}

test('evaluate --tta flip: metrics.json holds the result without TTA (equal to a plain evaluate) and the report shows both; predict --tta flip averages an image and its mirror, --tta dihedral its 8 symmetries', async () => {
  const dir = tempDir();
  const { model, metadata } = tinyClassifier('binary', 'resnet18', 32);
  saveModelFile(path.join(dir, 'model.safetensors'), model, metadata);
  model.dispose();
  for (const [cls, seeds] of [['cat', [1, 2, 3]], ['dog', [4, 5, 6]]] as const) {
    for (const s of seeds) await writePng(path.join(dir, 'data', 'test', cls, `${s}.png`), 40, 32, s);
  }
  const cli = cliIn(dir);
  const plain = await cli(['evaluate', 'model.safetensors', 'data', '--out', 'plain', '--json']);
  assert.equal(plain.code, 0, plain.err);
  const tta = await cli(['evaluate', 'model.safetensors', 'data', '--out', 'tta', '--json', '--tta', 'flip']);
  assert.equal(tta.code, 0, tta.err);
  const a = JSON.parse(fs.readFileSync(path.join(dir, 'plain', 'metrics.json'), 'utf8'));
  const b = JSON.parse(fs.readFileSync(path.join(dir, 'tta', 'metrics.json'), 'utf8'));
  assert.equal(a.tta, undefined);
  assert.equal(b.tta.method, 'flip');
  for (const k of ['auc', 'accuracy', 'log_loss', 'brier', 'ece']) {
    assert.equal(b.tta.without[k], a[k], `without TTA, ${k} is the plain evaluation's`);
    assert.equal(b.tta.with[k], b[k], `with TTA, ${k} is the main result`);
  }
  assert.notEqual(b.log_loss, a.log_loss);
  assert.match(fs.readFileSync(path.join(dir, 'tta', 'report.html'), 'utf8'), /Test-time augmentation[\s\S]*each image and its horizontal mirror[\s\S]*Without TTA[\s\S]*With TTA \(flip\)/);
  const d = await cli(['evaluate', 'model.safetensors', 'data', '--out', 'dihedral', '--tta', 'dihedral']);
  assert.equal(d.code, 0, d.err);
  const c = JSON.parse(fs.readFileSync(path.join(dir, 'dihedral', 'metrics.json'), 'utf8'));
  assert.equal(c.tta.method, 'dihedral');
  assert.equal(c.tta.without.log_loss, a.log_loss, 'without TTA: the plain evaluation');
  assert.notEqual(c.log_loss, b.log_loss, 'the 8 symmetries are not the 2 views of flip');
  assert.match(fs.readFileSync(path.join(dir, 'dihedral', 'report.html'), 'utf8'), /each image&#39;s 8 symmetries[\s\S]*With TTA \(dihedral\)/);

  // The mirrored file's probability and the image's, averaged, are predict --tta's (the squash resize commutes with the mirror).
  const img = path.join(dir, 'data', 'test', 'dog', '4.png');
  await sharp(img).flop().png().toFile(path.join(dir, 'mirror.png'));
  const p = async (args: string[]) => {
    const r = await cli(['predict', 'model.safetensors', ...args, '--json']);
    assert.equal(r.code, 0, r.err);
    return (JSON.parse(r.out) as { probability: number }[]).map((x) => x.probability);
  };
  const [pi, pm] = await p([img, 'mirror.png']);
  const [pt] = await p([img, '--tta', 'flip']);
  assert.ok(Math.abs(pt! - (pi! + pm!) / 2) < 1e-6, `${pt} vs ${(pi! + pm!) / 2}`);

  // --tta dihedral: the mean of the plain probabilities of the image's 8 symmetries as sharp makes them (turned and
  // mirrored files; the image is the model's 32 px, so no resize comes between).
  const square = path.join(dir, 'square.png');
  await writePng(square, 32, 32, 7);
  const symmetries: string[] = [];
  for (const mirrored of [false, true]) {
    for (const angle of [0, 90, 180, 270]) {
      const file = path.join(dir, `square-${mirrored ? 'mirrored-' : ''}${angle}.png`);
      await (mirrored ? sharp(square).flop() : sharp(square)).rotate(angle).png().toFile(file);
      symmetries.push(file);
    }
  }
  const each = await p(symmetries);
  const [dihedral] = await p([square, '--tta', 'dihedral']);
  const mean = each.reduce((a, b) => a + b, 0) / 8;
  assert.ok(Math.abs(dihedral! - mean) < 1e-6, `${dihedral} vs ${mean}`);
  assert.ok(Math.max(...each) - Math.min(...each) > 1e-4, `the symmetries change the probability: ${each}`);
});

test('a model with a temperature: evaluate reports the metrics at T = 1 beside the calibrated ones, and both reliability diagrams', async () => {
  const dir = tempDir();
  const { model, metadata } = tinyClassifier('binary', 'resnet18', 32);
  saveModelFile(path.join(dir, 'model.safetensors'), model, metadata);
  saveModelFile(path.join(dir, 'cal.safetensors'), model, { ...metadata, temperature: 0.5 });
  model.dispose();
  for (const [cls, seeds] of [['cat', [1, 2, 3]], ['dog', [4, 5, 6]]] as const) {
    for (const s of seeds) await writePng(path.join(dir, 'data', 'test', cls, `${s}.png`), 40, 32, s);
  }
  const cli = cliIn(dir);
  assert.equal((await cli(['evaluate', 'model.safetensors', 'data', '--out', 'plain'])).code, 0);
  const r = await cli(['evaluate', 'cal.safetensors', 'data', '--out', 'cal']);
  assert.equal(r.code, 0, r.err);
  const a = JSON.parse(fs.readFileSync(path.join(dir, 'plain', 'metrics.json'), 'utf8'));
  const b = JSON.parse(fs.readFileSync(path.join(dir, 'cal', 'metrics.json'), 'utf8'));
  assert.equal(a.calibration, undefined);
  assert.equal(b.calibration.temperature, 0.5);
  for (const k of ['auc', 'log_loss', 'brier', 'ece']) assert.equal(b.calibration.before[k], a[k], `before: ${k} of the same model without T`);
  assert.equal(b.calibration.after.log_loss, b.log_loss);
  assert.notEqual(b.log_loss, a.log_loss);
  assert.equal(b.auc, a.auc, 'a temperature keeps the ranking');
  const html = fs.readFileSync(path.join(dir, 'cal', 'report.html'), 'utf8');
  assert.match(html, /Temperature scaling[\s\S]*Before \(T = 1\)[\s\S]*After \(T = 0\.5000\)/);
  assert.equal((html.match(/Reliability diagram/g) ?? []).length >= 3, true, 'the main diagram and the two compared');
  // loadModelFile gives the model its temperature.
  const l = loadModelFile(path.join(dir, 'cal.safetensors'));
  assert.equal(l.model.temperature, 0.5);
  l.model.dispose();
});
