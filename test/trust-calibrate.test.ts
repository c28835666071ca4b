// tlearn calibrate: a model trained without conformal sets (here a plain PyTorch state_dict and a tlearn file) gets
// q̂ fitted on DATA's val split, numpy's quantile of the scores of its own probabilities there; the copy predicts
// sets, the original file is unchanged; per-class sets. --temperature fits T as PyTorch's LBFGS does on the
// logits PyTorch computes for the same images, and moves the threshold so that every decision stays the same.
// An .onnx model, a multi-label model (for sets), an --out that exists or is the model, a bad alpha and nothing to
// fit are refused (exit 2) without writing anything.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelFile, saveModelFile } from '../src/models/index.js';
import { noGrad } from '../src/torch/index.js';
import { writePng } from './data-fixtures.js';
import { cliIn } from './helpers/cli.js';
import { tinyClassifier } from './helpers/onnx-models.js';
import { runPython } from './helpers/python.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';

after(removeTempDirs);

const dir = tempDir();
const cli = cliIn(dir);
// A three-class model (random weights, 32 px) as a tlearn file and as a plain state_dict, and a multi-label one.
{
  const { model, metadata } = tinyClassifier('multiclass', 'resnet18', 32);
  saveModelFile(path.join(dir, 'model.safetensors'), model, metadata);
  saveModelFile(path.join(dir, 'plain.pth'), model, metadata, { format: 'pth' });
  model.dispose();
  const ml = tinyClassifier('multilabel', 'resnet18', 32);
  saveModelFile(path.join(dir, 'multilabel.safetensors'), ml.model, ml.metadata);
  ml.model.dispose();
}
const classes = loadModelFile(path.join(dir, 'model.safetensors')).metadata.classes;
for (const [k, c] of classes.entries()) {
  for (let i = 0; i < 8; i++) await writePng(path.join(dir, 'data', 'val', c, `${i}.png`), 36, 32, 100 * k + i);
  for (let i = 0; i < 2; i++) await writePng(path.join(dir, 'data', 'test', c, `${i}.png`), 36, 32, 1000 + 100 * k + i);
}
const valFiles = classes.flatMap((c, y) => fs.readdirSync(path.join(dir, 'data', 'val', c)).map((f) => ({ file: path.join(dir, 'data', 'val', c, f), y })));
const sha = (f: string) => createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex');

/** numpy's q̂ (one, or one per class) from a model's predict --json probabilities on the val files. */
async function numpyQhat(model: string, alpha: number, perClass: boolean): Promise<number | number[]> {
  const r = await cli(['predict', model, ...valFiles.map((v) => v.file), '--json', '--classes', classes.join(','), '--image-size', '32']);
  assert.equal(r.code, 0, r.err);
  const probs = (JSON.parse(r.out) as { probabilities: Record<string, number> }[]).map((row) => classes.map((c) => row.probabilities[c]!));
  return runPython<number | number[]>(`
import numpy as np
p = np.array(inp['probs']); y = np.array(inp['y']); a = inp['alpha']
def q(s):
    n = len(s); return float(np.quantile(s, np.ceil((n + 1) * (1 - a)) / n, method='higher'))
scores = 1 - p[np.arange(len(y)), y]
out([q(scores[y == k]) for k in range(p.shape[1])] if inp['perClass'] else q(scores))`, { probs, y: valFiles.map((v) => v.y), alpha, perClass });
}

test('a tlearn model and a plain state_dict get numpy\'s q̂ from the val split; the copies predict sets, the originals are unchanged', async () => {
  const before = [sha('model.safetensors'), sha('plain.pth')];
  const r = await cli(['calibrate', 'model.safetensors', 'data', '--conformal', '0.2', '--out', 'calibrated.safetensors']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`wrote .*calibrated\\.safetensors, calibrated on ${valFiles.length} images of data \\(val\\):\\nconformal sets \\(alpha 0\\.2\\): q̂ [0-9.]+ `));
  const m = loadModelFile(path.join(dir, 'calibrated.safetensors'));
  m.model.dispose();
  const want = await numpyQhat('model.safetensors', 0.2, false) as number;
  assert.ok(Math.abs((m.metadata.conformal!.qhat as number) - want) < 1e-6, `${m.metadata.conformal!.qhat} vs numpy ${want}`);
  assert.equal(m.metadata.conformal!.n, valFiles.length);
  const p = await cli(['predict', 'calibrated.safetensors', valFiles[0]!.file, '--json']);
  const row = JSON.parse(p.out)[0] as { probabilities: Record<string, number>; set: string[] };
  assert.deepEqual(row.set, classes.filter((c) => 1 - row.probabilities[c]! <= want));

  // A plain state_dict with --classes and --image-size, per class, as JSON.
  const pc = await cli(['calibrate', 'plain.pth', 'data', '--classes', classes.join(','), '--image-size', '32', '--conformal', '0.2', '--conformal-per-class', '--out', 'plain-sets.pth', '--json']);
  assert.equal(pc.code, 0, pc.err);
  const j = JSON.parse(pc.out);
  assert.equal(j.conformal.per_class, true);
  const wantPc = await numpyQhat('plain.pth', 0.2, true) as number[];
  const got = loadModelFile(path.join(dir, 'plain-sets.pth'));
  got.model.dispose();
  assert.equal(got.metadata.task, 'multiclass');
  (got.metadata.conformal!.qhat as number[]).forEach((q, k) => assert.ok(Math.abs(q - wantPc[k]!) < 1e-6, `class ${k}: ${q} vs numpy ${wantPc[k]}`));
  assert.deepEqual([sha('model.safetensors'), sha('plain.pth')], before, 'the model files are never changed');
});

test('--temperature: T is PyTorch\'s LBFGS fit on the logits PyTorch computes for the val images; the threshold moves so that decisions stay the same', async () => {
  // A binary plain state_dict and 32 px images: the model's size, so PyTorch reads the same pixels.
  const { model, metadata } = tinyClassifier('binary', 'resnet18', 32);
  const [neg, pos] = metadata.classes as [string, string];
  saveModelFile(path.join(dir, 'binary.pth'), model, { ...metadata, threshold: 0.3 }, { format: 'pth' });
  // Labels that follow the model's own scores (above their median: positive), 4 of 24 flipped: a finite T to find,
  // once the head's bias centres the logits on 0 (a random head's offset alone would send T to infinity).
  const pool = await Promise.all(Array.from({ length: 24 }, async (_, i) => { const f = path.join(dir, `pool${i}.png`); await writePng(f, 32, 32, 300 + i); return f; }));
  const logitsOf = async () => (JSON.parse((await cli(['predict', 'binary.pth', ...pool, '--json', '--classes', `${neg},${pos}`, '--image-size', '32'])).out) as { probability: number }[])
    .map((x) => Math.log(x.probability / (1 - x.probability)));
  const centre = [...await logitsOf()].sort((x, y) => x - y)[12]!;
  noGrad(() => model.stateDict().get('fc.1.bias')!.sub_(centre));
  saveModelFile(path.join(dir, 'binary.pth'), model, { ...metadata, threshold: 0.3 }, { format: 'pth' });
  model.dispose();
  const scores = await logitsOf();
  const median = [...scores].sort((x, y) => x - y)[12]!;
  const files: { file: string; y: number }[] = [];
  for (const [i, f] of pool.entries()) {
    const y = (scores[i]! >= median ? 1 : 0) ^ (i % 6 === 0 ? 1 : 0);
    const file = path.join(dir, 'data32', 'val', y ? pos! : neg!, `${i}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(f, file);
    files.push({ file, y });
  }
  const r = await cli(['calibrate', 'binary.pth', 'data32', '--temperature', '--out', 'binary-t.safetensors', '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  const py = runPython<{ t: number; before: number; after: number }>(`
import torch, torchvision
from PIL import Image
import torchvision.transforms.functional as F
m = torchvision.models.resnet18()
m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(512, 1))
m.load_state_dict(torch.load(inp['model'], weights_only=True))
m.eval()
x = torch.stack([F.normalize(F.to_tensor(Image.open(f).convert('RGB')), (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)) for f in inp['files']])
with torch.no_grad():
    z = m(x).double()
y = torch.tensor(inp['y'], dtype=torch.float64).reshape(z.shape)
loss_of = lambda s: torch.nn.functional.binary_cross_entropy_with_logits(s, y)
log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
opt = torch.optim.LBFGS([log_t], lr=1, max_iter=500, tolerance_grad=1e-14, tolerance_change=1e-16, line_search_fn='strong_wolfe')
def closure():
    opt.zero_grad(); loss = loss_of(z / log_t.exp()); loss.backward(); return loss
opt.step(closure)
with torch.no_grad():
    out({'t': log_t.exp().item(), 'before': loss_of(z).item(), 'after': loss_of(z / log_t.exp()).item()})`,
  { model: path.join(dir, 'binary.pth'), files: files.map((f) => f.file), y: files.map((f) => f.y) });
  assert.ok(Math.abs(j.temperature.temperature - py.t) / py.t < 1e-3, `T ${j.temperature.temperature} vs PyTorch ${py.t}`);
  assert.ok(Math.abs(j.temperature.log_loss_before - py.before) < 1e-4 && j.temperature.log_loss_after <= j.temperature.log_loss_before);
  const calibrated = loadModelFile(path.join(dir, 'binary-t.safetensors'));
  calibrated.model.dispose();
  assert.ok(Math.abs(calibrated.metadata.temperature! - j.temperature.temperature) < 1e-12);
  const t = calibrated.metadata.temperature!;
  const moved = 1 / (1 + Math.exp(-Math.log(0.3 / 0.7) / t));
  assert.ok(Math.abs(calibrated.metadata.threshold - moved) < 1e-9, `threshold ${calibrated.metadata.threshold} vs ${moved}`);
  assert.equal((calibrated.metadata.extra.calibration as { fitted_by: string }).fitted_by, 'tlearn calibrate');
  // Other images: the probabilities change, the decisions do not.
  const others = await Promise.all([1, 2, 3, 4, 5, 6].map(async (k) => { const f = path.join(dir, `other${k}.png`); await writePng(f, 40, 30, 900 + k); return f; }));
  const rows = async (m: string, extra: string[] = []) => JSON.parse((await cli(['predict', m, ...others, '--json', ...extra])).out) as { probability: number; label: string }[];
  const [a, b] = [await rows('binary.pth', ['--classes', `${neg},${pos}`, '--image-size', '32', '--threshold', '0.3']), await rows('binary-t.safetensors')];
  assert.deepEqual(b.map((x) => x.label), a.map((x) => x.label));
  assert.ok(a.some((x, i) => Math.abs(x.probability - b[i]!.probability) > 1e-4), 'the temperature changes the probabilities');
});

test('refused without writing: an existing --out, --out = MODEL, an .onnx model, a multi-label model, alpha 0, another split with no images', async () => {
  fs.writeFileSync(path.join(dir, 'exists.safetensors'), 'x');
  const cases: [string[], RegExp][] = [
    [['calibrate', 'model.safetensors', 'data', '--conformal', '0.1', '--out', 'exists.safetensors'], /--out .*exists\.safetensors already exists; choose another file, or add --force/],
    [['calibrate', 'model.safetensors', 'data', '--conformal', '0.1', '--out', 'model.safetensors'], /--out must differ from MODEL/],
    [['calibrate', 'model.safetensors', 'data', '--conformal', '0.1', '--out', 'x.onnx'], /calibrate writes a checkpoint/],
    [['calibrate', 'multilabel.safetensors', 'data', '--conformal', '0.1', '--out', 'ml.safetensors'], /is a multilabel model: conformal sets are for binary and multi-class models/],
    [['calibrate', 'model.safetensors', 'data', '--conformal', '0', '--out', 'zero.safetensors'], /--conformal 0: alpha must be between 0 and 1/],
    [['calibrate', 'model.safetensors', 'data', '--conformal', '0.1', '--split', 'train', '--out', 'train.safetensors'], /the split 'train' has no images/],
    [['calibrate', 'model.safetensors', 'data', '--out', 'nothing.safetensors'], /nothing to calibrate: give --temperature, --conformal ALPHA, or both/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
  }
  assert.equal(fs.readFileSync(path.join(dir, 'exists.safetensors'), 'utf8'), 'x');
  for (const f of ['ml.safetensors', 'zero.safetensors', 'train.safetensors', 'x.onnx', 'nothing.safetensors']) assert.equal(fs.existsSync(path.join(dir, f)), false, f);
});
