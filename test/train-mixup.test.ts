// Mixup and CutMix (config mixup/cutmix, --mixup/--cutmix ALPHA): the Beta(α, α) draws against scipy's Beta
// distribution, timm's CutMix box, the mixed inputs and the mixed loss of every task against PyTorch's formulas
// (timm's batch mode, fastai's loss), the configuration, and runs: the frozen-prefix cache is off (with a warning),
// the run differs from one without mixing, and a Ctrl-C mid-epoch followed by --resume mixes as the uninterrupted
// run did.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../src/torch/index.js';
import { createTask } from '../src/tasks/index.js';
import { Rng } from '../src/data/rng.js';
import { betaSample, cutmixBox, mixDraw, mixInputs, mixupLoss } from '../src/train/mixup.js';
import { train, type EpochRecord, type TrainEvent } from '../src/train/index.js';
import { ConfigError, resolveConfig } from '../src/train/config/index.js';
import { readSafetensors } from '../src/io/index.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';
import { runPython } from './helpers/python.js';

after(removeTempDirs);

const T = { timeout: 600_000 };

test('Beta(α, α) draws follow scipy\'s Beta distribution (Kolmogorov–Smirnov, mean and variance) for α = 0.2, 0.4, 1, 2', () => {
  const alphas = [0.2, 0.4, 1, 2];
  const draws = alphas.map((a, k) => {
    const rng = new Rng(1000 + k);
    return Array.from({ length: 4000 }, () => betaSample(rng, a, a));
  });
  for (const d of draws) assert.ok(d.every((v) => v >= 0 && v <= 1));
  const py = runPython<{ p: number; mean: number; var: number; tmean: number; tvar: number }[]>(`
import numpy as np
from scipy import stats
res = []
for a, d in zip(inp['alphas'], inp['draws']):
    d = np.array(d)
    res.append({'p': float(stats.kstest(d, 'beta', args=(a, a)).pvalue), 'mean': float(d.mean()), 'var': float(d.var()),
                'tmean': float(stats.beta.mean(a, a)), 'tvar': float(stats.beta.var(a, a))})
out(res)
`, { alphas, draws });
  py.forEach((r, k) => {
    assert.ok(r.p > 0.01, `α ${alphas[k]}: KS p-value ${r.p}`);
    assert.ok(Math.abs(r.mean - r.tmean) < 0.02 && Math.abs(r.var - r.tvar) < 0.02, `α ${alphas[k]}: mean ${r.mean} (${r.tmean}), variance ${r.var} (${r.tvar})`);
  });
  // The stream is the seed's, the epoch's and the batch's: the same triple gives the same draw, another a different one.
  const m = { mixupAlpha: 0.4, cutmixAlpha: null };
  assert.deepEqual(mixDraw(m, 7, 3, 5, 32, 32), mixDraw(m, 7, 3, 5, 32, 32));
  assert.notEqual(mixDraw(m, 7, 3, 5, 32, 32).lambda, mixDraw(m, 7, 3, 6, 32, 32).lambda);
});

test('CutMix: timm\'s rand_bbox for given centres, λ corrected to the box; with mixup too, each batch takes one of the two', () => {
  const cases: [number, number, number, number, number][] = [];
  for (const [h, w] of [[32, 32], [20, 37], [7, 5]]) for (const lam of [0, 0.1, 0.5, 0.93, 1]) for (const [cy, cx] of [[0, 0], [h >> 1, w - 1], [h - 1, 3 % w]]) cases.push([h!, w!, lam, cy!, cx!]);
  const py = runPython<number[][]>(`
import numpy as np
res = []
for h, w, lam, cy, cx in inp:
    ratio = np.sqrt(1 - lam)
    cut_h, cut_w = int(h * ratio), int(w * ratio)
    yl = np.clip(cy - cut_h // 2, 0, h); yh = np.clip(cy + cut_h // 2, 0, h)
    xl = np.clip(cx - cut_w // 2, 0, w); xh = np.clip(cx + cut_w // 2, 0, w)
    res.append([int(yl), int(yh), int(xl), int(xh)])
out(res)
`, cases);
  cases.forEach(([h, w, lam, cy, cx], i) => {
    const b = cutmixBox(h, w, lam, cy, cx);
    assert.deepEqual([b.top, b.bottom, b.left, b.right], py[i], `h ${h} w ${w} λ ${lam} centre ${cy},${cx}`);
  });
  const kinds = { mixup: 0, cutmix: 0 };
  for (let batch = 0; batch < 200; batch++) {
    const d = mixDraw({ mixupAlpha: 0.4, cutmixAlpha: 1 }, 1, 0, batch, 24, 24);
    if (!d.box) { kinds.mixup++; continue; }
    kinds.cutmix++;
    assert.equal(d.lambda, 1 - ((d.box.bottom - d.box.top) * (d.box.right - d.box.left)) / (24 * 24));
  }
  assert.ok(kinds.mixup > 70 && kinds.cutmix > 70, JSON.stringify(kinds));
  assert.ok(Array.from({ length: 20 }, (_, b) => mixDraw({ mixupAlpha: null, cutmixAlpha: 1 }, 1, 0, b, 24, 24)).every((d) => d.box !== null));
});

test('the mixed inputs and the mixed loss of each task equal PyTorch\'s x·λ + x.flip(0)·(1 − λ) and λ·L(y) + (1 − λ)·L(y.flip(0))', () => {
  const lambda = 0.3;
  const n = 5;
  const xs = Array.from({ length: n * 3 * 2 * 2 }, (_, i) => Math.sin(i * 0.7) * 2);
  const z3 = Array.from({ length: n * 3 }, (_, i) => Math.cos(i * 1.1) * 1.5);
  const cases = [
    { kind: 'binary' as const, classes: ['a', 'b'], labels: [0, 1, 1, 0, 1], logits: z3.slice(0, n), width: 1, loss: { posWeight: [2.5], classWeights: null, labelSmoothing: 0 } },
    { kind: 'multiclass' as const, classes: ['a', 'b', 'c'], labels: [0, 2, 1, 2, 0], logits: z3, width: 3, loss: { posWeight: null, classWeights: [1, 2, 0.5], labelSmoothing: 0.1 } },
    { kind: 'multilabel' as const, classes: ['a', 'b', 'c'], labels: [1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0], logits: z3, width: 3, loss: { posWeight: [1, 3, 0.5], classWeights: null, labelSmoothing: 0 } },
  ];
  const ours = cases.map((c) => {
    const task = createTask(c.kind, c.classes, c.loss);
    const logits = tensor(Float32Array.from(c.logits), { shape: [n, c.width] });
    const y = task.targets(Float32Array.from(c.labels), 'cpu');
    const l = mixupLoss((t) => task.loss(logits, t), y, lambda);
    const v = l.item();
    for (const t of [logits, y, l]) t.dispose();
    return v;
  });
  const x = tensor(Float32Array.from(xs), { shape: [n, 3, 2, 2] });
  const box = { top: 1, bottom: 2, left: 0, right: 2 };
  const [mixedValues, cutValues] = [mixInputs(x, { lambda, box: null }), mixInputs(x, { lambda: 0.5, box })].map((t) => {
    const v = Array.from(t.toFloat32Array());
    t.dispose();
    return v;
  });
  x.dispose();
  const py = runPython<{ losses: number[]; mixed: number[]; cut: number[] }>(`
import torch
import torch.nn.functional as F
lam, n = inp['lambda'], inp['n']
losses = []
for c in inp['cases']:
    z = torch.tensor(c['logits'], dtype=torch.float32).reshape(n, c['width'])
    if c['kind'] == 'multiclass':
        y = torch.tensor(c['labels'], dtype=torch.int64)
        L = lambda t: F.cross_entropy(z, t, weight=torch.tensor(c['loss']['classWeights']), label_smoothing=c['loss']['labelSmoothing'])
    else:
        y = torch.tensor(c['labels'], dtype=torch.float32).reshape(n, c['width'])
        L = lambda t: F.binary_cross_entropy_with_logits(z, t, pos_weight=torch.tensor(c['loss']['posWeight']))
    losses.append((lam * L(y) + (1 - lam) * L(y.flip(0))).item())
x = torch.tensor(inp['xs'], dtype=torch.float32).reshape(n, 3, 2, 2)
cut = x.clone()
b = inp['box']
cut[:, :, b['top']:b['bottom'], b['left']:b['right']] = x.flip(0)[:, :, b['top']:b['bottom'], b['left']:b['right']]
out({'losses': losses, 'mixed': (x * lam + x.flip(0) * (1 - lam)).flatten().tolist(), 'cut': cut.flatten().tolist()})
`, { lambda, n, cases, xs, box });
  cases.forEach((c, i) => assert.ok(Math.abs(ours[i]! - py.losses[i]!) <= 1e-6 * Math.abs(py.losses[i]!), `${c.kind}: ${ours[i]} vs torch ${py.losses[i]}`));
  mixedValues.forEach((v, i) => assert.ok(Math.abs(v - py.mixed[i]!) <= 1e-6, `mixed input ${i}: ${v} vs ${py.mixed[i]}`));
  assert.deepEqual(cutValues, py.cut.map(Math.fround), 'the CutMix box is the mirror image\'s pixels, the rest the image\'s own');
});

test('mixup: true is alpha 0.4 (cutmix: 1); a number or {alpha} sets it; --mixup/--cutmix set it; a non-positive alpha is refused', () => {
  const data = '/data/x';
  assert.equal(resolveConfig({ overrides: { data } }).mixup, null);
  assert.deepEqual(resolveConfig({ raw: { mixup: true }, overrides: { data } }).mixup, { alpha: 0.4 });
  assert.deepEqual(resolveConfig({ raw: { mixup: 0.2 }, overrides: { data } }).mixup, { alpha: 0.2 });
  assert.deepEqual(resolveConfig({ raw: { mixup: { alpha: 1 } }, overrides: { data } }).mixup, { alpha: 1 });
  assert.deepEqual(resolveConfig({ overrides: { data, mixup: 0.8 } }).mixup, { alpha: 0.8 });
  assert.deepEqual(resolveConfig({ raw: { cutmix: true }, overrides: { data } }).cutmix, { alpha: 1 });
  assert.deepEqual(resolveConfig({ overrides: { data, cutmix: 0.5 } }).cutmix, { alpha: 0.5 });
  for (const key of ['mixup', 'cutmix']) {
    for (const bad of [0, -1, { alpha: 0 }, { beta: 1 }, 'lots']) {
      assert.throws(() => resolveConfig({ raw: { [key]: bad }, overrides: { data } }), (e: Error) => e instanceof ConfigError && new RegExp(`config\\.${key}`).test(e.message), `${key} ${JSON.stringify(bad)}`);
    }
  }
});

const untimed = (h: EpochRecord[]) => h.map(({ seconds: _s, images_per_second: _i, ...r }) => r);
const tensorsOf = (file: string) => new Map([...readSafetensors(file).tensors].map(([k, t]) => [k, Buffer.from(t.data).toString('base64')]));

test('a run with mixup and CutMix: no frozen-prefix cache (said in a warning), another history than without; Ctrl-C mid-epoch and resume equal the uninterrupted run', T, async () => {
  const data = await makeStripes(tempDir(), { train: 12, val: 4, test: 2 });
  const config = tinyConfig(data, ['mixup=0.4', 'cutmix=1', 'phases[0].earlyStopping=false', 'phases[1].earlyStopping=false']);
  const events: TrainEvent[] = [];
  const ref = await train(config, { out: tempDir('tlearn-mixup-'), handleSigint: false, quiet: true, skipEvaluation: true, onEvent: (e) => events.push(e) });
  const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
  assert.ok(warnings.some((w) => /mixup and cutmix train on mixed images, so the frozen layers' outputs are not cached/.test(w)), warnings.join('\n'));
  const starts = events.filter((e): e is Extract<TrainEvent, { type: 'phase'; event: 'start' }> => e.type === 'phase' && e.event === 'start');
  assert.deepEqual(starts.map((e) => e.cache), [null, null]);
  const plain = await train(tinyConfig(data, ['phases[0].earlyStopping=false', 'phases[1].earlyStopping=false']),
    { out: tempDir('tlearn-nomix-'), handleSigint: false, quiet: true, skipEvaluation: true });
  assert.notEqual(ref.history[0]!.train_loss, plain.history[0]!.train_loss, 'mixup changes the training loss');

  const out = tempDir('tlearn-mixup-int-');
  const ac = new AbortController();
  const first = await train(config, {
    out, handleSigint: false, quiet: true, skipEvaluation: true, batchEvents: true, signal: ac.signal,
    onEvent: (e) => { if (e.type === 'batch' && e.phase === 'phase2' && e.epoch === 1 && e.batch === 1) ac.abort(); },
  });
  assert.equal(first.interrupted, true);
  const resumed = await train(config, { out, resume: true, handleSigint: false, quiet: true, skipEvaluation: true });
  assert.deepEqual(untimed(resumed.history), untimed(ref.history));
  assert.deepEqual(tensorsOf(resumed.bestModel!), tensorsOf(ref.bestModel!));
});
