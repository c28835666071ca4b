// The schedules that span a phase's epochs. One-cycle (config phases[i].oneCycle, fastai's fit_one_cycle on
// PyTorch's OneCycleLR): the configuration (defaults, the plateau it replaces, bad values), the rate of every step
// of a real run against torch.optim.lr_scheduler.OneCycleLR, a Ctrl-C mid-epoch and resume equal to the
// uninterrupted run, a resume that would reshape a begun cycle refused. Cosine annealing (phases[i].cosine):
// its configuration and each epoch's rate against CosineAnnealingLR; with interval step, each step's rate. (States saved before the keys existed:
// train-resume-config.test.ts.)
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { train, type EpochRecord, type RunResult, type TrainEvent } from '../src/train/index.js';
import { ConfigError, resolveConfig, type RunConfig } from '../src/train/config/index.js';
import { DEFAULT_ONE_CYCLE } from '../src/train/config/defaults.js';
import { TrainSetupError } from '../src/train/index.js';
import { readSafetensors } from '../src/io/index.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';
import { runPython } from './helpers/python.js';

after(removeTempDirs);

const T = { timeout: 600_000 };
const data = await makeStripes(tempDir(), { train: 12, val: 4, test: 2 });
const untimed = (h: EpochRecord[]) => h.map(({ seconds: _s, images_per_second: _i, ...r }) => r);
const tensorsOf = (file: string) => new Map([...readSafetensors(file).tensors].map(([k, t]) => [k, Buffer.from(t.data).toString('base64')]));

/** A Ctrl-C after the first batch of epoch 2, then --resume: the same history and weights as the uninterrupted run `r`. */
async function resumesAlike(config: RunConfig, r: RunResult, prefix: string): Promise<void> {
  const out = tempDir(prefix);
  const ac = new AbortController();
  const first = await train(config, {
    out, handleSigint: false, quiet: true, skipEvaluation: true, batchEvents: true, signal: ac.signal,
    onEvent: (e) => { if (e.type === 'batch' && e.epoch === 2 && e.batch === 1) ac.abort(); },
  });
  assert.equal(first.interrupted, true);
  const resumed = await train(config, { out, resume: true, handleSigint: false, quiet: true, skipEvaluation: true });
  assert.deepEqual(untimed(resumed.history), untimed(r.history));
  assert.deepEqual(tensorsOf(resumed.bestModel!), tensorsOf(r.bestModel!));
}

// Phase 1: torch's defaults; phase 2: other settings. No early stopping, so that every step of both cycles runs.
const SET = ['phases[0].oneCycle=true', 'phases[1].oneCycle={pctStart: 0.25, annealStrategy: linear, divFactor: 10, finalDivFactor: 100}',
  'phases[0].earlyStopping=false', 'phases[1].earlyStopping=false'];

test('oneCycle: true takes OneCycleLR\'s defaults and drops the default plateau; the seed\'s phases have none', () => {
  const seed = resolveConfig({ overrides: { data } });
  assert.deepEqual(seed.phases.map((p) => p.oneCycle), [null, null]);
  assert.ok(seed.phases.every((p) => p.reduceLROnPlateau !== null));
  const c = tinyConfig(data, SET);
  assert.deepEqual(c.phases[0]!.oneCycle, DEFAULT_ONE_CYCLE);
  assert.deepEqual(c.phases[1]!.oneCycle, { ...DEFAULT_ONE_CYCLE, pctStart: 0.25, annealStrategy: 'linear', divFactor: 10, finalDivFactor: 100 });
  assert.deepEqual(c.phases.map((p) => p.reduceLROnPlateau), [null, null]);
  // The resolved configuration (RUN/config.json) reads back to itself.
  assert.deepEqual(resolveConfig({ raw: JSON.parse(JSON.stringify(c)) }).phases, c.phases);
  // --one-cycle: every phase, keeping the settings a file gives one.
  const flag = resolveConfig({ overrides: { data, oneCycle: true } });
  assert.deepEqual(flag.phases.map((p) => [p.oneCycle, p.reduceLROnPlateau]), [[DEFAULT_ONE_CYCLE, null], [DEFAULT_ONE_CYCLE, null]]);
  const file = resolveConfig({ raw: { phases: [{ oneCycle: { pctStart: 0.25 } }, {}] }, overrides: { data, oneCycle: true } });
  assert.deepEqual(file.phases.map((p) => p.oneCycle?.pctStart), [0.25, 0.3]);
});

test('oneCycle with an explicit reduceLROnPlateau, or with bad values, is refused naming the key', () => {
  const fails = (set: string[], re: RegExp) => assert.throws(() => tinyConfig(data, set), (e: Error) => e instanceof ConfigError && re.test(e.message), set.join(' '));
  fails(['phases[0].oneCycle=true', 'phases[0].reduceLROnPlateau={patience: 2}'], /phases\[0\]\.reduceLROnPlateau.*set by the cycle after every batch/);
  fails(['phases[0].oneCycle={pctStart: 1.5}'], /phases\[0\]\.oneCycle\.pctStart/);
  fails(['phases[0].oneCycle={divFactor: 0.5}'], /phases\[0\]\.oneCycle\.divFactor/);
  fails(['phases[0].oneCycle={annealStrategy: cosine}'], /phases\[0\]\.oneCycle\.annealStrategy/);
  fails(['phases[0].oneCycle={maxMomentum: 1}'], /phases\[0\]\.oneCycle\.maxMomentum/);
  fails(['phases[0].oneCycle={pct_start: 0.2}'], /phases\[0\]\.oneCycle.*pct_start/);
  // Switched off explicitly, the plateau may stay off beside it.
  assert.equal(tinyConfig(data, ['phases[0].oneCycle=true', 'phases[0].reduceLROnPlateau=false']).phases[0]!.reduceLROnPlateau, null);
});

/** Each phase's rate per step, from the batch events of a run. */
function stepRates(events: TrainEvent[]): Map<string, number[]> {
  const rates = new Map<string, number[]>();
  for (const e of events) if (e.type === 'batch') rates.set(e.phase, [...(rates.get(e.phase) ?? []), e.lr]);
  return rates;
}

let refOut = '';
let refHistory: EpochRecord[] = [];
let refRates = new Map<string, number[]>();
let refModel = '';

test('the rate of every step of both phases equals torch\'s OneCycleLR over epochs × batches, peaking at the phase\'s lr', T, async () => {
  const config = tinyConfig(data, SET);
  refOut = tempDir('tlearn-1cycle-');
  const events: TrainEvent[] = [];
  const r = await train(config, { out: refOut, handleSigint: false, quiet: true, skipEvaluation: true, batchEvents: true, onEvent: (e) => events.push(e) });
  refHistory = r.history;
  refRates = stepRates(events);
  refModel = r.bestModel!;
  const batches = (events.find((e) => e.type === 'batch') as { batches: number }).batches;
  assert.ok(batches >= 2, `${batches} batches per epoch`);
  const phases = config.phases.map((p) => ({ lr: p.lr, epochs: p.epochs, ...p.oneCycle! }));
  const want = runPython<number[][]>(`
import torch
res = []
for c in inp['phases']:
    p = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.Adam([p], lr=c['lr'])
    s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=c['lr'], epochs=c['epochs'], steps_per_epoch=inp['batches'],
        pct_start=c['pctStart'], anneal_strategy=c['annealStrategy'], cycle_momentum=c['cycleMomentum'],
        base_momentum=c['baseMomentum'], max_momentum=c['maxMomentum'], div_factor=c['divFactor'], final_div_factor=c['finalDivFactor'])
    lrs = []
    for _ in range(c['epochs'] * inp['batches']):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        s.step()
    res.append(lrs)
out(res)
`, { phases, batches });
  for (const [i, p] of config.phases.entries()) {
    const got = refRates.get(p.name)!;
    assert.equal(got.length, want[i]!.length, p.name);
    got.forEach((lr, k) => assert.ok(Math.abs(lr - want[i]![k]!) <= 1e-12 * p.lr, `${p.name} step ${k + 1}: ${lr} vs torch ${want[i]![k]}`));
    // The cycle starts at lr / divFactor, rises towards the phase's lr (on so few steps it may not reach it) and ends below its start.
    assert.ok(Math.abs(got[0]! - p.lr / p.oneCycle!.divFactor) <= 1e-12 * p.lr && Math.max(...got) > 0.5 * p.lr && got.at(-1)! < got[0]!, `${p.name}: ${got}`);
  }
  // The history's lr is each epoch's first step's.
  assert.deepEqual(refHistory.map((h) => h.lr), config.phases.flatMap((p) => [refRates.get(p.name)![0], refRates.get(p.name)![batches]]));
});

test('Ctrl-C mid-epoch under a one-cycle schedule, then resume: the rates, the history and the model equal the uninterrupted run', T, async () => {
  const config = tinyConfig(data, SET);
  const out = tempDir('tlearn-1cycle-int-');
  const ac = new AbortController();
  const events: TrainEvent[] = [];
  // Stopped after the first batch of phase 1's second epoch: the schedule has moved since the epoch began.
  const first = await train(config, {
    out, handleSigint: false, quiet: true, skipEvaluation: true, batchEvents: true, signal: ac.signal,
    onEvent: (e) => { events.push(e); if (e.type === 'batch' && e.phase === 'phase1' && e.epoch === 2 && e.batch === 1) ac.abort(); },
  });
  assert.equal(first.interrupted, true);
  const resumed = await train(config, { out, resume: true, handleSigint: false, quiet: true, skipEvaluation: true, batchEvents: true, onEvent: (e) => events.push(e) });
  assert.deepEqual(stepRates(events), refRates);
  assert.deepEqual(untimed(resumed.history), untimed(refHistory));
  assert.deepEqual(tensorsOf(resumed.bestModel!), tensorsOf(refModel));
});

test('a resume that changes the epochs of a begun one-cycle phase is refused; a plain phase may still be extended', T, async () => {
  const resume = (set: string[], epochs: { epochs1?: number; epochs2?: number }) =>
    train(tinyConfig(data, set, epochs), { out: refOut, resume: true, handleSigint: false, quiet: true, skipEvaluation: true });
  await assert.rejects(resume(SET, { epochs2: 3 }), /phase2 follows a one-cycle schedule over its 2 epochs, which has begun; phases\[1\]\.epochs cannot change/);
  // A plain run that ran phase 2 to its limit continues it (the refusal is about the cycle, not about resuming).
  const plain = tempDir('tlearn-plain-');
  const noStop = ['phases[0].earlyStopping=false', 'phases[1].earlyStopping=false'];
  await train(tinyConfig(data, noStop, { epochs1: 1, epochs2: 1 }), { out: plain, handleSigint: false, quiet: true, skipEvaluation: true });
  const more = await train(tinyConfig(data, noStop, { epochs1: 1, epochs2: 2 }), { out: plain, resume: true, handleSigint: false, quiet: true, skipEvaluation: true });
  assert.equal(more.history.length, 3);
});

test('cosine: true anneals from lr to etaMin 0 and drops the default plateau; with oneCycle, or etaMin not below lr, it is refused', () => {
  const c = tinyConfig(data, ['phases[1].cosine=true']);
  assert.deepEqual([c.phases[1]!.cosine, c.phases[1]!.reduceLROnPlateau, c.phases[0]!.cosine], [{ etaMin: 0, warmupEpochs: 0, warmupStartFactor: 0.1, interval: 'epoch' }, null, null]);
  const fails = (set: string[], re: RegExp) => assert.throws(() => tinyConfig(data, set), (e: Error) => e instanceof ConfigError && re.test(e.message), set.join(' '));
  fails(['phases[0].cosine=true', 'phases[0].oneCycle=true'], /phases\[0\]\.cosine.*oneCycle and cosine both set/);
  fails(['phases[0].cosine={etaMin: 0.01}'], /phases\[0\]\.cosine\.etaMin.*not below the phase's lr 0\.001/);
  fails(['phases[0].cosine=true', 'phases[0].reduceLROnPlateau=true'], /phases\[0\]\.reduceLROnPlateau.*cosine annealing after every epoch/);
  // The warmup leaves at least one epoch to anneal, and starts above 0.
  fails(['phases[0].cosine={warmupEpochs: 2}', 'phases[0].epochs=2'], /phases\[0\]\.cosine\.warmupEpochs.*2 leaves none of the phase's 2 epochs to anneal; at most 1/);
  fails(['phases[0].cosine={warmupEpochs: 1.5}'], /phases\[0\]\.cosine\.warmupEpochs/);
  fails(['phases[0].cosine={warmupStartFactor: 0}'], /phases\[0\]\.cosine\.warmupStartFactor/);
  assert.deepEqual(tinyConfig(data, ['phases[0].cosine={warmupEpochs: 1, warmupStartFactor: 0.5}']).phases[0]!.cosine, { etaMin: 0, warmupEpochs: 1, warmupStartFactor: 0.5, interval: 'epoch' });
  // Per step, a share of an epoch; still less than the phase's epochs. Not beside SWA, which sets its last epochs' rates.
  assert.equal(tinyConfig(data, ['phases[0].cosine={warmupEpochs: 0.5, interval: step}']).phases[0]!.cosine!.warmupEpochs, 0.5);
  fails(['phases[0].cosine={warmupEpochs: 2, interval: step}', 'phases[0].epochs=2'], /phases\[0\]\.cosine\.warmupEpochs.*2 leaves none of the phase's 2 epochs to anneal; less than 2/);
  fails(['phases[0].cosine={interval: batch}'], /phases\[0\]\.cosine\.interval/);
  fails(['phases[1].cosine={interval: step}', 'phases[1].swa=true'], /phases\[1\]\.swa.*cosine with interval step sets the rate of every step/);
});

test('cosine with warmupEpochs: each epoch\'s rate equals torch\'s SequentialLR(LinearLR, CosineAnnealingLR); a Ctrl-C in the warmup resumes to the same run', T, async () => {
  const set = ['phases[0].cosine={etaMin: 1e-5, warmupEpochs: 2, warmupStartFactor: 0.2}', 'phases[0].earlyStopping=false'];
  const config = tinyConfig(data, set, { epochs1: 5, epochs2: 0 });
  const r = await train(config, { out: tempDir('tlearn-warmup-'), handleSigint: false, quiet: true, skipEvaluation: true });
  const want = runPython<number[]>(`
import torch
S = torch.optim.lr_scheduler
p = torch.nn.Parameter(torch.zeros(3))
opt = torch.optim.Adam([p], lr=inp['lr'])
s = S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.2, end_factor=1.0, total_iters=2), S.CosineAnnealingLR(opt, T_max=3, eta_min=1e-5)], milestones=[2])
lrs = []
for _ in range(5):
    lrs.append(opt.param_groups[0]['lr'])
    opt.step()
    s.step()
out(lrs)
`, { lr: config.phases[0]!.lr });
  assert.deepEqual(r.history.map((h) => h.lr), want);
  // Up from a fifth of the rate, the rate itself at the third epoch, then down.
  assert.ok(Math.abs(want[0]! - 0.2 * config.phases[0]!.lr) < 1e-15 && want[2] === config.phases[0]!.lr && want[4]! < want[2]!, `${want}`);
  await resumesAlike(config, r, 'tlearn-warmup-int-');
});

test('cosine with interval step: each step\'s rate equals torch\'s SequentialLR(LinearLR, CosineAnnealingLR) stepped per step; a Ctrl-C mid-epoch resumes to the same run', T, async () => {
  const set = ['phases[0].cosine={etaMin: 1e-5, warmupEpochs: 0.5, warmupStartFactor: 0.2, interval: step}', 'phases[0].earlyStopping=false'];
  const config = tinyConfig(data, set, { epochs1: 3, epochs2: 0, batchSize: 4 });
  const events: TrainEvent[] = [];
  const r = await train(config, { out: tempDir('tlearn-cosine-step-'), handleSigint: false, quiet: true, skipEvaluation: true, batchEvents: true, onEvent: (e) => events.push(e) });
  const steps = events.flatMap((e) => (e.type === 'batch' ? [e] : []));
  const perEpoch = steps[0]!.batches;
  assert.equal(steps.length, 3 * perEpoch);
  const want = runPython<number[]>(`
import torch
S = torch.optim.lr_scheduler
p = torch.nn.Parameter(torch.zeros(3))
opt = torch.optim.Adam([p], lr=inp['lr'])
T, w = inp['total'], round(0.5 * inp['perEpoch'])
s = S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.2, end_factor=1.0, total_iters=w), S.CosineAnnealingLR(opt, T_max=T - w, eta_min=1e-5)], milestones=[w])
lrs = []
for _ in range(T):
    lrs.append(opt.param_groups[0]['lr'])
    opt.step()
    s.step()
out(lrs)
`, { lr: config.phases[0]!.lr, total: steps.length, perEpoch });
  assert.deepEqual(steps.map((e) => e.lr), want);
  // Half an epoch of warmup from a fifth of the rate, then down within the epochs.
  assert.ok(want[0]! < want[Math.round(perEpoch / 2)]! && want.at(-1)! < want[perEpoch]!, `${want}`);
  await resumesAlike(config, r, 'tlearn-cosine-step-int-');
});

test('under cosine annealing each epoch\'s rate equals torch\'s CosineAnnealingLR(T_max = epochs); its epochs cannot change on resume', T, async () => {
  const set = ['phases[0].cosine={etaMin: 1e-5}', 'phases[0].earlyStopping=false'];
  const config = tinyConfig(data, set, { epochs1: 4, epochs2: 0 });
  const out = tempDir('tlearn-cosine-');
  const r = await train(config, { out, handleSigint: false, quiet: true, skipEvaluation: true });
  const want = runPython<number[]>(`
import torch
p = torch.nn.Parameter(torch.zeros(3))
opt = torch.optim.Adam([p], lr=inp['lr'])
s = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=inp['epochs'], eta_min=inp['etaMin'])
lrs = []
for _ in range(inp['epochs']):
    lrs.append(opt.param_groups[0]['lr'])
    opt.step()
    s.step()
out(lrs)
`, { lr: config.phases[0]!.lr, epochs: 4, etaMin: 1e-5 });
  assert.deepEqual(r.history.map((h) => h.lr), want);
  assert.ok(want[3]! < want[0]! / 2, `the rate anneals: ${want}`);
  await assert.rejects(train(tinyConfig(data, set, { epochs1: 5, epochs2: 0 }), { out, resume: true, handleSigint: false, quiet: true, skipEvaluation: true }),
    (e: Error) => e instanceof TrainSetupError && /cannot resume .*phase1 follows cosine annealing over its 4 epochs, which has begun/.test(e.message));
});
