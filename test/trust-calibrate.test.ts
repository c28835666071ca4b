// tlearn calibrate: a model trained without conformal sets (here a plain PyTorch state_dict and a tlearn file) gets
// q̂ fitted on DATA's val split, numpy's quantile of the scores of its own probabilities there; the copy predicts
// sets, the original file is unchanged; per-class sets; an .onnx model, a multi-label model, an --out that exists
// or is the model, and a bad alpha are refused (exit 2) without writing anything.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelFile, saveModelFile } from '../src/models/index.js';
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
  assert.match(r.out, new RegExp(`wrote .*calibrated\\.safetensors: conformal sets \\(alpha 0\\.2\\), q̂ [0-9.]+ .*from ${valFiles.length} images of data \\(val\\)`));
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

test('refused without writing: an existing --out, --out = MODEL, an .onnx model, a multi-label model, alpha 0, another split with no images', async () => {
  fs.writeFileSync(path.join(dir, 'exists.safetensors'), 'x');
  const cases: [string[], RegExp][] = [
    [['calibrate', 'model.safetensors', 'data', '--conformal', '0.1', '--out', 'exists.safetensors'], /--out .*exists\.safetensors already exists; choose another file, or add --force/],
    [['calibrate', 'model.safetensors', 'data', '--conformal', '0.1', '--out', 'model.safetensors'], /--out must differ from MODEL/],
    [['calibrate', 'model.safetensors', 'data', '--conformal', '0.1', '--out', 'x.onnx'], /calibrate writes a checkpoint/],
    [['calibrate', 'multilabel.safetensors', 'data', '--conformal', '0.1', '--out', 'ml.safetensors'], /is a multilabel model: conformal sets are for binary and multi-class models/],
    [['calibrate', 'model.safetensors', 'data', '--conformal', '0', '--out', 'zero.safetensors'], /--conformal 0: alpha must be between 0 and 1/],
    [['calibrate', 'model.safetensors', 'data', '--conformal', '0.1', '--split', 'train', '--out', 'train.safetensors'], /the split 'train' has no images/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
  }
  assert.equal(fs.readFileSync(path.join(dir, 'exists.safetensors'), 'utf8'), 'x');
  for (const f of ['ml.safetensors', 'zero.safetensors', 'train.safetensors', 'x.onnx']) assert.equal(fs.existsSync(path.join(dir, f)), false, f);
});
