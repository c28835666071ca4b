// Temperature scaling: T is the minimiser of the validation NLL that PyTorch's LBFGS finds on the same logits
// (binary, multi-class, multi-label); a model file with T gives sigmoid/softmax(logits / T) in tlearn, in its
// ONNX export (onnxruntime-node) and in PyTorch; T = 1 changes nothing, bit for bit; a bad T in a file is refused.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import path from 'node:path';
import { manualSeed, randn, rand, scope } from '../src/torch/index.js';
import { completeMetadata, loadModelFile, metadataToJSON, saveModelFile, seedMetadata } from '../src/models/index.js';
import { fitTemperature } from '../src/tasks/index.js';
import { exportOnnx } from '../src/export/onnx/index.js';
import type { TaskKind } from '../src/models/index.js';
import { runPython } from './helpers/python.js';
import { maxAbsDiff, runOnnx, tinyClassifier } from './helpers/onnx-models.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';

const PY_LBFGS = `
import torch
torch.set_num_threads(2)
def fit(case):
    z = torch.tensor(case['logits'], dtype=torch.float64).reshape(-1, case['width'])
    if case['kind'] == 'multiclass':
        y = torch.tensor(case['labels'], dtype=torch.long)
        loss_of = lambda s: torch.nn.functional.cross_entropy(s, y)
    else:
        y = torch.tensor(case['labels'], dtype=torch.float64).reshape(z.shape)
        loss_of = lambda s: torch.nn.functional.binary_cross_entropy_with_logits(s, y)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=1, max_iter=500, tolerance_grad=1e-14, tolerance_change=1e-16, line_search_fn='strong_wolfe')
    def closure():
        opt.zero_grad()
        loss = loss_of(z / log_t.exp())
        loss.backward()
        return loss
    opt.step(closure)
    with torch.no_grad():
        return {'t': log_t.exp().item(), 'before': loss_of(z).item(), 'after': loss_of(z / log_t.exp()).item()}
out([fit(case) for case in inp])
`;

/** Seeded logits [n, width] that are overconfident: labels drawn from the probabilities of logits / 2.5. */
function overconfident(kind: TaskKind, n: number, width: number): { logits: Float32Array; labels: Float32Array } {
  manualSeed(11);
  return scope(() => {
    const z = randn([n, width]).mul(4);
    const soft = z.div(2.5);
    let labels: Float32Array;
    if (kind === 'multiclass') {
      // Gumbel-max: the class drawn from softmax(soft).
      const g = rand([n, width]).clamp(1e-9, 1).log().neg().log().neg();
      labels = soft.add(g).argmax(1).float().toFloat32Array();
    } else {
      labels = rand([n, width]).lt(soft.sigmoid()).float().toFloat32Array();
    }
    return { logits: z.toFloat32Array(), labels };
  });
}

test('binary, multi-class, multi-label: the fitted temperature equals PyTorch\'s LBFGS minimiser of the NLL on the same logits', () => {
  const cases = ([['binary', 1], ['multiclass', 4], ['multilabel', 3]] as const).map(([kind, width]) => ({ kind, width, ...overconfident(kind, 300, width) }));
  const fits = runPython<{ t: number; before: number; after: number }[]>(PY_LBFGS,
    cases.map((c) => ({ kind: c.kind, width: c.width, logits: Array.from(c.logits), labels: Array.from(c.labels) })));
  cases.forEach(({ kind, width, logits, labels }, i) => {
    const py = fits[i]!;
    const ours = fitTemperature(kind, logits, labels, width);
    assert.ok(Math.abs(ours.temperature - py.t) / py.t < 1e-5, `T ${ours.temperature} vs PyTorch ${py.t}`);
    assert.ok(ours.temperature > 1.5, `overconfident logits need T > 1, got ${ours.temperature}`);
    assert.ok(Math.abs(ours.nllBefore - py.before) < 1e-9 && Math.abs(ours.nllAfter - py.after) < 1e-9, 'the NLL before and after');
    assert.ok(ours.nllAfter < ours.nllBefore);
    assert.equal(ours.atBound, false, kind);
  });
});

const PY_PROBS = `
import torch, torchvision
m = torchvision.models.resnet18()
m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(512, inp['k']))
m.load_state_dict(torch.load(inp['file'], weights_only=True))
m.eval()
x = torch.tensor(inp['x'], dtype=torch.float32).reshape(inp['shape'])
with torch.no_grad():
    z = m(x) / inp['t']
    p = torch.sigmoid(z) if inp['kind'] != 'multiclass' else torch.softmax(z, 1)
out(p.flatten().tolist())
`;

for (const kind of ['binary', 'multiclass'] as const) {
  test(`${kind}: a model file with a temperature predicts activation(logits / T) in tlearn, its ONNX export and PyTorch; T = 1 is bit-identical to none`, async () => {
    const dir = tempDir();
    const { model, metadata } = tinyClassifier(kind, 'resnet18', 32);
    try {
      const files = { t: path.join(dir, 't.pth'), one: path.join(dir, 'one.pth'), none: path.join(dir, 'none.pth') };
      saveModelFile(files.t, model, { ...metadata, temperature: 1.7 }, { format: 'pth' });
      saveModelFile(files.one, model, { ...metadata, temperature: 1 }, { format: 'pth' });
      saveModelFile(files.none, model, metadata, { format: 'pth' });
      manualSeed(5);
      const x = randn([3, 3, 32, 32]);
      const run = (file: string) => {
        const l = loadModelFile(file);
        try {
          const p = l.model.probabilities(x);
          const onnx = exportOnnx(l.model, l.metadata);
          return { p, onnx, temperature: l.metadata.temperature ?? null };
        } finally {
          l.model.dispose();
        }
      };
      const t = run(files.t);
      // T = 1 against none: the arithmetic is the task's activation either way; checked once (binary).
      const one = kind === 'binary' ? run(files.one) : null;
      const none = kind === 'binary' ? run(files.none) : null;
      assert.equal(t.temperature, 1.7);
      const xs = x.toFloat32Array();
      const py = runPython<number[]>(PY_PROBS, { file: files.t, k: model.outputs, kind, t: 1.7, x: Array.from(xs), shape: [3, 3, 32, 32] });
      assert.ok(maxAbsDiff(t.p, py) < 1e-5, `tlearn vs PyTorch: ${maxAbsDiff(t.p, py)}`);
      const tOnnx = await runOnnx(t.onnx.bytes, xs, [3, 3, 32, 32]);
      assert.ok(maxAbsDiff(tOnnx, py) < 1e-5, `ONNX vs PyTorch: ${maxAbsDiff(tOnnx, py)}`);
      assert.equal(t.onnx.opCounts.Div, 1);
      if (one && none) {
        assert.equal(none.temperature, null);
        assert.ok(maxAbsDiff(t.p, none.p) > 1e-3, 'the temperature changes the probabilities');
        // T = 1: the same numbers bit for bit, and no Div in the graph.
        assert.deepEqual(Array.from(one.p), Array.from(none.p));
        assert.equal(one.onnx.opCounts.Div, undefined);
        assert.deepEqual(Array.from(await runOnnx(one.onnx.bytes, xs, [3, 3, 32, 32])), Array.from(await runOnnx(none.onnx.bytes, xs, [3, 3, 32, 32])));
      }
      x.dispose();
    } finally {
      model.dispose();
      removeTempDirs();
    }
  });
}

test('a temperature of 0, below 0, NaN or not a number in a file is refused naming the key; null means none', () => {
  const base = seedMetadata('resnet18');
  for (const [bad, shown] of [[0, '0'], [-2, '-2'], ['NaN', '"NaN"'], [true, 'true']] as const) {
    assert.throws(() => completeMetadata({ kind: base.kind, temperature: bad }, base, 'm.safetensors'),
      new RegExp(`checkpoint metadata temperature ${shown} (is out of range \\(> 0\\)|must be a positive number, or null): m\\.safetensors`));
  }
  assert.equal(completeMetadata({ kind: base.kind, temperature: null }, base).temperature, null);
  assert.equal(completeMetadata({ kind: base.kind, temperature: 2.5 }, base).temperature, 2.5);
  // Written only when set: an uncalibrated model's file keeps the keys it had before calibration existed.
  assert.equal('temperature' in metadataToJSON(base), false);
  assert.equal(metadataToJSON({ ...base, temperature: 2.5 }).temperature, 2.5);
});
