// Whole training runs on a tiny dataset (resnet18 at 32 px, random init, 16 training images in 2 batches):
// the run directory of the contract, cached = uncached, kill -9 and Ctrl-C followed by --resume giving the
// uninterrupted history, best weights restored at the end of a phase, a NaN loss, and clear input errors.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint, readSafetensors } from '../src/io/index.js';
import { loadModelFile } from '../src/models/index.js';
import { cpuCache } from '../src/torch/index.js';
import { train, NonFiniteLossError, RunDirError, TrainSetupError, parseHistoryJsonl, type RunResult, type TrainEvent, type EpochRecord } from '../src/train/index.js';
import { ConfigError, resolveConfig, type RunConfig } from '../src/train/config/index.js';
import { loadRunState } from '../src/train/resume/state.js';
import { runPaths, tempFilesIn } from '../src/train/run-dir.js';
import { makeStripes, removeTempDirs, tempDir, tempPath, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

const T = { timeout: 600_000 };
const data = await makeStripes(tempDir(), { train: 8, val: 4, test: 2 });
const config = tinyConfig(data);

/** The history without the timing columns, which legitimately differ between runs. */
const untimed = (h: EpochRecord[]) => h.map(({ seconds: _s, images_per_second: _i, ...r }) => r);

function tensorsOf(file: string): Map<string, string> {
  const st = readSafetensors(file);
  return new Map([...st.tensors].map(([k, t]) => [k, `${t.dtype}|${t.shape}|${Buffer.from(t.data).toString('base64')}`]));
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _e: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const refOut = tempDir('tlearn-ref-');
let ref: RunResult;

test('a run writes the contract\'s run directory, history, checkpoints with metadata, and JSON events', T, async () => {
  const events: TrainEvent[] = [];
  const out = new Capture();
  ref = await train(config, { out: refOut, json: true, output: out, handleSigint: false, batchEvents: true, onEvent: (e) => events.push(e) });
  const names = fs.readdirSync(refOut).sort();
  assert.deepEqual(names, [
    'audit.json', 'best_model_final.pth', 'best_model_final.safetensors', 'best_model_phase1.pth', 'best_model_phase1.safetensors',
    'best_model_phase2.pth', 'best_model_phase2.safetensors', 'config.json',
    'eval', 'history.csv', 'history.jsonl', 'last', 'manifest.csv', 'report.html',
  ]);
  // checkpointFormat 'both': the .pth holds the same tensors and metadata as the .safetensors beside it.
  for (const name of ['phase1', 'phase2', 'final']) {
    const st = loadCheckpoint(path.join(refOut, `best_model_${name}.safetensors`));
    const pth = loadCheckpoint(path.join(refOut, `best_model_${name}.pth`));
    assert.deepEqual([...pth.tensors.keys()].sort(), [...st.tensors.keys()].sort()); // safetensors stores keys sorted
    for (const [k, t] of st.tensors) assert.ok(Buffer.from(t.data).equals(Buffer.from(pth.tensors.get(k)!.data)), `${name} ${k}`);
    assert.deepEqual(pth.metadata, st.metadata);
  }
  // The end of the run (src/eval): the test split evaluated with the final model and its threshold.
  const metrics = JSON.parse(fs.readFileSync(path.join(refOut, 'eval', 'metrics.json'), 'utf8'));
  assert.equal(metrics.n, 4);
  assert.equal(metrics.threshold, ref.threshold);
  assert.deepEqual(ref.evaluation && (ref.evaluation as { n: number }).n, 4);
  assert.deepEqual(tempFilesIn(refOut), []);
  // ended-*: the last phase as its last epoch left it, so that a resume may give it more epochs.
  assert.deepEqual(fs.readdirSync(path.join(refOut, 'last')).sort(),
    ['base.safetensors', 'ended-model.safetensors', 'ended-optimizer.safetensors', 'model.safetensors', 'rng.safetensors', 'state.json']);
  assert.deepEqual(tempFilesIn(path.join(refOut, 'last')), []);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(refOut, 'config.json'), 'utf8')), JSON.parse(JSON.stringify(config)));

  // History: one row per epoch, the same in both files and in the result, names unchanged across phases.
  assert.deepEqual(ref.history.map((r) => `${r.phase}/${r.epoch}`), ['phase1/1', 'phase1/2', 'phase2/1', 'phase2/2']);
  const csv = fs.readFileSync(path.join(refOut, 'history.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'phase,epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,val_auc,seconds,images_per_second');
  assert.equal(csv.length, 5);
  assert.deepEqual(parseHistoryJsonl(fs.readFileSync(path.join(refOut, 'history.jsonl'), 'utf8')), ref.history);
  for (const r of ref.history) {
    assert.ok(r.val_auc >= 0 && r.val_auc <= 1 && r.train_loss > 0 && r.images_per_second > 0, JSON.stringify(r));
    assert.equal(r.lr, r.phase === 'phase1' ? 1e-3 : 1e-5);
  }

  // Checkpoints: full metadata; the final one is the best phase's best epoch, with its threshold.
  const p1 = loadModelFile(path.join(refOut, 'best_model_phase1.safetensors'));
  assert.equal(p1.metadata.phase, 'phase1');
  assert.deepEqual(p1.metadata.classes, ['stripes_h', 'stripes_v']);
  assert.equal(p1.metadata.positiveClass, 'stripes_v');
  assert.equal(p1.metadata.imageSize, 32);
  assert.equal(p1.metadata.resize, 'squash');
  assert.deepEqual(p1.metadata.mean, config.input.mean);
  const row1 = ref.history.find((r) => r.phase === 'phase1' && r.epoch === p1.metadata.epoch)!;
  assert.equal(p1.metadata.metrics.val_auc, row1.val_auc);
  assert.equal(p1.metadata.metrics.val_loss, row1.val_loss);
  assert.notEqual(p1.metadata.toolVersion, 'unknown');
  p1.model.dispose();
  const fin = loadModelFile(ref.bestModel!);
  assert.equal(fin.metadata.phase, ref.best!.phase);
  assert.equal(fin.metadata.epoch, ref.best!.epoch);
  assert.equal(fin.metadata.threshold, 0.5);
  assert.equal(fin.metadata.extra.selected_from, `best_model_${ref.best!.phase}.safetensors`);
  assert.equal(fin.metadata.extra.threshold_method, 'fixed');
  fin.model.dispose();
  const bestRows = ref.history.filter((r) => r.phase === ref.best!.phase);
  assert.equal(ref.best!.metrics.val_auc, Math.max(...ref.history.map((r) => r.val_auc)));
  assert.ok(bestRows.some((r) => r.epoch === ref.best!.epoch));

  // Events: JSON lines on the output, with the types of the contract, NaN-free JSON.
  const lines = out.text.trim().split('\n').map((l) => JSON.parse(l) as TrainEvent);
  const types = new Set(lines.map((e) => e.type));
  for (const t of ['start', 'phase', 'epoch', 'checkpoint', 'done']) assert.ok(types.has(t as TrainEvent['type']), t);
  assert.ok(!types.has('batch'));
  assert.equal(lines.at(-1)!.type, 'done');
  // done says where the report and the test metrics are, and the test split's headline numbers.
  const done = lines.at(-1) as Extract<TrainEvent, { type: 'done' }>;
  assert.deepEqual([done.report, done.metrics], [path.join(refOut, 'report.html'), path.join(refOut, 'eval', 'metrics.json')]);
  const written = JSON.parse(fs.readFileSync(done.metrics!, 'utf8'));
  assert.deepEqual(done.test, { n: 4, auc: written.auc, accuracy: written.accuracy });
  // The final model's checkpoint event names the phase its epoch belongs to.
  const finalEvent = lines.find((e) => e.type === 'checkpoint' && e.phase === 'final') as Extract<TrainEvent, { type: 'checkpoint' }>;
  assert.deepEqual([finalEvent.source_phase, finalEvent.epoch], [ref.best!.phase, ref.best!.epoch]);
  assert.ok(events.some((e) => e.type === 'batch'));
  assert.deepEqual(events.filter((e) => e.type === 'phase').map((e) => `${(e as { phase: string }).phase}:${(e as { event: string }).event}`),
    ['phase1:start', 'phase1:end', 'phase2:start', 'phase2:end']);
  // The data audit's summary is printed before training starts.
  const firstInfo = events.findIndex((e) => e.type === 'info' && /^Data: .*\nClasses: /s.test(e.message));
  assert.ok(firstInfo >= 0 && firstInfo < events.findIndex((e) => e.type === 'start'), 'audit summary before the start event');
  // channelsLast 'auto' (the default) at this tiny image size: NCHW (NHWC pays on CPU from 96 px).
  assert.equal((events.find((e) => e.type === 'start') as Extract<TrainEvent, { type: 'start' }>).channels_last, false);
  const p1start = events.find((e) => e.type === 'phase' && e.event === 'start' && e.phase === 'phase1') as Extract<TrainEvent, { type: 'phase'; event: 'start' }>;
  assert.equal(p1start.trainable_parameters, 513);
  assert.match(p1start.cache!, /^pool /);
  assert.equal(p1start.cache_entries, 0);
  // Phase 1 computed layer3's output on its way to the pooled features: phase 2 starts with it, instead of
  // decoding the images again: both views (flip augmentation) of the 16 training images, the 8 validation images.
  const p2start = events.find((e) => e.type === 'phase' && e.event === 'start' && e.phase === 'phase2') as Extract<TrainEvent, { type: 'phase'; event: 'start' }>;
  assert.match(p2start.cache!, /^layer3 /);
  assert.equal(p2start.cache_entries, 2 * 16 + 8);
});

test('the frozen-prefix cache changes nothing: cached and uncached histories are equal', T, async () => {
  const uncached = await train(tinyConfig(data, ['featureCache.enabled=false']), { out: tempDir('tlearn-nocache-'), handleSigint: false, quiet: true, skipEvaluation: true });
  const a = untimed(ref.history), b = untimed(uncached.history);
  assert.equal(a.length, b.length);
  a.forEach((r, i) => {
    for (const [k, v] of Object.entries(r)) {
      const w = (b[i] as Record<string, unknown>)[k];
      if (typeof v === 'number') assert.ok(Math.abs(v - (w as number)) <= 1e-6 * Math.max(1, Math.abs(v)), `row ${i} ${k}: ${v} vs ${w}`);
      else assert.equal(v, w);
    }
  });
});

/** Runs train() in a child process; at the pauseAt batch, sends `signal` once and waits for the exit. */
async function runChild(out: string, cfg: RunConfig, pauseAt: { phase: string; epoch: number; batch: number }, signal: NodeJS.Signals): Promise<{ stdout: string; code: number | null; sig: string | null }> {
  const ts = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(`./helpers/train-child.${ts ? 'ts' : 'js'}`, import.meta.url));
  const job = tempPath(path.join(path.dirname(out), `${path.basename(out)}.job.json`));
  fs.writeFileSync(job, JSON.stringify({ config: cfg, out, pauseAt, pauseMs: 2000 }));
  const child = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), script, job], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout.on('data', (d) => {
    stdout += d;
    if (!sent && stdout.includes('PAUSED')) {
      sent = true;
      child.kill(signal);
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  const [code, sig] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  assert.ok(sent, `the child never reached the pause point:\n${stdout}\n${stderr}`);
  return { stdout, code, sig };
}

test('kill -9 in the middle of phase 2, then resume: the rest of the history and the final model equal an uninterrupted run', T, async () => {
  const out = tempDir('tlearn-kill-');
  const r = await runChild(out, config, { phase: 'phase2', epoch: 1, batch: 1 }, 'SIGKILL');
  assert.equal(r.sig, 'SIGKILL');
  // Killed mid-epoch: RUN/last holds the phase boundary (phase 1 done, its best weights restored).
  const saved = loadRunState(runPaths(out), 2).state;
  assert.equal(saved.phaseIndex, 1);
  assert.equal(saved.phase, null);
  assert.equal(saved.history.length, 2);
  const resumed = await train(config, { out, resume: true, handleSigint: false, quiet: true, skipEvaluation: true });
  assert.deepEqual(untimed(resumed.history), untimed(ref.history));
  assert.deepEqual(tensorsOf(resumed.bestModel!), tensorsOf(ref.bestModel!));
  assert.deepEqual(tempFilesIn(out), []);
  assert.deepEqual(fs.readdirSync(out).filter((n) => n.startsWith('.')), []);
});

test('Ctrl-C mid-epoch saves RUN/last after the current batch; resume continues that epoch and equals an uninterrupted run', T, async () => {
  const out = tempDir('tlearn-int-');
  const r = await runChild(out, config, { phase: 'phase1', epoch: 2, batch: 1 }, 'SIGINT');
  assert.match(r.stdout, /RESULT \{"interrupted":true,"bestModel":null\}/);
  assert.match(r.stdout, /"type":"interrupted","phase":"phase1","epoch":2,"batch":1/);
  const saved = loadRunState(runPaths(out), 2).state;
  assert.equal(saved.phaseIndex, 0);
  assert.equal(saved.phase!.epochsDone, 1);
  assert.equal(saved.midEpoch!.batchesDone, 1);
  assert.equal(saved.midEpoch!.totals.seen, 8);
  const resumed = await train(config, { out, resume: true, handleSigint: false, quiet: true, skipEvaluation: true });
  assert.deepEqual(untimed(resumed.history), untimed(ref.history));
  assert.deepEqual(tensorsOf(resumed.bestModel!), tensorsOf(ref.bestModel!));
  // Resuming with another experiment is refused by name.
  await assert.rejects(train(tinyConfig(data, [], { lr1: 0.5 }), { out, resume: true, handleSigint: false, quiet: true, skipEvaluation: true }),
    (e: Error) => e instanceof RunDirError && /config\.phases\[0\]\.lr differ/.test(e.message));
});

test('the best weights are restored at the end of a phase even when early stopping did not fire', T, async () => {
  // A high learning rate: val_auc reaches its best on an early epoch and later epochs only tie or fall, so the
  // last epoch's weights are not the best ones (checked below) and patience 5 does not stop the phase.
  const cfg = tinyConfig(data, [], { epochs1: 4, epochs2: 0, lr1: 0.1 });
  const out = tempDir('tlearn-restore-');
  let checked = false;
  const result = await train(cfg, {
    out, handleSigint: false, quiet: true, skipEvaluation: true,
    onEvent: (e) => {
      if (e.type === 'phase' && e.event === 'end' && e.phase === 'phase1') {
        assert.equal(e.stopped_early, false);
        assert.ok(e.best_epoch! < 4, `precondition: the best epoch (${e.best_epoch}) is not the last one`);
        // RUN/last (saved right after the restore) holds exactly the best checkpoint's tensors, BN statistics included.
        const best = tensorsOf(path.join(out, 'best_model_phase1.safetensors'));
        assert.deepEqual(tensorsOf(path.join(out, 'last', 'base.safetensors')), best);
        for (const [k, v] of tensorsOf(path.join(out, 'last', 'model.safetensors'))) assert.equal(v, best.get(k), k);
        checked = true;
      }
    },
  });
  assert.ok(checked);
  assert.equal(result.history.length, 4);
  assert.equal(result.best!.metrics.val_auc, Math.max(...result.history.map((r) => r.val_auc)));
  assert.deepEqual(tensorsOf(result.bestModel!), tensorsOf(path.join(out, 'best_model_phase1.safetensors')));
});

test('a NaN loss stops the run naming phase, epoch and batch; the last good state and checkpoint stay loadable', T, async () => {
  const out = tempDir('tlearn-nan-');
  await assert.rejects(train(tinyConfig(data, ['phases[1].lr=1e37', 'checkpointFormat=pth']), { out, handleSigint: false, quiet: true, skipEvaluation: true }),
    (e: Error) => e instanceof NonFiniteLossError && /loss is (NaN|Infinity|-Infinity) in phase 'phase2', epoch 1, batch \d/.test(e.message));
  const paths = runPaths(out);
  const loaded = loadRunState(paths, 2);
  assert.equal(loaded.state.phaseIndex, 1);
  const best = loadModelFile(path.join(out, 'best_model_phase1.pth'));
  assert.equal(best.format, 'pth');
  assert.equal(best.metadata.phase, 'phase1');
  for (const p of best.model.parameters()) assert.ok(p.isfinite().all().item() === 1, 'finite weights');
  best.model.dispose();
  assert.deepEqual(tempFilesIn(out), []);
});

test('an abort before the first epoch leaves a resumable RUN/last; resume gives the uninterrupted run', T, async () => {
  const out = tempDir('tlearn-abort-');
  const ac = new AbortController();
  const r = await train(config, { out, handleSigint: false, quiet: true, skipEvaluation: true, signal: ac.signal, onEvent: (e) => { if (e.type === 'start') ac.abort(); } });
  assert.equal(r.interrupted, true);
  assert.equal(r.history.length, 0);
  const resumed = await train(config, { out, resume: true, handleSigint: false, quiet: true, skipEvaluation: true });
  assert.deepEqual(untimed(resumed.history), untimed(ref.history));
});

test('configuration warnings reach every caller of train() as warning events, before the run starts', T, async () => {
  const warned = tinyConfig(data, ['phases[0].reduceLROnPlateau.minLr=1']);
  const events: TrainEvent[] = [];
  const ac = new AbortController();
  await train(warned, { out: tempDir(), handleSigint: false, quiet: true, skipEvaluation: true, signal: ac.signal,
    onEvent: (e) => { events.push(e); if (e.type === 'start') ac.abort(); } });
  const at = events.findIndex((e) => e.type === 'warning' && /reduceLROnPlateau\.minLr 1 is not below the learning rate/.test(e.message));
  assert.ok(at >= 0, JSON.stringify(events));
  assert.ok(at < events.findIndex((e) => e.type === 'start'), 'before the start event');
});

test('--weights with a trained binary classifier says that only its backbone is used and the head starts anew', T, async () => {
  const events: TrainEvent[] = [];
  const ac = new AbortController();
  const weights = path.join(refOut, 'best_model_final.safetensors');
  await train(tinyConfig(data, [], { weights }), { out: tempDir(), handleSigint: false, quiet: true, skipEvaluation: true, signal: ac.signal,
    onEvent: (e) => { events.push(e); if (e.type === 'start') ac.abort(); } });
  const notes = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
  assert.ok(notes.some((m) => m.includes(weights) && /binary classifier/.test(m) && /new head/.test(m)), notes.join('\n'));
});

test('the report summary says in words which file is the model, where it came from, the threshold and the starting weights', () => {
  const html = fs.readFileSync(path.join(refOut, 'report.html'), 'utf8');
  const summary = html.slice(html.indexOf('<section id="summary">'), html.indexOf('</section>', html.indexOf('<section id="summary">')));
  assert.match(summary, /<th>model file \(for predict and evaluate\)<\/th><td>[^<]*best_model_final\.safetensors \(\.pth copy beside it for PyTorch\)<\/td>/);
  assert.match(summary, /<th>chosen from<\/th><td>phase\d epoch \d+: the best val_auc on validation of all phases<\/td>/);
  assert.match(summary, /<th>threshold<\/th><td>0\.5 \(fixed\): a probability of &#39;stripes_v&#39; at or above it predicts &#39;stripes_v&#39;<\/td>/);
  assert.match(summary, /<th>starting weights<\/th><td>none \(random initialisation\)<\/td>/);
  assert.match(summary, /<th>pos_weight<\/th><td>none \(unweighted loss\)<\/td>/);
  assert.match(summary, /<th>training duration<\/th><td>\d[^<–]*<\/td>/);
  assert.doesNotMatch(summary, /monitor_value|best_model</);
  // The training curves mark the epoch the final model comes from (the run's own phase and epoch).
  const svg = fs.readFileSync(path.join(refOut, 'eval', 'training_curves.svg'), 'utf8');
  const final = loadModelFile(path.join(refOut, 'best_model_final.safetensors'));
  final.model.dispose();
  const mark = `model: ${final.metadata.phase} epoch ${final.metadata.epoch}`;
  assert.ok(svg.includes(mark), mark);
});

test('resume refuses a RUN/config.json edited after the state was saved, naming the keys; an unedited one resumes', T, async () => {
  const out = tempDir('tlearn-edited-');
  const ac = new AbortController();
  await train(config, { out, handleSigint: false, quiet: true, skipEvaluation: true, signal: ac.signal, onEvent: (e) => { if (e.type === 'start') ac.abort(); } });
  const file = path.join(out, 'config.json');
  const original = fs.readFileSync(file, 'utf8');
  const edited = JSON.parse(original);
  edited.phases[0].lr = 0.05;
  edited.phases[1].trainable = ['layer3', 'fc'];
  fs.writeFileSync(file, JSON.stringify(edited));
  // As the CLI does on --resume: the configuration comes from RUN/config.json.
  await assert.rejects(train(resolveConfig({ raw: edited }), { out, resume: true, handleSigint: false, quiet: true, skipEvaluation: true }),
    (e: Error) => e instanceof RunDirError && /config\.json was changed after .*RUN\/last.*config\.phases\[0\]\.lr.*config\.phases\[1\]\.trainable/.test(e.message));
  fs.writeFileSync(file, original);
  const resumed = await train(config, { out, resume: true, handleSigint: false, quiet: true, skipEvaluation: true });
  assert.equal(resumed.history.length, ref.history.length);
});

test('bf16 autocast, channels-last and bnPolicy train run; frozen BatchNorm statistics move only under bnPolicy train', T, async () => {
  const out = tempDir('tlearn-bf16-');
  const starts: TrainEvent[] = [];
  // Freed tensor memory kept by the caching allocator: some is idle when phase 1 ends, none when phase 2 starts
  // (an earlier phase's shapes do not come again).
  const idle: Record<string, number> = {};
  const r = await train(tinyConfig(data, [], { precision: 'bf16', channelsLast: true, bnPolicy: 'train', epochs1: 1, epochs2: 1 }),
    { out, handleSigint: false, quiet: true, skipEvaluation: true, onEvent: (e) => {
      if (e.type === 'start') starts.push(e);
      if (e.type === 'phase') idle[`${e.phase}:${e.event}`] = cpuCache.stats().idleBytes;
    } });
  assert.ok(idle['phase1:end']! > 0, JSON.stringify(idle));
  assert.equal(idle['phase2:start'], 0);
  assert.equal(r.history.length, 2);
  assert.equal((starts[0] as Extract<TrainEvent, { type: 'start' }>).channels_last, true);
  for (const row of r.history) assert.ok(Number.isFinite(row.train_loss) && row.val_auc >= 0 && row.val_auc <= 1, JSON.stringify(row));
  const stat = (file: string) => Buffer.from(readSafetensors(file).tensors.get('layer1.0.bn1.running_mean')!.data);
  const zeros = Buffer.alloc(64 * 4);
  // Random init: running means start at 0. Frozen layer1 keeps them under 'eval' (the reference run), not under 'train'.
  assert.ok(stat(path.join(refOut, 'best_model_phase1.safetensors')).equals(zeros));
  assert.ok(!stat(path.join(out, 'best_model_phase1.safetensors')).equals(zeros));
});

test('bad input: configuration errors name the key, missing validation data and used run folders are explained', T, async () => {
  assert.throws(() => tinyConfig(data, ['phases[1].trainable=[layer5]']), (e: Error) => e instanceof ConfigError && /config\.phases\[1\]\.trainable\[0\]/.test(e.message));
  assert.throws(() => tinyConfig(data, [], { batchSize: 0 }), (e: Error) => e instanceof ConfigError && /--batch-size/.test(e.message));
  // A configuration built in code is checked by train() as well.
  await assert.rejects(train({ ...config, batchSize: -3 } as RunConfig, { out: tempDir(), handleSigint: false, quiet: true, skipEvaluation: true }),
    (e: Error) => e instanceof ConfigError && /config\.batchSize/.test(e.message));
  const noVal = tempDir();
  await makeStripes(noVal, { train: 4, val: 0, test: 0 });
  fs.rmSync(path.join(noVal, 'val'), { recursive: true, force: true });
  fs.rmSync(path.join(noVal, 'test'), { recursive: true, force: true });
  const failedOut = tempDir();
  // Without a val/ folder validation images are drawn from train/, unless the validation share is 0.
  await assert.rejects(train(tinyConfig(noVal, [], { valFraction: 0 }), { out: failedOut, handleSigint: false, quiet: true, skipEvaluation: true }),
    (e: Error) => e instanceof TrainSetupError && /no validation images/.test(e.message));
  // Nothing that marks a run is left behind: the same --out can be used again once the data is fixed.
  assert.equal(fs.existsSync(path.join(failedOut, 'config.json')), false);
  assert.equal(fs.existsSync(path.join(failedOut, 'last')), false);
  await assert.rejects(train(config, { out: refOut, handleSigint: false, quiet: true, skipEvaluation: true }),
    (e: Error) => e instanceof RunDirError && /already holds a run/.test(e.message));
  const cudaCfg = tinyConfig(data, [], { device: 'cuda' });
  const { cuda } = await import('../src/torch/index.js');
  if (!cuda.isAvailable()) {
    await assert.rejects(train(cudaCfg, { out: tempDir(), handleSigint: false, quiet: true, skipEvaluation: true }), /device 'cuda' was requested, but this libtorch has no CUDA/);
  }
});
