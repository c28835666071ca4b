// Stochastic weight averaging (a phase's swa, --swa): the equal average against torch.optim.swa_utils.AveragedModel
// (buffers not averaged); in a run, training is untouched while the SWA rate is the phase's own, the average is
// the mean of the live weights at the end of the averaged epochs, the first averaged epoch validates those weights
// themselves; SWALR sets the averaged epochs' rates; the BatchNorm layers that train get statistics recomputed for
// the average, and the best checkpoint holds what was validated; a Ctrl-C in an averaged epoch and a resume that
// extends a finished phase continue exactly; settings that cannot work are refused.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { EpochRecord } from '../src/train/index.js';
import { ConfigError, type ConfigOverrides } from '../src/train/config/index.js';
import { WeightAverage } from '../src/train/weight-average.js';
import { loadCheckpoint, readSafetensors } from '../src/io/index.js';
import { BatchNorm2d, Conv2d, Sequential } from '../src/nn/index.js';
import { noGrad, scope, tensor } from '../src/torch/index.js';
import { cliIn } from './helpers/cli.js';
import { runPython } from './helpers/python.js';
import { makeStripes, recordedRun, removeTempDirs, tempDir, tinyConfig, type RecordedRun } from './train-fixtures.js';

after(removeTempDirs);

const T = { timeout: 600_000 };
const data = await makeStripes(tempDir(), { train: 12, val: 6, test: 2 });
const untimed = (h: EpochRecord[]) => h.map(({ seconds: _s, images_per_second: _i, ...r }) => r);
const tensorsOf = (file: string) => readSafetensors(file).tensors;
const floats = (file: string, key: string): number[] => Array.from(new Float32Array(Uint8Array.from(tensorsOf(file).get(key)!.data).buffer));
const bitsOf = (file: string) => new Map([...tensorsOf(file)].map(([k, t]) => [k, Buffer.from(t.data).toString('base64')]));

type Ran = RecordedRun;
const run = (set: string[], overrides: ConfigOverrides, opts: Parameters<typeof recordedRun>[1] = {}): Promise<Ran> =>
  recordedRun(tinyConfig(data, set, { lr1: 0.05, lr2: 0.01, dropout: 0, ...overrides }), opts);

test('the swa average equals AveragedModel\'s default (running mean of the parameters; buffers as at the start)', () => {
  const m = new Sequential(new Conv2d(2, 3, 1), new BatchNorm2d(3));
  const named = new Map([...m.namedParameters(), ...m.namedBuffers()]);
  named.get('0.bias')!.requiresGrad_(false);
  const shapes = Object.fromEntries([...named].map(([k, t]) => [k, t.shape]));
  const sizes = Object.fromEntries([...named].map(([k, t]) => [k, t.numel]));
  const states = [0, 1, 2, 3].map((s) => Object.fromEntries(Object.entries(sizes).map(([k, n]) => [k,
    k === '0.bias' ? Array.from({ length: n }, (_, i) => 0.1 * i) : k.endsWith('num_batches_tracked') ? [s + 7]
      : Array.from({ length: n }, (_, i) => Math.sin(3 * s + i + k.length) + (k.endsWith('running_var') ? 1.5 : 0))])));
  const set = (st: Record<string, number[]>) => scope(() => noGrad(() => {
    for (const [k, t] of named) t.copy_(tensor(Float64Array.from(st[k]!), { shape: shapes[k]! }).to(t.dtype));
  }));
  set(states[0]!);
  const swa = new WeightAverage(m, { kind: 'swa' });
  try {
    for (const st of states.slice(1)) {
      set(st);
      swa.update();
    }
    const py = runPython<Record<string, number[]>>(`
import torch
from torch.optim.swa_utils import AveragedModel
m = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 1), torch.nn.BatchNorm2d(3))
def put(st):
    with torch.no_grad():
        for k, v in m.state_dict().items():
            v.copy_(torch.tensor(st[k], dtype=torch.float64).to(v.dtype).reshape(v.shape))
put(inp['states'][0])
avg = AveragedModel(m)
for st in inp['states'][1:]:
    put(st)
    avg.update_parameters(m)
out({k: v.flatten().tolist() for k, v in avg.module.state_dict().items()})
`, { states });
    const got = swa.tensors();
    assert.deepEqual([...got.keys()].sort(), ['0.weight', '1.bias', '1.num_batches_tracked', '1.running_mean', '1.running_var', '1.weight']);
    for (const [k, t] of got) {
      const mine = k.endsWith('num_batches_tracked') ? [Number(t.item())] : Array.from(t.data() as Float32Array);
      mine.forEach((v, i) => assert.ok(Math.abs(v - py[k]![i]!) <= 1e-6 * Math.max(1, Math.abs(v)), `${k}[${i}]: ${v} vs torch ${py[k]![i]}`));
      t.dispose();
    }
    // The buffers are the start's; swapIn puts them in with the averaged parameters, swapOut the live ones back.
    assert.deepEqual(py['1.num_batches_tracked'], [7]);
    swa.swapIn();
    assert.equal(Number(named.get('1.num_batches_tracked')!.item()), 7);
    swa.swapOut();
    assert.equal(Number(named.get('1.num_batches_tracked')!.item()), 10);
  } finally {
    swa.dispose();
    m.dispose();
  }
});

test('phase 1: training is untouched at the phase\'s own rate; the average is the mean of the averaged epochs\' weights, the first of them validates those weights', T, async () => {
  const phase1 = { epochs1: 3, epochs2: 0 };
  const two = await run([], { epochs1: 2, epochs2: 0 });
  const plain = await run([], phase1);
  const averaged = await run(['phases[0].swa={start: 1, annealEpochs: 0}'], phase1);
  const trained = (h: EpochRecord[]) => h.map((r) => [r.lr, r.train_loss, r.train_accuracy]);
  assert.deepEqual(trained(averaged.history), trained(plain.history));
  assert.deepEqual(averaged.history.slice(0, 2).map((r) => r.val_loss), plain.history.slice(0, 2).map((r) => r.val_loss), 'epoch 2 validates the average of one');
  assert.notEqual(averaged.history[2]!.val_loss, plain.history[2]!.val_loss, 'epoch 3 validates the mean of two');
  const last = (r: Ran, f: string) => path.join(r.out, 'last', f);
  assert.deepEqual(bitsOf(last(averaged, 'ended-model.safetensors')), bitsOf(last(plain, 'ended-model.safetensors')), 'the live weights');
  for (const key of ['fc.1.weight', 'fc.1.bias']) {
    const w2 = floats(last(two, 'ended-model.safetensors'), key);
    const w3 = floats(last(plain, 'ended-model.safetensors'), key);
    const mean = floats(last(averaged, 'ended-ema.safetensors'), key);
    mean.forEach((v, i) => assert.ok(Math.abs(v - (w2[i]! + w3[i]!) / 2) <= 1e-6, `${key}[${i}]: ${v} vs ${(w2[i]! + w3[i]!) / 2}`));
    assert.ok(w2.some((v, i) => Math.abs(v - w3[i]!) > 1e-4), `${key} moved in epoch 3`);
  }
});

let full: Ran;
// Phase 2 trains layer4, whose BatchNorm layers train: the average gets statistics of its own.
const phase2 = ['phases[1].swa={start: 1, lr: 0.02, annealEpochs: 1}'];

test('phase 2: SWALR sets the averaged epochs\' rates; the best checkpoint holds the average with recomputed BatchNorm statistics and gives the history\'s numbers', T, async () => {
  full = await run(phase2, { epochs1: 1, epochs2: 3 });
  // SWALR begins after epoch 1 at the rate it finds (its first step, annealing 1 epoch), then reaches 0.02.
  assert.deepEqual(full.history.filter((r) => r.phase === 'phase2').map((r) => r.lr), [0.01, 0.01, 0.02]);
  const said = full.events.filter((e) => e.type === 'info' && /swa/.test(e.message)).map((e) => e.type === 'info' && e.message);
  assert.deepEqual(said, ['Phase phase2: weight averaging (swa) of epochs 2-3, validated and checkpointed from epoch 2']);

  // One averaged epoch only (start 0): the checkpoint is the average of one, with the statistics of update_bn.
  const one = await run(['phases[1].swa={start: 0}'], { epochs1: 1, epochs2: 1 });
  const best = path.join(one.out, 'best_model_phase2.safetensors');
  const meta = loadCheckpoint(best).metadata as { epoch: number; extra: Record<string, unknown> };
  assert.equal(meta.epoch, 1);
  assert.deepEqual(meta.extra.weight_average, { kind: 'swa', epochs: [1, 1], updates: 1 }, 'the checkpoint says what it averages');
  const live = path.join(one.out, 'last', 'ended-model.safetensors');
  const bits = (file: string, key: string) => Buffer.from(tensorsOf(file).get(key)!.data).toString('base64');
  assert.ok(bits(best, 'layer4.0.conv1.weight') === bits(live, 'layer4.0.conv1.weight'), 'an average of one: the live weights');
  const mean = floats(best, 'layer4.1.bn2.running_mean');
  const liveMean = floats(live, 'layer4.1.bn2.running_mean');
  // update_bn's are the batches' own averaged (momentum None), not 10 % steps from zero.
  assert.ok(mean.some((v, i) => Math.abs(v - liveMean[i]!) > 1e-3), 'recomputed statistics');
  assert.deepEqual([...tensorsOf(best).get('layer4.1.bn2.num_batches_tracked')!.data], [...tensorsOf(live).get('layer4.1.bn2.num_batches_tracked')!.data],
    '2 batches (update_bn) as 2 training steps');

  const dir = tempDir();
  const cli = cliIn(dir);
  assert.match((await cli(['info', best])).out, /\n  trained\s+phase2, epoch 1, the average of epoch 1 \(swa\); /);
  for (const r of [one, full]) {
    const file = path.join(r.out, 'best_model_phase2.safetensors');
    const meta = loadCheckpoint(file).metadata as { epoch: number };
    const row = r.history.find((h) => h.phase === 'phase2' && h.epoch === meta.epoch)!;
    const name = `ev-${path.basename(r.out)}`;
    const res = await cli(['evaluate', file, data, '--split', 'val', '--out', name, '--json', '--threads', '2']);
    assert.equal(res.code, 0, res.err);
    const m = JSON.parse(fs.readFileSync(path.join(dir, name, 'metrics.json'), 'utf8'));
    assert.ok(Math.abs(m.auc - row.val_auc) < 1e-9, `auc ${m.auc} vs history ${row.val_auc}`);
    assert.ok(Math.abs(m.log_loss - row.val_loss) < 1e-5, `log loss ${m.log_loss} vs history ${row.val_loss}`);
  }
});

test('a Ctrl-C in an averaged epoch, and a resume that extends a finished phase, continue the average and SWALR exactly', T, async () => {
  const cut = await run(phase2, { epochs1: 1, epochs2: 3 }, { abortAt: ['phase2', 3, 1] });
  assert.equal(cut.interrupted, true);
  const resumed = await run(phase2, { epochs1: 1, epochs2: 3 }, { out: cut.out, resume: true });
  assert.deepEqual(untimed(resumed.history), untimed(full.history));
  assert.deepEqual(bitsOf(resumed.model), bitsOf(full.model));
  const short = await run(phase2, { epochs1: 1, epochs2: 2 });
  const extended = await run(phase2, { epochs1: 1, epochs2: 3 }, { out: short.out, resume: true });
  assert.deepEqual(untimed(extended.history), untimed(full.history));
  assert.deepEqual(bitsOf(extended.model), bitsOf(full.model));
  // A start given as a share of the epochs moves with them: such a phase keeps its epochs once it has begun.
  const shared = ['phases[1].swa={start: 0.5, annealEpochs: 0}'];
  const half = await run(shared, { epochs1: 1, epochs2: 2 });
  await assert.rejects(run(shared, { epochs1: 1, epochs2: 4 }, { out: half.out, resume: true }),
    /phase2 averages its weights \(swa\) from 0\.5 of its 2 epochs on, which has begun; phases\[1\]\.epochs cannot change on resume/);
});

test('swa: true is start 0.8, the phase\'s rate, 10 cosine epochs; --swa sets it in every phase; what cannot work is refused', () => {
  assert.equal(tinyConfig(data).phases[1]!.swa, null);
  const every = tinyConfig(data, [], { swa: true, epochs1: 10, epochs2: 5 });
  assert.deepEqual(every.phases.map((p) => p.swa), [0, 1].map(() => ({ start: 0.8, lr: null, annealEpochs: 10, annealStrategy: 'cos' })));
  assert.deepEqual(tinyConfig(data, ['phases[1].swa={start: 3, lr: 1e-4, annealStrategy: linear}'], { epochs2: 5 }).phases[1]!.swa,
    { start: 3, lr: 1e-4, annealEpochs: 10, annealStrategy: 'linear' });
  const refused: [string[], ConfigOverrides, RegExp][] = [
    [['phases[1].swa={start: 2}'], { epochs2: 2 }, /phases\[1\]\.swa\.start\): 2 starts the averaging after epoch 2, but the phase has 2; give a share below 1 or a count below 2/],
    [['phases[1].swa={start: 1.5}'], { epochs2: 5 }, /neither a share of the phase's epochs \(below 1\) nor a whole number/],
    [['phases[1].swa={lr: 0}'], {}, /phases\[1\]\.swa\.lr/],
    [['phases[1].swa={annealEpochs: 1.5}'], {}, /phases\[1\]\.swa\.annealEpochs/],
    [['phases[1].swa={every: 2}'], {}, /phases\[1\]\.swa/],
    [['phases[1].swa=true', 'phases[1].oneCycle=true'], {}, /oneCycle sets the rate of every step of the phase, SWA that of its last epochs/],
    [['phases[1].swa=true', 'ema=0.9'], {}, /phases\[1\]\.swa\): ema already validates and checkpoints an average/],
  ];
  for (const [set, o, re] of refused) {
    assert.throws(() => tinyConfig(data, set, o), (e: Error) => e instanceof ConfigError && re.test(e.message), `${set.join(' ')}: ${re}`);
  }
  // A share is rounded down (Lightning's int(swa_epoch_start * max_epochs)): always below the phase's epochs.
  assert.equal(tinyConfig(data, ['phases[1].swa={start: 0.99}'], { epochs2: 1 }).phases[1]!.swa!.start, 0.99);
  // cosine (or the plateau) may precede the averaging.
  assert.ok(tinyConfig(data, ['phases[1].swa=true', 'phases[1].cosine=true'], { epochs2: 5 }).phases[1]!.cosine);
});
