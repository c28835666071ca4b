// The ends of a run: a phase with 0 epochs says only that it was skipped (no phase events, no "done after 0
// epochs"); the resolved pos_weight is printed once, stored in the checkpoints (extra.pos_weight) and in the
// done event; the Done line rounds the threshold and names the monitor that chose the final model; --resume on
// a run that has finished every phase says so and changes nothing; a start that fails on bad data removes
// the --out folder it created.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadCheckpoint } from '../src/io/index.js';
import { Progress } from '../src/train/progress.js';
import { train, TrainSetupError, type TrainEvent } from '../src/train/index.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';
import { cliIn } from './helpers/cli.js';

after(removeTempDirs);

const T = { timeout: 600_000 };
const root = tempDir('tlearn-finish-');
const data = await makeStripes(path.join(root, 'data'), { train: 8, val: 4, test: 2 });

/** Every file under dir (relative path -> contents), for "nothing changed". */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    out.set(path.relative(dir, p), fs.readFileSync(p).toString('base64'));
  }
  return out;
}

test('Done line: threshold rounded to 4 significant digits; the monitor that chose the final model is named', () => {
  const lines: string[] = [];
  const p = new Progress((l) => lines.push(l));
  const done = { type: 'done', run: '/r', best_model: '/r/best_model_final.safetensors', phase: 'deeper', epoch: 1, val_auc: 1, threshold: 0.609136164188385, seconds: 5, evaluated: true, pos_weight: null, report: null, metrics: null, test: null } as const;
  p.handle({ ...done, monitor: 'val_auc', monitor_value: 1 });
  p.handle({ ...done, monitor: 'val_loss', monitor_value: 0.123456 });
  assert.equal(lines[0], 'Done in 00:05: /r/best_model_final.safetensors (from deeper epoch 1, val_auc 1.0000, threshold 0.6091)');
  assert.equal(lines[1], 'Done in 00:05: /r/best_model_final.safetensors (from deeper epoch 1, chosen by val_loss 0.1235; val_auc 1.0000, threshold 0.6091)');
});

test('0-epoch phase, pos_weight, final monitor, then --resume of the finished run', T, async () => {
  const out = path.join(root, 'run');
  const events: TrainEvent[] = [];
  const lines: string[] = [];
  // Phase 2 trains nothing, but its checkpoint monitor (the last phase's) chooses the final model.
  const config = tinyConfig(data, ['phases[1].checkpoint={monitor: val_loss, mode: min}'], { epochs1: 1, epochs2: 0, threads: 1, posWeight: 'auto' });
  const r = await train(config, { out, handleSigint: false, skipEvaluation: true, log: (l) => lines.push(l), onEvent: (e) => events.push(e) });
  assert.equal(r.history.length, 1);

  // Item: no phase events for the skipped phase; one info line says it was skipped.
  assert.deepEqual(events.filter((e) => e.type === 'phase').map((e) => `${(e as { phase: string }).phase} ${(e as { event: string }).event}`), ['phase1 start', 'phase1 end']);
  assert.ok(events.some((e) => e.type === 'info' && e.message === 'Phase phase2: 0 epochs, skipped'));
  assert.ok(!lines.some((l) => /phase2 done/.test(l)), lines.join('\n'));

  // pos_weight 'auto' on 8 + 8 training images: 1, said once, in the checkpoints and in the done event.
  const pw = lines.filter((l) => /^pos_weight/.test(l));
  assert.deepEqual(pw, ['pos_weight 1 (auto: 8 negative / 8 positive training images)']);
  assert.equal(loadCheckpoint(r.bestModel!).metadata.extra && (loadCheckpoint(r.bestModel!).metadata.extra as Record<string, unknown>).pos_weight, 1);
  assert.equal((loadCheckpoint(path.join(out, 'best_model_phase1.safetensors')).metadata.extra as Record<string, unknown>).pos_weight, 1);
  const done = events.find((e) => e.type === 'done') as Extract<TrainEvent, { type: 'done' }>;
  assert.equal(done.pos_weight, 1);
  // The final model was chosen by phase2's monitor.
  assert.equal(done.monitor, 'val_loss');
  assert.equal(done.monitor_value, r.history[0]!.val_loss);
  assert.match(lines.at(-1)!, /chosen by val_loss \d\.\d{4}; val_auc/);

  // --resume with nothing left: says so, trains nothing, changes no file (through the API and the CLI).
  const before = snapshot(out);
  const again: TrainEvent[] = [];
  const againLines: string[] = [];
  const r2 = await train(config, { out, resume: true, handleSigint: false, skipEvaluation: true, log: (l) => againLines.push(l), onEvent: (e) => again.push(e) });
  assert.equal(r2.alreadyFinished, true);
  assert.equal(r2.history.length, 1);
  assert.equal(r2.bestModel, r.bestModel);
  assert.equal(r2.threshold, r.threshold);
  assert.equal(againLines[0], `${out} had already finished (1 epoch); nothing left to train`);
  assert.match(againLines[1]!, /^Done in .*best_model_final\.safetensors \(from phase1 epoch 1, chosen by val_loss/);
  // A --json consumer still sees the stream end with the done event of the finished run.
  assert.deepEqual(again.map((e) => e.type), ['info', 'done']);
  const done2 = again[1] as Extract<TrainEvent, { type: 'done' }>;
  assert.deepEqual([done2.best_model, done2.evaluated, done2.monitor, done2.monitor_value, done2.pos_weight], [r.bestModel, false, 'val_loss', done.monitor_value, 1]);
  assert.deepEqual(snapshot(out), before);

  // From the CLI a run always ends with its evaluation: a run without report.html (made with skipEvaluation here;
  // the same as one killed while evaluating) is not finished yet, and --resume evaluates it without training.
  const cli = await cliIn(root)(['train', 'data', '--out', out, '--resume']);
  assert.equal(cli.code, 0, cli.err);
  assert.doesNotMatch(cli.out, /already finished|phase1 epoch \d+: loss/);
  // It says it only finishes the interrupted evaluation (no "new best ... -> best_model_final" as if it had trained).
  assert.match(cli.out, /finishing the interrupted evaluation/);
  assert.doesNotMatch(cli.out, /new best .*best_model_final/);
  assert.ok(fs.existsSync(path.join(out, 'report.html')) && fs.existsSync(path.join(out, 'eval', 'metrics.json')));
  const evaluated = snapshot(out);
  const cli2 = await cliIn(root)(['train', 'data', '--out', out, '--resume']);
  assert.equal(cli2.code, 0, cli2.err);
  assert.match(cli2.out, new RegExp(`^${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} had already finished \\(1 epoch\\); nothing left to train\nDone in `));
  assert.deepEqual(snapshot(out), evaluated);
});

test('a start that fails on bad data removes the --out folder it created (and leaves one that existed)', T, async () => {
  const bad = path.join(root, 'onecls');
  fs.mkdirSync(path.join(bad, 'a'), { recursive: true });
  fs.copyFileSync(path.join(data, 'train', 'stripes_h', '000.png'), path.join(bad, 'a', 'x.png'));
  const out = path.join(root, 'new-run');
  await assert.rejects(train(tinyConfig(bad), { out, handleSigint: false, quiet: true }), (e: Error) => e instanceof TrainSetupError && /class/.test(e.message));
  assert.equal(fs.existsSync(out), false);
  const existing = path.join(root, 'existing');
  fs.mkdirSync(existing);
  await assert.rejects(train(tinyConfig(bad), { out: existing, handleSigint: false, quiet: true }), TrainSetupError);
  assert.equal(fs.existsSync(existing), true);
});

test('an epoch whose best checkpoint cannot be written is still in history.csv and history.jsonl', T, async () => {
  const out = path.join(root, 'ckpt-fails');
  // After epoch 1's "epoch" event and before its checkpoint (the first epoch is always the best so far) is
  // written, a folder takes the checkpoint's name, so the rename into place fails (as root too, unlike a
  // read-only folder).
  const blockCheckpoint = (e: TrainEvent) => {
    if (e.type !== 'epoch' || e.epoch !== 1) return;
    const file = path.join(out, 'best_model_phase1.safetensors');
    fs.rmSync(file, { force: true });
    fs.mkdirSync(path.join(file, 'blocked'), { recursive: true });
  };
  const config = tinyConfig(data, [], { epochs1: 2, epochs2: 0 });
  await assert.rejects(train(config, { out, handleSigint: false, quiet: true, onEvent: blockCheckpoint, skipEvaluation: true }), /best_model_phase1/);
  const csv = fs.readFileSync(path.join(out, 'history.csv'), 'utf8').trim().split('\n');
  assert.deepEqual(csv.slice(1).map((l) => l.split(',').slice(0, 2).join(',')), ['phase1,1']);
  const jsonl = fs.readFileSync(path.join(out, 'history.jsonl'), 'utf8').trim().split('\n');
  assert.equal(jsonl.length, 1);
});

test('a feature-cache spill folder that cannot be written, or that reaches featureCache.diskMB, gives one warning and the same history', T, async () => {
  const blocker = path.join(root, 'not-a-folder');
  fs.writeFileSync(blocker, 'x');
  const events: TrainEvent[] = [];
  const set = ['featureCache.memoryMB=0', `featureCache.dir=${path.join(blocker, 'spill')}`];
  // At 128 px a layer3 entry is 64 KB: the smallest budget (1 MB) holds 16 of the 40 views, the rest must spill.
  const r = await train(tinyConfig(data, set, { epochs1: 2, epochs2: 1, imageSize: 128 }), { out: path.join(root, 'spill-fails'), handleSigint: false, quiet: true, skipEvaluation: true, onEvent: (e) => events.push(e) });
  const warnings = events.filter((e) => e.type === 'warning' && /spill folder/.test(e.message));
  assert.ok(warnings.length >= 1 && warnings.length <= 2, `one warning per cache: ${warnings.length}`);
  const plain = await train(tinyConfig(data, ['featureCache.enabled=false'], { epochs1: 2, epochs2: 1, imageSize: 128 }), { out: path.join(root, 'no-cache'), handleSigint: false, quiet: true, skipEvaluation: true });
  const strip = (h: typeof r.history) => h.map((e) => [e.phase, e.epoch, e.train_loss.toFixed(5), e.val_auc]);
  assert.deepEqual(strip(r.history), strip(plain.history));

  // 1 MB of spill folder per stage holds another 16 views; the remaining 8 are computed again in each epoch.
  const limited: TrainEvent[] = [];
  const capped = await train(tinyConfig(data, ['featureCache.memoryMB=0', 'featureCache.diskMB=1'], { epochs1: 2, epochs2: 1, imageSize: 128 }),
    { out: path.join(root, 'spill-capped'), handleSigint: false, quiet: true, skipEvaluation: true, onEvent: (e) => limited.push(e) });
  const notices = limited.filter((e) => e.type === 'warning' && /reached featureCache\.diskMB/.test(e.message)).map((e) => (e as { message: string }).message);
  assert.deepEqual(notices, ['feature cache (layer3): 16 views (1 MB) in its spill folder reached featureCache.diskMB; the views beyond it are computed again when needed']);
  assert.deepEqual(strip(capped.history), strip(plain.history));
});
