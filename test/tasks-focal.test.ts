// The focal loss (config focalLoss, --focal-loss): F.sigmoidFocalLoss against torchvision.ops.sigmoid_focal_loss
// (values and gradients, several gamma and alpha, every reduction, soft targets as mixup makes them; gamma in (0, 1)
// refused: its gradient is NaN at a saturated prediction, torchvision's too), F.softmaxFocalLoss against
// kornia.losses.focal_loss's formula in torch (with class weights; gamma 0 is cross_entropy); in a run,
// gamma 0 without alpha is BCE (cross-entropy), the default one trains and is recorded in the checkpoint; where it
// does not apply (beside posWeight, or label smoothing) and bad values are refused naming the key.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, scope, tensor } from '../src/torch/index.js';
import { train, type TrainEvent } from '../src/train/index.js';
import { ConfigError } from '../src/train/config/index.js';
import { loadCheckpoint } from '../src/io/index.js';
import { runPython } from './helpers/python.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

const T = { timeout: 600_000 };
const LOGITS = [-20, -3.5, -0.7, 0, 0.2, 1.1, 2.5, 9, 30, -1.3, 0.05, 4];
const TARGETS = [0, 1, 0, 1, 1, 0, 1, 0, 1, 0.3, 0.7, 1];
const CASES = [{ gamma: 2, alpha: 0.25 }, { gamma: 1, alpha: null }, { gamma: 0, alpha: 0.9 }, { gamma: 3.5, alpha: 0 }];
const data = await makeStripes(tempDir(), { train: 8, val: 4, test: 2 });
const quiet = { handleSigint: false, quiet: true, skipEvaluation: true } as const;

test('F.sigmoidFocalLoss equals torchvision.ops.sigmoid_focal_loss: values (none, mean, sum) and gradients', () => {
  const py = runPython<{ none: number[]; mean: number; sum: number; grad: number[] }[]>(`
import torch
from torchvision.ops import sigmoid_focal_loss
res = []
for c in inp['cases']:
    x = torch.tensor(inp['logits'], dtype=torch.float32, requires_grad=True)
    t = torch.tensor(inp['targets'], dtype=torch.float32)
    a = -1 if c['alpha'] is None else c['alpha']
    loss = sigmoid_focal_loss(x, t, alpha=a, gamma=c['gamma'], reduction='mean')
    loss.backward()
    res.append({'none': sigmoid_focal_loss(x, t, alpha=a, gamma=c['gamma'], reduction='none').tolist(),
                'mean': loss.item(), 'sum': sigmoid_focal_loss(x, t, alpha=a, gamma=c['gamma'], reduction='sum').item(),
                'grad': x.grad.tolist()})
out(res)
`, { cases: CASES, logits: LOGITS, targets: TARGETS });
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} vs torchvision ${b}`);
  CASES.forEach((c, i) => {
    scope(() => {
      const x = tensor(Float32Array.from(LOGITS), { requiresGrad: true });
      const t = tensor(Float32Array.from(TARGETS));
      const none = F.sigmoidFocalLoss(x, t, { ...c, reduction: 'none' }).toFloat32Array();
      none.forEach((v, k) => close(v, py[i]!.none[k]!, `${JSON.stringify(c)} none[${k}]`));
      close(F.sigmoidFocalLoss(x, t, { ...c, reduction: 'sum' }).item(), py[i]!.sum, `${JSON.stringify(c)} sum`);
      const mean = F.sigmoidFocalLoss(x, t, c);
      close(mean.item(), py[i]!.mean, `${JSON.stringify(c)} mean`);
      mean.backward();
      x.grad!.toFloat32Array().forEach((g, k) => close(g, py[i]!.grad[k]!, `${JSON.stringify(c)} grad[${k}]`));
    });
  });
});

test('F.softmaxFocalLoss equals kornia.losses.focal_loss\'s formula (class weights too): values (none, mean, sum) and gradients', () => {
  const logits = [[2, -1, 0.5], [-3, 4, 0], [0.1, 0.2, 0.3], [9, -9, 0], [-0.5, -0.5, 2.5], [1, 1, 1]];
  const targets = [0, 2, 1, 1, 2, 0];
  const cases = [{ gamma: 2, alpha: 0.25, weight: null }, { gamma: 0, alpha: null, weight: null }, { gamma: 1, alpha: null, weight: [0.5, 2, 1] },
    { gamma: 3.5, alpha: 0.9, weight: [1, 1, 3] }];
  const py = runPython<{ none: number[]; mean: number; sum: number; grad: number[]; ce: number | null }[]>(`
import torch
import torch.nn.functional as F
res = []
for c in inp['cases']:
    x = torch.tensor(inp['logits'], dtype=torch.float32, requires_grad=True)
    t = torch.tensor(inp['targets'])
    def focal(reduction):
        # kornia.losses.focal_loss: -alpha (1 - p)^gamma log p at the target class (one-hot einsum), times the class weight
        p, logp = x.softmax(1), x.log_softmax(1)
        term = -(1 if c['alpha'] is None else c['alpha']) * torch.pow(1 - p, c['gamma']) * logp
        if c['weight'] is not None: term = term * torch.tensor(c['weight'])
        l = torch.einsum('bc,bc->b', F.one_hot(t, 3).float(), term)
        return {'none': l, 'mean': l.mean(), 'sum': l.sum()}[reduction]
    loss = focal('mean')
    loss.backward()
    plain = c['gamma'] == 0 and c['alpha'] is None and c['weight'] is None
    res.append({'none': focal('none').tolist(), 'mean': loss.item(), 'sum': focal('sum').item(), 'grad': x.grad.flatten().tolist(),
                'ce': F.cross_entropy(x, t).item() if plain else None})
out(res)
`, { cases, logits, targets });
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  cases.forEach((c, i) => {
    scope(() => {
      const x = tensor(Float32Array.from(logits.flat()), { shape: [6, 3], requiresGrad: true });
      const t = tensor(BigInt64Array.from(targets.map(BigInt)), { shape: [6] });
      const o = { gamma: c.gamma, alpha: c.alpha, ...(c.weight ? { weight: tensor(Float32Array.from(c.weight)) } : {}) };
      F.softmaxFocalLoss(x, t, { ...o, reduction: 'none' }).toFloat32Array().forEach((v, k) => close(v, py[i]!.none[k]!, `${JSON.stringify(c)} none[${k}]`));
      close(F.softmaxFocalLoss(x, t, { ...o, reduction: 'sum' }).item(), py[i]!.sum, `${JSON.stringify(c)} sum`);
      const mean = F.softmaxFocalLoss(x, t, o);
      close(mean.item(), py[i]!.mean, `${JSON.stringify(c)} mean`);
      if (py[i]!.ce !== null) close(mean.item(), py[i]!.ce!, 'gamma 0 without alpha or weights: cross_entropy');
      mean.backward();
      x.grad!.toFloat32Array().forEach((g, k) => close(g, py[i]!.grad[k]!, `${JSON.stringify(c)} grad[${k}]`));
    });
  });
});

test('in a run: gamma 0 without alpha is BCE; the default focal loss trains, says so and is recorded in the checkpoints', T, async () => {
  const bce = await train(tinyConfig(data, [], { dropout: 0 }), { out: tempDir('tlearn-focal-'), ...quiet });
  const plainFocal = await train(tinyConfig(data, ['focalLoss={gamma: 0, alpha: null}'], { dropout: 0 }), { out: tempDir('tlearn-focal-'), ...quiet });
  bce.history.forEach((row, i) => {
    for (const k of ['train_loss', 'val_loss', 'val_auc'] as const) assert.ok(Math.abs(plainFocal.history[i]![k] - row[k]) < 1e-6, `row ${i} ${k}: ${plainFocal.history[i]![k]} vs ${row[k]}`);
  });
  const events: TrainEvent[] = [];
  const focal = await train(tinyConfig(data, [], { dropout: 0, focalLoss: true }), { out: tempDir('tlearn-focal-'), ...quiet, onEvent: (e) => events.push(e) });
  assert.ok(events.some((e) => e.type === 'info' && e.message === 'loss: sigmoid focal loss, gamma 2, alpha 0.25 for positives'));
  // Focal terms are below BCE's (each is scaled by (1 - p_t)^2 <= 1 and alpha_t <= 0.75).
  assert.ok(focal.history[0]!.train_loss < 0.75 * bce.history[0]!.train_loss, `${focal.history[0]!.train_loss} vs BCE ${bce.history[0]!.train_loss}`);
  const meta = loadCheckpoint(focal.bestModel!).metadata as { extra: Record<string, unknown> };
  assert.deepEqual(meta.extra.focal_loss, { gamma: 2, alpha: 0.25 });
  assert.equal((loadCheckpoint(bce.bestModel!).metadata as { extra: Record<string, unknown> }).extra.focal_loss, undefined);
});

test('focalLoss: true is torchvision\'s gamma 2, alpha 0.25; bad values, multiclass and posWeight beside it are refused', T, async () => {
  assert.equal(tinyConfig(data).focalLoss, null);
  assert.deepEqual(tinyConfig(data, ['focalLoss=true']).focalLoss, { gamma: 2, alpha: 0.25 });
  assert.deepEqual(tinyConfig(data, ['focalLoss={gamma: 1, alpha: null}']).focalLoss, { gamma: 1, alpha: null });
  // 0 < gamma < 1: (1 - p_t)^gamma is infinitely steep at p_t = 1, where a saturated prediction makes the gradient NaN.
  assert.throws(() => tinyConfig(data, ['focalLoss={gamma: 0.5}']), (e: Error) => e instanceof ConfigError && /config\.focalLoss\.gamma\): 0\.5 .*NaN.*0 or at least 1/.test(e.message));
  for (const v of ['{gamma: -1}', '{alpha: 1.5}', '{beta: 1}', '2']) {
    assert.throws(() => tinyConfig(data, [`focalLoss=${v}`]), (e: Error) => e instanceof ConfigError && /config\.focalLoss/.test(e.message), v);
  }
  await assert.rejects(train(tinyConfig(data, ['focalLoss=true', 'posWeight=2']), { out: tempDir('tlearn-focal-'), ...quiet }),
    (e: Error) => e instanceof ConfigError && /posWeight weighs BCE, which focalLoss replaces; weigh the positives with focalLoss\.alpha/.test(e.message));
  await assert.rejects(train(tinyConfig(data, ['focalLoss=true', 'task=multiclass', 'labelSmoothing=0.1']), { out: tempDir('tlearn-focal-'), ...quiet }),
    (e: Error) => e instanceof ConfigError && /labelSmoothing smooths the targets of cross-entropy, which focalLoss replaces/.test(e.message));
});

test('a multiclass run: gamma 0 without alpha is cross-entropy; the default softmax focal loss trains, says so and is recorded', T, async () => {
  const mc = (set: string[]) => tinyConfig(data, ['task=multiclass', 'classWeights=auto', ...set], { dropout: 0, epochs1: 1, epochs2: 1 });
  const ce = await train(mc([]), { out: tempDir('tlearn-focal-'), ...quiet });
  const plain = await train(mc(['focalLoss={gamma: 0, alpha: null}']), { out: tempDir('tlearn-focal-'), ...quiet });
  ce.history.forEach((row, i) => {
    for (const k of ['train_loss', 'val_loss', 'val_auc'] as const) assert.ok(Math.abs(plain.history[i]![k] - row[k]) < 1e-6, `row ${i} ${k}: ${plain.history[i]![k]} vs ${row[k]}`);
  });
  const events: TrainEvent[] = [];
  const focal = await train(mc(['focalLoss=true']), { out: tempDir('tlearn-focal-'), ...quiet, onEvent: (e) => events.push(e) });
  assert.ok(events.some((e) => e.type === 'info' && e.message === 'loss: softmax focal loss, gamma 2, alpha 0.25 (a factor of every term, as kornia\'s focal_loss)'),
    events.flatMap((e) => (e.type === 'info' ? [e.message] : [])).join('\n'));
  assert.ok(focal.history[0]!.train_loss < 0.25 * ce.history[0]!.train_loss, `${focal.history[0]!.train_loss} vs cross-entropy ${ce.history[0]!.train_loss}`);
  const extra = (loadCheckpoint(focal.bestModel!).metadata as { extra: Record<string, unknown> }).extra;
  assert.deepEqual(extra.focal_loss, { gamma: 2, alpha: 0.25 });
});
