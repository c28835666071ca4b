// Callbacks of the trainer on scripted metric sequences: EarlyStopping (Keras' rules, worked out by hand
// below), the best-checkpoint tracker, and ReduceLROnPlateau through the trainer's adapter against PyTorch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../src/torch/index.js';
import { Adam } from '../src/optim/index.js';
import { EarlyStopping } from '../src/train/callbacks/early-stopping.js';
import { BestTracker } from '../src/train/callbacks/best-tracker.js';
import { PlateauScheduler } from '../src/train/callbacks/plateau.js';
import { improves } from '../src/train/callbacks/monitor.js';
import { stateFromJson, stateToJson } from '../src/train/resume/last.js';
import { DEFAULT_REDUCE_LR } from '../src/train/config/defaults.js';
import type { ReduceLROnPlateauConfig } from '../src/train/config/index.js';
import type { EpochRecord } from '../src/train/types.js';
import { runPython } from './helpers/python.js';

/** Runs EarlyStopping over values (epochs 1..n); returns the epoch it stops at (or null) and the best epoch. */
function runEarly(values: number[], cfg: { mode: 'min' | 'max'; patience: number; minDelta: number }): { stop: number | null; bestEpoch: number | null } {
  const es = new EarlyStopping({ monitor: cfg.mode === 'max' ? 'val_auc' : 'val_loss', ...cfg });
  for (let i = 0; i < values.length; i++) if (es.update(values[i]!, i + 1)) return { stop: i + 1, bestEpoch: es.bestEpoch };
  return { stop: null, bestEpoch: es.bestEpoch };
}

test('EarlyStopping: stops after `patience` epochs without strict improvement', () => {
  // e1 0.5 and e2 0.6 improve; e3 (equal), e4, e5 do not: wait 3 >= patience 3 at epoch 5.
  assert.deepEqual(runEarly([0.5, 0.6, 0.6, 0.55, 0.6, 0.59, 0.7], { mode: 'max', patience: 3, minDelta: 0 }), { stop: 5, bestEpoch: 2 });
  // An improvement resets the wait: e3 improves, so 3 more flat epochs are needed (stop at 6).
  assert.deepEqual(runEarly([0.5, 0.4, 0.7, 0.6, 0.6, 0.6], { mode: 'max', patience: 3, minDelta: 0 }), { stop: 6, bestEpoch: 3 });
  assert.deepEqual(runEarly([0.5, 0.6, 0.7, 0.8], { mode: 'max', patience: 1, minDelta: 0 }), { stop: null, bestEpoch: 4 });
});

test('EarlyStopping: minDelta, mode min, NaN and patience 0', () => {
  // Gains of 0.005 do not count with minDelta 0.01; 0.52 - 0.01 > 0.5 does.
  assert.deepEqual(runEarly([0.5, 0.505, 0.52, 0.521, 0.522], { mode: 'max', patience: 2, minDelta: 0.01 }), { stop: 5, bestEpoch: 3 });
  // Losses: lower is better; NaN never improves.
  assert.deepEqual(runEarly([1.0, NaN, 0.9, NaN, NaN], { mode: 'min', patience: 2, minDelta: 0 }), { stop: 5, bestEpoch: 3 });
  assert.deepEqual(runEarly([1.0, 1.0 - 1e-4], { mode: 'min', patience: 1, minDelta: 1e-3 }), { stop: 2, bestEpoch: 1 });
  // patience 0: the first epoch without improvement stops, but never the first epoch (Keras: epoch > 0).
  assert.deepEqual(runEarly([0.5, 0.4], { mode: 'max', patience: 0, minDelta: 0 }), { stop: 2, bestEpoch: 1 });
  assert.deepEqual(runEarly([NaN], { mode: 'max', patience: 0, minDelta: 0 }), { stop: null, bestEpoch: null });
  assert.throws(() => new EarlyStopping({ monitor: 'val_auc', mode: 'max', patience: -1, minDelta: 0 }), /patience/);
});

test('EarlyStopping and BestTracker state survive a JSON round trip mid-sequence', () => {
  const values = [0.6, 0.7, 0.65, 0.66, 0.64, 0.8, 0.79, 0.78];
  const whole = runEarly(values, { mode: 'max', patience: 2, minDelta: 0 });
  const a = new EarlyStopping({ monitor: 'val_auc', mode: 'max', patience: 2, minDelta: 0 });
  a.update(values[0]!, 1);
  a.update(values[1]!, 2);
  a.update(values[2]!, 3);
  const b = new EarlyStopping({ monitor: 'val_auc', mode: 'max', patience: 2, minDelta: 0 });
  b.loadStateDict(stateFromJson(stateToJson(a.stateDict()), 'x') as ReturnType<EarlyStopping['stateDict']>);
  let stop: number | null = null;
  for (let e = 4; e <= values.length && stop === null; e++) if (b.update(values[e - 1]!, e)) stop = e;
  assert.equal(stop, whole.stop);
  assert.equal(b.bestEpoch, whole.bestEpoch);
  // A fresh tracker's best is -Infinity: it must survive JSON too.
  const t = new BestTracker({ monitor: 'val_auc', mode: 'max' });
  const u = new BestTracker({ monitor: 'val_auc', mode: 'max' });
  u.loadStateDict(stateFromJson(stateToJson(t.stateDict()), 'x') as ReturnType<BestTracker['stateDict']>);
  assert.equal(u.best, -Infinity);
});

test('BestTracker: strictly better in the monitor direction; NaN never counts', () => {
  const t = new BestTracker({ monitor: 'val_auc', mode: 'max' });
  const seen = [0.5, NaN, 0.5, 0.7, 0.69, 0.7, 0.71].map((v, i) => t.update(v, i + 1, { val_auc: v }));
  assert.deepEqual(seen, [true, false, false, true, false, false, true]);
  assert.equal(t.bestEpoch, 7);
  assert.deepEqual(t.metrics, { val_auc: 0.71 });
  const l = new BestTracker({ monitor: 'val_loss', mode: 'min' });
  assert.deepEqual([0.9, 0.8, 0.85, 0.8, 0.1].map((v, i) => l.update(v, i + 1, {})), [true, true, false, false, true]);
  assert.equal(improves(0.5, -Infinity, 'max'), true);
  assert.equal(improves(NaN, -Infinity, 'max'), false);
});

function record(over: Partial<EpochRecord>): EpochRecord {
  return {
    phase: 'p', epoch: 1, lr: 0, train_loss: 0, train_accuracy: 0, val_loss: 0, val_accuracy: 0, val_auc: 0, seconds: 0, images_per_second: 0, ...over,
  };
}

/** The lr after each step of the trainer's plateau callback over `values`, with a JSON state round trip at `cut`. */
function ourLrs(cfg: ReduceLROnPlateauConfig, lr: number, values: number[], cut: number): number[] {
  const p = tensor([1, 2, 3], { requiresGrad: true });
  let opt = new Adam([p], { lr });
  let sched = new PlateauScheduler(opt, cfg);
  const lrs: number[] = [];
  values.forEach((v, i) => {
    if (i === cut) {
      // Resume: a new optimizer and scheduler restored from JSON (as RUN/last does).
      const saved = stateFromJson(stateToJson({ s: sched.stateDict(), lr: opt.paramGroups[0].lr }), 'x') as { s: ReturnType<PlateauScheduler['stateDict']>; lr: number };
      opt = new Adam([p], { lr: saved.lr });
      sched = new PlateauScheduler(opt, cfg);
      sched.loadStateDict(saved.s);
    }
    sched.update(record({ [cfg.monitor]: v }));
    lrs.push(opt.paramGroups[0].lr);
  });
  p.dispose();
  return lrs;
}

test('ReduceLROnPlateau through the trainer adapter equals PyTorch (seed settings and others, resumed mid-way)', () => {
  const losses = [0.9, 0.8, 0.81, 0.8, 0.79995, 0.82, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.69, 0.7, 0.7, 0.7, 0.7, 0.7];
  const aucs = [0.6, 0.7, 0.7, 0.69, 0.71, 0.71, 0.705, 0.72, 0.72, 0.72, 0.72, 0.9, 0.9, 0.9];
  const cases: { cfg: ReduceLROnPlateauConfig; lr: number; values: number[] }[] = [
    { cfg: { ...DEFAULT_REDUCE_LR }, lr: 1e-3, values: losses },
    { cfg: { ...DEFAULT_REDUCE_LR, patience: 1, cooldown: 2, minLr: 2e-6 }, lr: 1e-3, values: losses },
    { cfg: { ...DEFAULT_REDUCE_LR, monitor: 'val_auc', mode: 'max', patience: 2, threshold: 0.005, thresholdMode: 'abs', factor: 0.5 }, lr: 1e-5, values: aucs },
    { cfg: { ...DEFAULT_REDUCE_LR, patience: 0, factor: 0.5, eps: 1e-4 }, lr: 1e-3, values: losses },
  ];
  const py = runPython<number[][]>(`
import torch
res = []
for c in inp:
    p = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.Adam([p], lr=c['lr'])
    cfg = c['cfg']
    s = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode=cfg['mode'], factor=cfg['factor'], patience=cfg['patience'],
        threshold=cfg['threshold'], threshold_mode=cfg['thresholdMode'], cooldown=cfg['cooldown'], min_lr=cfg['minLr'], eps=cfg['eps'])
    lrs = []
    for v in c['values']:
        s.step(v)
        lrs.append(opt.param_groups[0]['lr'])
    res.append(lrs)
out(res)
`, cases);
  cases.forEach((c, i) => {
    assert.deepEqual(ourLrs(c.cfg, c.lr, c.values, 7), py[i], `case ${i}`);
  });
  // The seed's settings must actually lower the rate on this sequence (the test would be empty otherwise).
  assert.ok(py[0]!.at(-1)! < 1e-3);
});
