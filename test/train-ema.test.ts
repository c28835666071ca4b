// The moving average of the weights (config ema, --ema): its averages against torch.optim.swa_utils.AveragedModel
// with an EMA average (lerp, the first step copied, buffers averaged); in a run, decay 0 is the run without it bit
// for bit, training is untouched by it (phase 1's training losses equal the plain run's), validation and the best
// checkpoint are the averages' (the checkpoint evaluated on the validation split gives the history's numbers), a
// Ctrl-C mid-epoch and a resume that extends a finished phase continue the averages exactly; bad values refused.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { train, type EpochRecord, type TrainEvent } from '../src/train/index.js';
import { ConfigError } from '../src/train/config/index.js';
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
const bitsOf = (file: string) => new Map([...readSafetensors(file).tensors].map(([k, t]) => [k, Buffer.from(t.data).toString('base64')]));
const quiet = { handleSigint: false, quiet: true, skipEvaluation: true } as const;
// High rates, so that the weights (and their averages) move visibly in few steps.
const cfg = (ema: number | null, epochs2 = 3) => tinyConfig(data, ema === null ? [] : [`ema=${ema}`], { epochs1: 2, epochs2, lr1: 0.05, lr2: 0.01, dropout: 0 });

test('the averages equal AveragedModel\'s with an EMA average (lerp by 1 - decay, first step copied, buffers averaged)', () => {
  const m = new Sequential(new Conv2d(2, 3, 1), new BatchNorm2d(3));
  const named = new Map([...m.namedParameters(), ...m.namedBuffers()]);
  named.get('0.bias')!.requiresGrad_(false); // frozen: not averaged (and constant, as in a phase)
  const shapes = Object.fromEntries([...named].map(([k, t]) => [k, t.shape]));
  const sizes = Object.fromEntries([...named].map(([k, t]) => [k, t.numel]));
  // Four steps' values of every tensor: the frozen bias and the step counter as a phase leaves them.
  const states = [0, 1, 2, 3].map((s) => Object.fromEntries(Object.entries(sizes).map(([k, n]) => [k,
    k === '0.bias' ? Array.from({ length: n }, (_, i) => 0.1 * i) : k.endsWith('num_batches_tracked') ? [s + 1]
      : Array.from({ length: n }, (_, i) => Math.sin(3 * s + i + k.length) + (k.endsWith('running_var') ? 1.5 : 0))])));
  const decay = 0.7;
  const ema = new WeightAverage(m, { kind: 'ema', decay });
  try {
    for (const st of states) {
      scope(() => noGrad(() => {
        for (const [k, t] of named) t.copy_(tensor(Float64Array.from(st[k]!), { shape: shapes[k]! }).to(t.dtype));
      }));
      ema.update();
    }
    const py = runPython<Record<string, number[]>>(`
import torch
from torch.optim.swa_utils import AveragedModel
m = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 1), torch.nn.BatchNorm2d(3))
d = inp['decay']
avg = AveragedModel(m, avg_fn=lambda a, p, n: torch.lerp(a, p, 1 - d) if a.is_floating_point() else p, use_buffers=True)
for st in inp['states']:
    with torch.no_grad():
        for k, v in m.state_dict().items():
            v.copy_(torch.tensor(st[k], dtype=torch.float64).to(v.dtype).reshape(v.shape))
    avg.update_parameters(m)
out({k: v.flatten().tolist() for k, v in avg.module.state_dict().items()})
`, { decay, states });
    const got = ema.tensors();
    assert.deepEqual([...got.keys()].sort(), ['0.weight', '1.bias', '1.running_mean', '1.running_var', '1.weight']);
    for (const [k, t] of got) {
      const mine = Array.from(t.data() as Float32Array);
      mine.forEach((v, i) => assert.ok(Math.abs(v - py[k]![i]!) <= 1e-6 * Math.max(1, Math.abs(v)), `${k}[${i}]: ${v} vs torch ${py[k]![i]}`));
      t.dispose();
    }
    assert.deepEqual(py['0.bias'], states[0]!['0.bias']!.map((v) => Math.fround(v)), 'the frozen bias: its constant value');
    // swapIn puts the averages in, swapOut the live values back.
    const live = Array.from(named.get('0.weight')!.data() as Float32Array);
    ema.swapIn();
    assert.deepEqual(Array.from(named.get('0.weight')!.data() as Float32Array), py['0.weight']!.map((v) => Math.fround(v)));
    ema.swapOut();
    assert.deepEqual(Array.from(named.get('0.weight')!.data() as Float32Array), live);
  } finally {
    ema.dispose();
    m.dispose();
  }
});

type Ran = RecordedRun;
const run = (ema: number | null, opts: Parameters<typeof recordedRun>[1] & { epochs2?: number } = {}): Promise<Ran> => recordedRun(cfg(ema, opts.epochs2), opts);

let plain: Ran;
let averaged: Ran;

test('decay 0 is the run without an average, bit for bit; with one, training is untouched and validation differs', T, async () => {
  plain = await run(null);
  const zero = await run(0);
  assert.deepEqual(untimed(zero.history), untimed(plain.history));
  for (const f of ['best_model_phase1', 'best_model_phase2', 'best_model_final']) {
    assert.deepEqual(bitsOf(path.join(zero.out, `${f}.safetensors`)), bitsOf(path.join(plain.out, `${f}.safetensors`)), f);
  }
  averaged = await run(0.5);
  const start = averaged.events.find((e) => e.type === 'start');
  assert.equal(start?.type === 'start' && start.ema_decay, 0.5);
  // Phase 1 trains the same live weights (the averages only change what validation sees).
  const p1 = (h: EpochRecord[]) => h.filter((r) => r.phase === 'phase1').map((r) => [r.train_loss, r.train_accuracy]);
  assert.deepEqual(p1(averaged.history), p1(plain.history));
  assert.notDeepEqual(averaged.history[0]!.val_loss, plain.history[0]!.val_loss);
  assert.ok(!averaged.events.some((e) => e.type === 'warning' && /ema/.test(e.message)), 'decay 0.5 spans 2 steps: no warning');
});

test('the best checkpoint holds the averages: evaluated on the validation split it gives the history\'s numbers; the final model is that checkpoint', T, async () => {
  // best_model_final is the chosen phase's checkpoint, not the live weights the averages were swapped out for: also
  // when the phase's best epoch is its last (one epoch of one phase here), right after which the live weights come back.
  const short = await train(tinyConfig(data, ['ema=0.5'], { epochs1: 1, epochs2: 0, lr1: 0.05, dropout: 0 }), { out: tempDir('tlearn-ema-'), ...quiet });
  for (const r of [averaged, { model: short.bestModel!, out: path.dirname(short.bestModel!) }]) {
    const final = loadCheckpoint(r.model).metadata as { phase: string };
    assert.deepEqual(bitsOf(r.model), bitsOf(path.join(r.out, `best_model_${final.phase}.safetensors`)), `${r.out}: final = ${final.phase}'s`);
  }
  const dir = tempDir();
  const cli = cliIn(dir);
  for (const phase of ['phase1', 'phase2']) {
    const file = path.join(averaged.out, `best_model_${phase}.safetensors`);
    const meta = loadCheckpoint(file).metadata as { epoch: number; extra: { weight_average: { kind: string; decay: number; updates: number } } };
    assert.deepEqual([meta.extra.weight_average.kind, meta.extra.weight_average.decay], ['ema', 0.5], `${phase}: the checkpoint says it holds an average`);
    assert.ok(meta.extra.weight_average.updates >= 2);
    const row = averaged.history.find((r) => r.phase === phase && r.epoch === meta.epoch)!;
    const r = await cli(['evaluate', file, data, '--split', 'val', '--out', `ev-${phase}`, '--json', '--threads', '2']);
    assert.equal(r.code, 0, r.err);
    const m = JSON.parse(fs.readFileSync(path.join(dir, `ev-${phase}`, 'metrics.json'), 'utf8'));
    assert.ok(Math.abs(m.auc - row.val_auc) < 1e-9, `${phase}: auc ${m.auc} vs history ${row.val_auc}`);
    assert.ok(Math.abs(m.log_loss - row.val_loss) < 1e-5, `${phase}: log loss ${m.log_loss} vs history ${row.val_loss}`);
  }
});

test('a Ctrl-C mid-epoch, and a resume that extends a finished phase, continue the averages exactly', T, async () => {
  const cut = await run(0.5, { abortAt: ['phase2', 2, 1] });
  assert.equal(cut.interrupted, true);
  assert.ok(fs.existsSync(path.join(cut.out, 'last', 'ema.safetensors')), 'RUN/last keeps the averages');
  const resumed = await run(0.5, { out: cut.out, resume: true });
  assert.deepEqual(untimed(resumed.history), untimed(averaged.history));
  assert.deepEqual(bitsOf(resumed.model), bitsOf(averaged.model));
  // Phase 2 to 2 epochs, then raised to 3 on resume: its last epoch's live weights and averages come back.
  const short = await run(0.5, { epochs2: 2 });
  const extended = await run(0.5, { out: short.out, resume: true });
  assert.deepEqual(untimed(extended.history), untimed(averaged.history));
  assert.deepEqual(bitsOf(extended.model), bitsOf(averaged.model));
});

test('ema: true is decay 0.99, a number its decay; outside [0, 1) refused; a decay longer than the phase is warned of', T, async () => {
  assert.equal(tinyConfig(data).ema, null);
  assert.deepEqual(tinyConfig(data, ['ema=true']).ema, { decay: 0.99 });
  assert.deepEqual(tinyConfig(data, ['ema={decay: 0.9}']).ema, { decay: 0.9 });
  assert.deepEqual(tinyConfig(data, [], { ema: 0.95 }).ema, { decay: 0.95 });
  for (const v of ['1', '-0.1', 'lots', '{decay: 2}', '{rate: 0.9}']) {
    assert.throws(() => tinyConfig(data, [`ema=${v}`]), (e: Error) => e instanceof ConfigError && /config\.ema/.test(e.message), v);
  }
  const events: TrainEvent[] = [];
  await train(tinyConfig(data, ['ema=0.99'], { epochs1: 1, epochs2: 0 }), { out: tempDir('tlearn-ema-'), ...quiet, onEvent: (e) => events.push(e) });
  const warned = events.find((e) => e.type === 'warning' && /^ema: decay 0\.99 averages about 100 optimizer steps, but phase phase1 has at most 3/.test(e.message));
  assert.ok(warned, JSON.stringify(events.filter((e) => e.type === 'warning')));
});
