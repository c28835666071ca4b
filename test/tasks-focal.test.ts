// The sigmoid focal loss (config focalLoss, --focal-loss): F.sigmoidFocalLoss against torchvision.ops.sigmoid_focal_loss
// (values and gradients, several gamma and alpha, every reduction, soft targets as mixup makes them; gamma in (0, 1)
// refused: its gradient is NaN at a saturated prediction, torchvision's too); in a run,
// gamma 0 without alpha is BCE, the default one trains and is recorded in the checkpoint; where it does not apply
// (multiclass, beside posWeight) and bad values are refused naming the key.
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
  await assert.rejects(train(tinyConfig(data, ['focalLoss=true', 'task=multiclass']), { out: tempDir('tlearn-focal-'), ...quiet }),
    (e: Error) => e instanceof ConfigError && /focalLoss is for binary and multilabel tasks/.test(e.message));
});
