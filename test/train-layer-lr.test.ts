// Discriminative learning rates (phases[i].layerLrDecay; fastai's lr=slice(lo, hi), timm's layer_decay): one
// parameter group per trainable module in the network's order, each at the next one's rate times the decay; one SGD
// step of phase 2 moves layer4 by the decay times what it moves at one rate and the head alike; a one-cycle phase
// keeps the groups' ratio at every step; the history shows the head's rate; the configuration's bounds. Weight
// decay spared on biases and normalisation weights (phases[i].decayNormsAndBiases false, timm's filter_bias_and_bn):
// their groups, and one SGD step that decays the head's weight as before and its bias not at all.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { train, type TrainEvent } from '../src/train/index.js';
import { ConfigError } from '../src/train/config/index.js';
import { createOptimizer } from '../src/train/optimizers.js';
import { applyTrainable, trainableGroups } from '../src/train/plan.js';
import { readSafetensors } from '../src/io/index.js';
import { BinaryClassifier } from '../src/models/index.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

const T = { timeout: 600_000 };
// 8 training images, batch 8: one step per epoch.
const data = await makeStripes(tempDir(), { train: 4, val: 2, test: 1 });
const quiet = { handleSigint: false, quiet: true, skipEvaluation: true } as const;

test('one group per trainable module in the network\'s order (a parameter under its most specific module), rates lr x decay^k', () => {
  const model = new BinaryClassifier({ arch: 'resnet18' });
  try {
    applyTrainable(model, ['fc', 'layer4', 'layer3']);
    assert.deepEqual(trainableGroups(model, ['fc', 'layer4', 'layer3']).map((g) => g.module), ['layer3', 'layer4', 'fc']);
    applyTrainable(model, ['layer4', 'layer4.1', 'fc']);
    // layer4.0 (conv1, bn1, conv2, bn2, downsample: 9 parameters) stays with layer4, layer4.1's 6 form their own group.
    const nested = trainableGroups(model, ['layer4', 'layer4.1', 'fc']);
    assert.deepEqual(nested.map((g) => [g.module, g.params.length]), [['layer4', 9], ['layer4.1', 6], ['fc', 2]]);
    assert.deepEqual(nested[2]!.params.map(([n]) => n), ['fc.1.weight', 'fc.1.bias']);
    const phase = { ...tinyConfig(data, ['phases[1].layerLrDecay=0.5']).phases[1]!, trainable: ['fc', 'layer4', 'layer3'] };
    applyTrainable(model, phase.trainable);
    const opt = createOptimizer(phase, model);
    assert.deepEqual(opt.paramGroups.map((g) => g.lr), [phase.lr * 0.25, phase.lr * 0.5, phase.lr]);
    opt.dispose();
    // Without a decay: the one group of before.
    const plain = createOptimizer({ ...phase, layerLrDecay: 1 }, model);
    assert.equal(plain.paramGroups.length, 1);
    plain.dispose();
    // Biases and norms spared from weight decay: in each module's rate, a group of its own before the decayed one
    // (layer4: its BatchNorm weights and biases, 6 in the first block and 4 in the second, and its 5 convolutions).
    applyTrainable(model, ['layer4', 'fc']);
    const spare = { ...phase, trainable: ['layer4', 'fc'], weightDecay: 0.01, decayNormsAndBiases: false };
    const split = createOptimizer(spare, model);
    assert.deepEqual(split.paramGroups.map((g) => [g.params.length, g.lr, g.weightDecay]),
      [[10, phase.lr * 0.5, 0], [5, phase.lr * 0.5, 0.01], [1, phase.lr, 0], [1, phase.lr, 0.01]]);
    split.dispose();
    const oneRate = createOptimizer({ ...spare, layerLrDecay: 1 }, model);
    assert.deepEqual(oneRate.paramGroups.map((g) => [g.params.length, g.weightDecay]), [[11, 0], [6, 0.01]]);
    oneRate.dispose();
  } finally {
    model.dispose();
  }
});

/** The parameters of best_model_phase2 after phase 2's one SGD step (phase 1 skipped), by key. */
async function afterOneStep(set: string[], lr2: number): Promise<Map<string, Float64Array>> {
  const r = await train(tinyConfig(data, ['phases[1].optimizer=sgd', 'phases[1].momentum=0', ...set], { epochs1: 0, epochs2: 1, lr2, dropout: 0 }),
    { out: tempDir('tlearn-llr-'), ...quiet });
  const tensors = readSafetensors(r.bestModel!).tensors;
  return new Map([...tensors].filter(([k]) => /^(layer4|fc)\..*(weight|bias)$/.test(k) && !/running/.test(k))
    .map(([k, t]) => [k, Float64Array.from(new Float32Array(Uint8Array.from(t.data).buffer))]));
}

test('one SGD step: layer4 moves by layerLrDecay times its step at one rate, the head by the same step', T, async () => {
  const w0 = await afterOneStep([], 1e-30);
  const one = await afterOneStep([], 0.5);
  const decayed = await afterOneStep(['phases[1].layerLrDecay=0.1'], 0.5);
  let checked = 0;
  for (const [k, start] of w0) {
    const u = one.get(k)!.map((w, i) => w - start[i]!);
    const v = decayed.get(k)!.map((w, i) => w - start[i]!);
    const share = k.startsWith('fc.') ? 1 : 0.1;
    const scale = u.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    assert.ok(scale > 1e-6, `${k} moved`);
    v.forEach((x, i) => assert.ok(Math.abs(x - share * u[i]!) <= 1e-3 * share * scale + 1e-7, `${k}[${i}]: ${x} vs ${share} x ${u[i]}`));
    checked++;
  }
  assert.ok(checked > 10, `${checked} tensors`);
});

test('a one-cycle phase keeps the groups\' ratio at every step; the history and the start line show the head\'s rate', T, async () => {
  const events: TrainEvent[] = [];
  const out = tempDir('tlearn-llr-');
  const set = ['phases[1].layerLrDecay=0.1', 'phases[1].oneCycle=true'];
  const r = await train(tinyConfig(data, set, { epochs1: 1, epochs2: 3 }), { out, ...quiet, onEvent: (e) => events.push(e) });
  const plain = await train(tinyConfig(data, ['phases[1].oneCycle=true'], { epochs1: 1, epochs2: 3 }), { out: tempDir('tlearn-llr-'), ...quiet });
  assert.deepEqual(r.history.map((h) => h.lr), plain.history.map((h) => h.lr));
  const start = events.find((e) => e.type === 'start');
  assert.deepEqual(start?.type === 'start' && start.phases.map((p) => p.layer_lr_decay), [undefined, 0.1]);
  // RUN/last keeps the optimizer of phase 2's last epoch: its groups' rates, mid-cycle, still 1 : 10.
  const state = JSON.parse(fs.readFileSync(path.join(out, 'last', 'state.json'), 'utf8'));
  const groups = state.ended.progress.optimizer.paramGroups as { lr: number; maxLr: number }[];
  assert.equal(groups.length, 2);
  assert.ok(Math.abs(groups[0]!.lr / groups[1]!.lr - 0.1) < 1e-12, `${groups[0]!.lr} / ${groups[1]!.lr}`);
  assert.ok(Math.abs(groups[0]!.maxLr / groups[1]!.maxLr - 0.1) < 1e-12);
});

/** The head's weight and bias after phase 1's one SGD step (momentum 0, lr 0.5). */
async function headAfterStep(set: string[], lr1 = 0.5): Promise<Map<string, Float32Array>> {
  const r = await train(tinyConfig(data, ['phases[0].optimizer=sgd', 'phases[0].momentum=0', ...set], { epochs1: 1, epochs2: 0, lr1, dropout: 0 }),
    { out: tempDir('tlearn-wd-'), ...quiet });
  return new Map([...readSafetensors(r.bestModel!).tensors].filter(([k]) => k.startsWith('fc.')).map(([k, t]) => [k, new Float32Array(Uint8Array.from(t.data).buffer)]));
}

test('decayNormsAndBiases false: one SGD step decays the head\'s weight as before and leaves its bias undecayed', T, async () => {
  const all = await headAfterStep(['phases[0].weightDecay=0.1']);
  const spared = await headAfterStep(['phases[0].weightDecay=0.1', 'phases[0].decayNormsAndBiases=false']);
  const none = await headAfterStep([]);
  assert.deepEqual(spared.get('fc.1.weight'), all.get('fc.1.weight'));
  assert.deepEqual(spared.get('fc.1.bias'), none.get('fc.1.bias'));
  assert.notDeepEqual(all.get('fc.1.bias'), none.get('fc.1.bias'), 'weight decay moves the bias when it applies');
  assert.notDeepEqual(all.get('fc.1.weight'), none.get('fc.1.weight'));
});

test('layerLrDecay: in (0, 1], default 1', () => {
  assert.deepEqual(tinyConfig(data).phases.map((p) => p.layerLrDecay), [1, 1]);
  assert.deepEqual(tinyConfig(data).phases.map((p) => p.decayNormsAndBiases), [true, true]);
  assert.throws(() => tinyConfig(data, ['phases[0].decayNormsAndBiases=sometimes']), /config\.phases\[0\]\.decayNormsAndBiases/);
  for (const v of ['0', '1.5', '-0.1', 'fast']) {
    assert.throws(() => tinyConfig(data, [`phases[1].layerLrDecay=${v}`]), (e: Error) => e instanceof ConfigError && /config\.phases\[1\]\.layerLrDecay/.test(e.message), v);
  }
});
