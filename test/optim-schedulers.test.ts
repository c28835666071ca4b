// Learning-rate schedulers against torch.optim.lr_scheduler: the lr sequences (and OneCycle's momentum)
// of ReduceLROnPlateau (rel/abs threshold, cooldown, per-group min_lr, mode max, the eps rule), StepLR,
// CosineAnnealingLR and OneCycleLR, plus state dict round trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zeros, type Tensor } from '../src/torch/index.js';
import { SGD, Adam, ReduceLROnPlateau, StepLR, CosineAnnealingLR, LinearLR, OneCycleLR, SequentialLR, SWALR, type Optimizer, type LRScheduler } from '../src/optim/index.js';
import { runPython } from './helpers/python.js';
import { assertClose } from './helpers/nn-parity.js';

const params: Tensor[] = [];
function optimizer(kind: 'sgd' | 'adam', lrs: number[]): Optimizer {
  const groups = lrs.map((lr) => {
    const p = zeros([1]).requiresGrad_(true);
    params.push(p);
    return { params: [p], lr };
  });
  return kind === 'sgd' ? new SGD(groups, { lr: lrs[0], momentum: 0.9 }) : new Adam(groups, { lr: lrs[0] });
}

const LOSS = [1.0, 0.9, 0.95, 0.92, 0.91, 0.93, 0.899, 0.9, 0.9, 0.9, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.91, 0.92, 0.93, 0.94, 0.5, 0.5, 0.5];
const ACC = [0.5, 0.6, 0.605, 0.61, 0.7, 0.69, 0.71, 0.7, 0.7, 0.72, 0.8, 0.79, 0.78, 0.77, 0.81, 0.8, 0.8];

interface Plateau { name: string; lrs: number[]; py: string; metrics: number[]; make: (o: Optimizer) => ReduceLROnPlateau }
const plateaus: Plateau[] = [
  { name: 'min_rel', lrs: [0.1], metrics: LOSS, py: 'dict(factor=0.5, patience=2)', make: (o) => new ReduceLROnPlateau(o, { factor: 0.5, patience: 2 }) },
  { name: 'min_abs_cooldown', lrs: [0.1], metrics: LOSS, py: "dict(factor=0.3, patience=1, threshold=0.05, threshold_mode='abs', cooldown=2)",
    make: (o) => new ReduceLROnPlateau(o, { factor: 0.3, patience: 1, threshold: 0.05, thresholdMode: 'abs', cooldown: 2 }) },
  { name: 'min_lr_groups', lrs: [0.1, 0.01], metrics: LOSS, py: 'dict(factor=0.5, patience=0, min_lr=[0.02, 0.001])',
    make: (o) => new ReduceLROnPlateau(o, { factor: 0.5, patience: 0, minLr: [0.02, 0.001] }) },
  { name: 'max_rel', lrs: [0.05], metrics: ACC, py: "dict(mode='max', patience=1, threshold=0.01)",
    make: (o) => new ReduceLROnPlateau(o, { mode: 'max', patience: 1, threshold: 0.01 }) },
  { name: 'max_abs_min_lr', lrs: [0.05], metrics: ACC, py: "dict(mode='max', patience=0, threshold=0.02, threshold_mode='abs', min_lr=0.004, cooldown=1)",
    make: (o) => new ReduceLROnPlateau(o, { mode: 'max', patience: 0, threshold: 0.02, thresholdMode: 'abs', minLr: 0.004, cooldown: 1 }) },
  { name: 'eps_rule', lrs: [1e-7], metrics: Array(8).fill(1), py: 'dict(factor=0.5, patience=0)', make: (o) => new ReduceLROnPlateau(o, { factor: 0.5, patience: 0 }) },
];

type Schedule = Pick<LRScheduler, 'step' | 'getLastLr' | 'stateDict' | 'loadStateDict'>;
interface Epochs { name: string; opt: 'sgd' | 'adam'; lrs: number[]; py: string; steps: number; make: (o: Optimizer) => Schedule; momentum?: boolean }
const epochs: Epochs[] = [
  { name: 'step', opt: 'sgd', lrs: [0.1, 0.03], py: 'S.StepLR(opt, step_size=3, gamma=0.5)', steps: 10, make: (o) => new StepLR(o, { stepSize: 3, gamma: 0.5 }) },
  { name: 'cosine', opt: 'sgd', lrs: [0.1], py: 'S.CosineAnnealingLR(opt, T_max=5, eta_min=0.001)', steps: 15, make: (o) => new CosineAnnealingLR(o, { tMax: 5, etaMin: 0.001 }) },
  { name: 'cosine_groups', opt: 'adam', lrs: [0.1, 0.02], py: 'S.CosineAnnealingLR(opt, T_max=4)', steps: 12, make: (o) => new CosineAnnealingLR(o, { tMax: 4 }) },
  { name: 'linear', opt: 'sgd', lrs: [0.1, 0.05], py: 'S.LinearLR(opt, start_factor=0.1, total_iters=4)', steps: 8, make: (o) => new LinearLR(o, { startFactor: 0.1, totalIters: 4 }) },
  { name: 'linear_down', opt: 'adam', lrs: [0.1], py: 'S.LinearLR(opt, start_factor=0.5, end_factor=0.2, total_iters=3)', steps: 5,
    make: (o) => new LinearLR(o, { startFactor: 0.5, endFactor: 0.2, totalIters: 3 }) },
  { name: 'warmup_cosine', opt: 'sgd', lrs: [0.1, 0.02], steps: 12,
    py: 'S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.1, total_iters=2), S.CosineAnnealingLR(opt, T_max=6, eta_min=0.001)], milestones=[2])',
    make: (o) => new SequentialLR(o, [new LinearLR(o, { startFactor: 0.1, totalIters: 2 }), new CosineAnnealingLR(o, { tMax: 6, etaMin: 0.001 })], [2]) },
  { name: 'onecycle_adam', opt: 'adam', lrs: [1e-3], py: 'S.OneCycleLR(opt, max_lr=0.1, total_steps=20)', steps: 25, momentum: true,
    make: (o) => new OneCycleLR(o, { maxLr: 0.1, totalSteps: 20 }) },
  { name: 'onecycle_sgd_3phase', opt: 'sgd', lrs: [0.1, 0.1], steps: 15, momentum: true,
    py: "S.OneCycleLR(opt, max_lr=[0.1, 0.05], epochs=3, steps_per_epoch=4, anneal_strategy='linear', three_phase=True, pct_start=0.25, div_factor=10, final_div_factor=100)",
    make: (o) => new OneCycleLR(o, { maxLr: [0.1, 0.05], epochs: 3, stepsPerEpoch: 4, annealStrategy: 'linear', threePhase: true, pctStart: 0.25, divFactor: 10, finalDivFactor: 100 }) },
  { name: 'onecycle_no_momentum', opt: 'adam', lrs: [1e-3], py: 'S.OneCycleLR(opt, max_lr=0.01, total_steps=10, cycle_momentum=False, pct_start=0.5)', steps: 12,
    make: (o) => new OneCycleLR(o, { maxLr: 0.01, totalSteps: 10, cycleMomentum: false, pctStart: 0.5 }) },
  { name: 'swa_cos', opt: 'sgd', lrs: [0.1, 0.02], py: 'SWALR(opt, swa_lr=0.05, anneal_epochs=3)', steps: 6, make: (o) => new SWALR(o, { swaLr: 0.05, annealEpochs: 3 }) },
  { name: 'swa_linear_groups', opt: 'adam', lrs: [0.001, 0.0001], py: "SWALR(opt, swa_lr=[0.01, 0.002], anneal_epochs=4, anneal_strategy='linear')", steps: 7,
    make: (o) => new SWALR(o, { swaLr: [0.01, 0.002], annealEpochs: 4, annealStrategy: 'linear' }) },
  { name: 'swa_no_anneal', opt: 'sgd', lrs: [0.1], py: 'SWALR(opt, swa_lr=0.03, anneal_epochs=0)', steps: 4, make: (o) => new SWALR(o, { swaLr: 0.03, annealEpochs: 0 }) },
  { name: 'swa_one_epoch', opt: 'adam', lrs: [0.001], py: 'SWALR(opt, swa_lr=0.004, anneal_epochs=1)', steps: 4, make: (o) => new SWALR(o, { swaLr: 0.004, annealEpochs: 1 }) },
];

const PY = `
import torch
import torch.optim.lr_scheduler as S
from torch.optim.swa_utils import SWALR
def make_opt(kind, lrs):
    groups = [{'params': [torch.zeros(1, requires_grad=True)], 'lr': lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9) if kind == 'sgd' else torch.optim.Adam(groups, lr=lrs[0])
def mom(opt):
    return [g['betas'][0] if 'betas' in g else g['momentum'] for g in opt.param_groups]
res = {}
for c in inp['plateaus']:
    opt = make_opt('sgd', c['lrs'])
    s = S.ReduceLROnPlateau(opt, **eval(c['py']))
    seq = []
    for m in c['metrics']:
        s.step(m)
        seq.append([g['lr'] for g in opt.param_groups])
    res[c['name']] = {'lrs': seq}
for c in inp['epochs']:
    opt = make_opt(c['opt'], c['lrs'])
    s = eval(c['py'])
    seq, moms, ok = [[g['lr'] for g in opt.param_groups]], [mom(opt)], 0
    for i in range(c['steps']):
        try:
            opt.step()
            s.step()
        except ValueError:
            break
        ok += 1
        seq.append([g['lr'] for g in opt.param_groups])
        moms.append(mom(opt))
    res[c['name']] = {'lrs': seq, 'moms': moms, 'ok': ok}
out(res)
`;

const momOf = (o: Optimizer): number[] => o.paramGroups.map((g) => {
  const r = g as unknown as { betas?: number[]; momentum?: number };
  return r.betas ? r.betas[0] : r.momentum!;
});

test('lr sequences of ReduceLROnPlateau, StepLR, CosineAnnealingLR, LinearLR, SequentialLR (warmup then cosine), OneCycleLR and SWALR equal torch', () => {
  const py = runPython<Record<string, { lrs: number[][]; moms?: number[][]; ok?: number }>>(PY, {
    plateaus: plateaus.map(({ name, lrs, py: p, metrics }) => ({ name, lrs, py: p, metrics })),
    epochs: epochs.map(({ name, opt, lrs, py: p, steps }) => ({ name, opt, lrs, py: p, steps })),
  });
  for (const c of plateaus) {
    const opt = optimizer('sgd', c.lrs);
    const s = c.make(opt);
    const seq = c.metrics.map((m) => {
      s.step(m);
      return opt.paramGroups.map((g) => g.lr);
    });
    assertClose(seq.flat(), py[c.name].lrs.flat(), `ReduceLROnPlateau ${c.name}`, 1e-12, 0);
    assert.deepEqual(s.getLastLr(), seq[seq.length - 1]);
    // The sequence really changes (the configs are not vacuous).
    assert.ok(new Set(seq.map((l) => l.join())).size > 1, `${c.name} reduces the lr at least once`);
  }
  for (const c of epochs) {
    const opt = optimizer(c.opt, c.lrs);
    const s = c.make(opt);
    const seq = [opt.paramGroups.map((g) => g.lr)];
    const moms = [momOf(opt)];
    let ok = 0;
    for (let i = 0; i < c.steps; i++) {
      try {
        opt.step();
        s.step();
      } catch (err) {
        assert.match((err as Error).message, /tried to step \d+ times/);
        break;
      }
      ok++;
      seq.push(opt.paramGroups.map((g) => g.lr));
      moms.push(momOf(opt));
    }
    const e = py[c.name];
    assert.equal(ok, e.ok, `${c.name}: steps before the end of the schedule`);
    assertClose(seq.flat(), e.lrs.flat(), `${c.name} lr`, 1e-12, 1e-18);
    if (c.momentum) assertClose(moms.flat(), e.moms!.flat(), `${c.name} momentum`, 1e-12, 0);
    assert.deepEqual(s.getLastLr(), seq[seq.length - 1]);
  }
});

test('scheduler state round trip: save half-way (as JSON), load into fresh ones, finish == uninterrupted', () => {
  const run = (make: (o: Optimizer) => Schedule, kind: 'sgd' | 'adam', lrs: number[], steps: number, cut?: number): number[][] => {
    let opt = optimizer(kind, lrs);
    let s = make(opt);
    const seq: number[][] = [];
    for (let i = 0; i < steps; i++) {
      if (i === cut) {
        const state = JSON.parse(JSON.stringify({ opt: opt.stateDict().meta, sched: s.stateDict() }));
        // torch's order: the optimizer and its scheduler made, then their states loaded (a scheduler's
        // construction sets the rates of its initial step, e.g. LinearLR's start; the optimizer's state puts them back).
        opt = optimizer(kind, lrs);
        s = make(opt);
        opt.loadStateDict({ meta: state.opt, tensors: new Map() });
        s.loadStateDict(state.sched);
      }
      s.step();
      seq.push(opt.paramGroups.map((g) => g.lr).concat(momOf(opt)));
    }
    return seq;
  };
  for (const c of epochs.filter((e) => e.name !== 'cosine_groups')) {
    const steps = c.name.startsWith('onecycle') ? 9 : c.steps;
    assert.deepEqual(run(c.make, c.opt, c.lrs, steps, 4), run(c.make, c.opt, c.lrs, steps), `${c.name} resumed`);
  }
  const plateau = (cut?: number): number[][] => {
    let opt = optimizer('sgd', [0.1]);
    let s = new ReduceLROnPlateau(opt, { factor: 0.5, patience: 1, cooldown: 1 });
    return LOSS.map((m, i) => {
      if (i === cut) {
        const state = JSON.parse(JSON.stringify({ opt: opt.stateDict().meta, sched: s.stateDict() }));
        opt = optimizer('sgd', [0.1]);
        opt.loadStateDict({ meta: state.opt, tensors: new Map() });
        s = new ReduceLROnPlateau(opt);
        s.loadStateDict(state.sched);
      }
      s.step(m);
      return opt.paramGroups.map((g) => g.lr);
    });
  };
  assert.deepEqual(plateau(0), plateau(), 'plateau resumed before any step (best is null in JSON)');
  assert.deepEqual(plateau(7), plateau(), 'plateau resumed mid-way');

  const opt = optimizer('sgd', [0.1]);
  assert.throws(() => new StepLR(opt, { stepSize: 2 }).loadStateDict(new CosineAnnealingLR(opt, { tMax: 3 }).stateDict()), /saved by CosineAnnealingLR, not StepLR/);
  assert.throws(() => new ReduceLROnPlateau(opt, { factor: 1 }), /factor should be < 1.0/);
  assert.throws(() => new OneCycleLR(opt, { maxLr: 0.1 }), /give totalSteps/);
  assert.throws(() => new OneCycleLR(opt, { maxLr: [0.1, 0.2], totalSteps: 5 }), /expected 1 values for maxLr/);
  assert.throws(() => new SWALR(opt, { swaLr: [0.1, 0.2] }), /swaLr has 2 values, the optimizer 1 parameter groups/);
  assert.throws(() => new SWALR(opt, { swaLr: 0.1, annealEpochs: 1.5 }), /annealEpochs must be an integer >= 0/);
  for (const p of params.splice(0)) p.dispose();
});
