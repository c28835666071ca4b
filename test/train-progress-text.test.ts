// What the trainer prints, word for word where QA round 7b found it wrong: "1 thread" (not "1 threads"); a
// terminal that reports 0 columns gets an 80-column bar (not a 10-character one); the interrupt line says
// where a resume continues (the next batch: the batches done are kept) and says "saved" once; a resumed run
// says in one line where it continues.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { periodicProgress } from '../src/data/index.js';
import { barColumns, interruptedLine, Progress, resumeLine, type ResumePoint } from '../src/train/progress.js';

import type { TrainEvent } from '../src/train/types.js';

const start: Extract<TrainEvent, { type: 'start' }> = {
  type: 'start', run: '/r', resumed: false, arch: 'resnet18', device: 'cpu', threads: 1, precision: 'fp32', channels_last: false,
  images: { train: 8, val: 4, test: 2 }, classes: ['a', 'b'], positive_class: 'b',
  phases: [{ name: 'phase1', trainable: ['fc'], epochs: 2, lr: 0.001, schedule: 'plateau' }],
};

test('the start line: 1 thread, 2 threads; channels-last when the run computes in it', () => {
  const lines: string[] = [];
  const p = new Progress((l) => lines.push(l));
  p.handle(start);
  p.handle({ ...start, threads: 2 });
  p.handle({ ...start, threads: 2, channels_last: true });
  assert.match(lines[0]!, /^Training resnet18 on cpu \(1 thread, fp32\)/);
  assert.match(lines[3]!, /^Training resnet18 on cpu \(2 threads, fp32\)/);
  assert.match(lines[6]!, /^Training resnet18 on cpu \(2 threads, fp32, channels-last\)/);
});

test('the start line names a schedule that shapes the rate (one-cycle, cosine), not the default plateau', () => {
  const lines: string[] = [];
  const p = new Progress((l) => lines.push(l));
  p.handle({ ...start, phases: [start.phases[0]!, { name: 'phase2', trainable: ['layer4', 'fc'], epochs: 3, lr: 1e-5, schedule: 'one-cycle' },
    { name: 'phase3', trainable: ['all'], epochs: 3, lr: 1e-6, schedule: 'cosine' }] });
  assert.match(lines.join('\n'), /phases: phase1 \(fc, 2 epochs, lr 0\.001\), then phase2 \(layer4\+fc, 3 epochs, lr 0\.00001, one-cycle\), then phase3 \(all, 3 epochs, lr 0\.000001, cosine\)/);
});

test('the progress bar: 80 columns when the terminal reports none, else 40..120', () => {
  assert.equal(barColumns(0), 80);
  assert.equal(barColumns(undefined), 80);
  assert.equal(barColumns(30), 40);
  assert.equal(barColumns(100), 100);
  assert.equal(barColumns(300), 120);
  // A pty under `script` reports 0 columns: the drawn line is 80 wide, most of it the bar.
  let text = '';
  const tty = { isTTY: true, columns: 0, write: (t: string) => { text += t; return true; } } as unknown as NodeJS.WritableStream;
  const p = new Progress(tty);
  p.handle({ type: 'batch', phase: 'phase1', epoch: 1, batch: 1, batches: 13, loss: 0.5, images: 32, seconds: 1, lr: 1e-3 });
  const drawn = text.split('\r\x1b[2K').at(-1)!;
  assert.equal(drawn.length, 79, drawn); // one short of the width, so the terminal never wraps it
  assert.ok((drawn.match(/\[([#.]+)\]/)?.[1]?.length ?? 0) > 20, drawn);
});

test('the interrupt line says which batch a resume continues with, and "saved" once', () => {
  const mid = interruptedLine({ type: 'interrupted', phase: 'phase2', epoch: 9, batch: 1, batches: 13, state: '/r/last' });
  assert.equal(mid, 'Interrupted in phase2 epoch 9 after batch 1 of 13: the state is saved in /r/last, and a resume continues with batch 2.');
  const between = interruptedLine({ type: 'interrupted', phase: 'phase1', epoch: 3, batch: 0, batches: 13, state: '/r/last' });
  assert.equal(between, 'Interrupted in phase1 before epoch 3: the state is saved in /r/last, and a resume starts with epoch 3.');
  assert.equal(mid.match(/saved/g)!.length, 1);
});

test('resumeLine: mid-epoch, between epochs, at a phase boundary, a phase ended early or at its limit, all done', () => {
  const phases = [{ name: 'phase1', epochs: 15 }, { name: 'phase2', epochs: 15 }];
  const at = (p: Partial<ResumePoint>) => resumeLine({ phases, phaseIndex: 1, phase: null, midEpoch: null, finished: ['phase1'], batches: 13, ...p });
  assert.equal(at({ phase: { epochsDone: 8, stopped: false } }), 'Resuming at phase2 epoch 9 (phase1 done; 8 of 15 phase2 epochs done)');
  assert.equal(at({ phase: { epochsDone: 8, stopped: false }, midEpoch: { batchesDone: 1 } }),
    'Resuming in phase2 epoch 9 at batch 2 of 13 (phase1 done; 8 of 15 phase2 epochs done)');
  assert.equal(at({}), 'Resuming at phase2 epoch 1 (phase1 done; 0 of 15 phase2 epochs done)');
  assert.equal(at({ phaseIndex: 0, finished: [], phase: { epochsDone: 2, stopped: false } }), 'Resuming at phase1 epoch 3 (2 of 15 phase1 epochs done)');
  assert.equal(at({ phase: { epochsDone: 6, stopped: true } }), 'Resuming at the end of phase2: early stopping had ended it (phase1 done; 6 of 15 phase2 epochs done)');
  assert.equal(at({ phase: { epochsDone: 15, stopped: false } }), 'Resuming at the end of phase2 (phase1 done; 15 of 15 phase2 epochs done)');
  assert.equal(at({ phaseIndex: 2, finished: ['phase1', 'phase2'] }), null);
});

// The data check decodes every file before training (minutes for a large folder of large images): it shows
// its progress once it has taken a second, so short checks stay silent.
const check = (done: number, seconds: number): TrainEvent => ({ type: 'check', done, total: 2000, seconds });

test('data check progress: silent under a second; a bar on a terminal, a line every 10 s in plain text, JSON once a second', () => {
  const lines: string[] = [];
  const plain = new Progress((l) => lines.push(l));
  for (const [done, s] of [[10, 0.5], [100, 5], [400, 10.2], [500, 12], [900, 20.5], [2000, 44]] as const) plain.handle(check(done, s));
  assert.deepEqual(lines, [
    'checking the data: 400 of 2000 files (20 %), 39.2 files/s, ETA 00:41',
    'checking the data: 900 of 2000 files (45 %), 43.9 files/s, ETA 00:25',
  ]);

  let text = '';
  const tty = { isTTY: true, columns: 80, write: (t: string) => { text += t; return true; } } as unknown as NodeJS.WritableStream;
  const bar = new Progress(tty);
  bar.handle(check(10, 0.5));
  assert.equal(text, '', 'nothing in the first second');
  bar.handle(check(1000, 25));
  const drawn = text.split('\r\x1b[2K').at(-1)!;
  assert.match(drawn, /^checking data \[#+\.+\] 1000\/2000 files 40\.0 files\/s ETA 00:25$/);
  assert.equal(drawn.length, 79);
  bar.handle({ type: 'info', message: 'Data: ...' });
  assert.ok(text.endsWith('\r\x1b[2KData: ...\n'), 'the next line replaces the bar');

  let json = '';
  const j = new Progress({ write: (t: string) => { json += t; return true; } } as unknown as NodeJS.WritableStream, { json: true });
  for (const [done, s] of [[10, 0.5], [100, 1.2], [150, 1.9], [200, 2.3]] as const) j.handle(check(done, s));
  assert.deepEqual(json.trim().split('\n').map((l) => JSON.parse(l)), [
    { type: 'check', done: 100, total: 2000, seconds: 1.2 }, { type: 'check', done: 200, total: 2000, seconds: 2.3 },
  ]);
});

test('periodic progress lines for work without a bar (predict, evaluate, the run\'s test split): every 10 s, none at the end', () => {
  const lines: string[] = [];
  let now = 100;
  const tick = periodicProgress((l) => lines.push(l), 'predicting', 'images', () => now);
  for (const [done, t] of [[32, 103], [320, 110.5], [352, 112], [640, 121], [1000, 140]] as const) {
    now = t;
    tick(done, 1000);
  }
  assert.deepEqual(lines, [
    'predicting: 320 of 1000 images (32 %), 30.5 images/s, ETA 00:22',
    'predicting: 640 of 1000 images (64 %), 30.5 images/s, ETA 00:12',
  ]);
});
