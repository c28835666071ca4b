// --resume with more epochs for a phase that already finished: a phase that ran to its limit is continued
// exactly as if the limit had been higher from the start (its last epoch's weights, optimizer, scheduler and
// callbacks come back); a phase that early stopping ended, a phase lowered below what it trained, or a phase
// followed by one that trained since, is refused before RUN/config.json is touched. Also: stale temp files of
// a killed atomic write are removed when the run is opened again.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readSafetensors } from '../src/io/index.js';
import { train, TrainSetupError, type EpochRecord, type TrainEvent } from '../src/train/index.js';
import { tempFilesIn } from '../src/train/run-dir.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

const T = { timeout: 600_000 };
const data = await makeStripes(tempDir(), { train: 8, val: 4, test: 2 });
const quiet = { handleSigint: false, quiet: true, skipEvaluation: true } as const;
const untimed = (h: EpochRecord[]) => h.map(({ seconds: _s, images_per_second: _i, ...r }) => r);
const tensorsOf = (file: string) => new Map([...readSafetensors(file).tensors].map(([k, t]) => [k, `${t.dtype}|${t.shape}|${Buffer.from(t.data).toString('base64')}`]));
const savedConfig = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));

// High learning rates so that the epochs differ visibly; the reference trains 2 + 4 epochs uninterrupted.
const cfg = (epochs1: number, epochs2: number, set: string[] = []) => tinyConfig(data, set, { epochs1, epochs2, lr1: 0.05, lr2: 0.01 });
const refOut = tempDir('tlearn-ext-ref-');
const ref = await train(cfg(2, 4), { out: refOut, ...quiet });

test('a finished last phase whose limit is raised on resume continues to the new limit and equals the uninterrupted run', T, async () => {
  const out = tempDir('tlearn-ext-');
  const first = await train(cfg(2, 3), { out, ...quiet });
  // Precondition: the phase ended on weights other than its last epoch's (the best ones were restored), so
  // continuing it needs the state of its last epoch, not the model it ended with.
  assert.ok(first.phases[1]!.bestEpoch! < 3, `phase2's best epoch is ${first.phases[1]!.bestEpoch}`);
  const events: TrainEvent[] = [];
  const r = await train(cfg(2, 4), { out, resume: true, ...quiet, onEvent: (e) => events.push(e) });
  assert.deepEqual(untimed(r.history), untimed(ref.history));
  assert.deepEqual(tensorsOf(r.bestModel!), tensorsOf(ref.bestModel!));
  assert.deepEqual(tensorsOf(path.join(out, 'best_model_phase2.safetensors')), tensorsOf(path.join(refOut, 'best_model_phase2.safetensors')));
  assert.equal(savedConfig(out).phases[1].epochs, 4);
  assert.equal(fs.readFileSync(path.join(out, 'history.csv'), 'utf8').trim().split('\n').length, 7);
  assert.ok(events.some((e) => e.type === 'info' && /phase2 finished after 3 epochs; continuing it to 4 epochs/.test(e.message)));
  // Asking again for what is now done trains nothing more and is not an error.
  const again = await train(cfg(2, 4), { out, resume: true, ...quiet });
  assert.equal(again.history.length, 6);
});

test('a phase that trained 0 epochs can be given epochs on resume', T, async () => {
  const out = tempDir('tlearn-ext0-');
  await train(cfg(2, 0), { out, ...quiet });
  const r = await train(cfg(2, 4), { out, resume: true, ...quiet });
  assert.deepEqual(untimed(r.history), untimed(ref.history));
  assert.deepEqual(tensorsOf(r.bestModel!), tensorsOf(ref.bestModel!));
});

test('refused on resume, before config.json changes: a phase ended by early stopping, a lowered finished phase, a phase followed by a trained one', T, async () => {
  // minDelta 2 on val_auc: no epoch after the first counts as better, so patience 1 stops phase 1 after epoch 2.
  const early = ['phases[0].earlyStopping.patience=1', 'phases[0].earlyStopping.minDelta=2'];
  const outE = tempDir('tlearn-ext-es-');
  const first = await train(cfg(4, 0, early), { out: outE, ...quiet });
  assert.equal(first.phases[0]!.stoppedEarly, true);
  assert.equal(first.history.length, 2);
  const before = fs.readFileSync(path.join(outE, 'config.json'), 'utf8');
  await assert.rejects(train(cfg(6, 0, early), { out: outE, resume: true, ...quiet }),
    (e: Error) => e instanceof TrainSetupError && /phase1 was ended by early stopping after 2 epochs/.test(e.message));
  assert.equal(fs.readFileSync(path.join(outE, 'config.json'), 'utf8'), before);
  // The unchanged setting still resumes (nothing left to train).
  assert.equal((await train(cfg(4, 0, early), { out: outE, resume: true, ...quiet })).history.length, 2);

  const out = tempDir('tlearn-ext-refuse-');
  await train(cfg(2, 1), { out, ...quiet });
  const saved = fs.readFileSync(path.join(out, 'config.json'), 'utf8');
  await assert.rejects(train(cfg(1, 1), { out, resume: true, ...quiet }),
    (e: Error) => e instanceof TrainSetupError && /phase1 already trained 2 epochs/.test(e.message));
  await assert.rejects(train(cfg(3, 1), { out, resume: true, ...quiet }),
    (e: Error) => e instanceof TrainSetupError && /phase1 cannot be extended: phase2 has trained since/.test(e.message));
  assert.equal(fs.readFileSync(path.join(out, 'config.json'), 'utf8'), saved);
});

test('every phase at 0 epochs is refused before anything is written', T, async () => {
  const out = tempDir('tlearn-ext-00-');
  await assert.rejects(train(cfg(0, 0), { out, ...quiet }), (e: Error) => e instanceof TrainSetupError && /every phase has 0 epochs/.test(e.message));
  assert.deepEqual(fs.readdirSync(out), []);
});

test('stale temp files of a killed atomic write are removed when the run is resumed (only tlearn\'s pattern)', T, async () => {
  const out = tempDir('tlearn-ext-tmp-');
  await train(cfg(1, 0), { out, ...quiet });
  const stale = ['.best_model_phase2.pth.99999991.35s1ux5s.tmp', '.manifest.csv.99999992.a1b2c3d4.tmp'];
  for (const n of stale) fs.writeFileSync(path.join(out, n), 'partial');
  fs.writeFileSync(path.join(out, 'last', '.model.safetensors.99999993.zz9.tmp'), 'partial');
  const mine = ['.notes.tmp', 'keep.tmp', '.my.backup.tmp'];
  for (const n of mine) fs.writeFileSync(path.join(out, n), 'user file');
  await train(cfg(1, 0), { out, resume: true, ...quiet });
  assert.deepEqual(tempFilesIn(out).sort(), ['.my.backup.tmp', '.notes.tmp']);
  assert.deepEqual(tempFilesIn(path.join(out, 'last')), []);
  for (const n of mine) assert.equal(fs.readFileSync(path.join(out, n), 'utf8'), 'user file');
});

test('channels-last runs (the default on CPU from 96 px) resume to the uninterrupted history and weights too', T, async () => {
  // Weights, activations and Adam's moments are NHWC here; RUN/last stores them row-major (NCHW).
  const at96 = (epochs2: number) => tinyConfig(data, [], { epochs1: 1, epochs2, lr1: 0.05, lr2: 0.01, imageSize: 96 });
  const whole = await train(at96(2), { out: tempDir('tlearn-nhwc-ref-'), ...quiet });
  const out = tempDir('tlearn-nhwc-');
  const starts: TrainEvent[] = [];
  await train(at96(1), { out, ...quiet, onEvent: (e) => { if (e.type === 'start') starts.push(e); } });
  assert.equal((starts[0] as Extract<TrainEvent, { type: 'start' }>).channels_last, true);
  const r = await train(at96(2), { out, resume: true, ...quiet });
  assert.deepEqual(untimed(r.history), untimed(whole.history));
  assert.deepEqual(tensorsOf(r.bestModel!), tensorsOf(whole.bestModel!));
});
