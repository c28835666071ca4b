// Data-parallel training end to end on CPU (Gloo), tiny resnet18 at 32 px: 2 ranks x 1 thread with per-rank
// batch 16, launched by Debian's torchrun, train as 1 process with batch 32 (the same history within float
// tolerance: synchronized BatchNorm in phase 2, averaged gradients, gathered validation), the same best_model_final
// (threshold and temperature from the final validation pass, which both ranks share) and the same test predictions
// (each rank predicts its shard, gathered on rank 0); only rank 0 writes the run folder. A rank killed during phase 2 under --nproc: the launcher stops the other and fails naming rank 1,
// RUN/last is resumed with 2 ranks (and refused with 1). Ctrl-C on the launcher: every rank stops and rank 0
// saves RUN/last (exit 130), which --resume --nproc 2 finishes. With SWA, the averages' recomputed BatchNorm
// statistics are the single process's too.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../src/io/index.js';
import { train } from '../src/train/index.js';
import { freePort } from '../src/distributed/launch.js';
import { loadRunState } from '../src/train/resume/state.js';
import { runPaths } from '../src/train/run-dir.js';
import { cliIn } from './helpers/cli.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'tlearn.js');
// Debian's, unless the suite runs against another libtorch, whose TCPStore wants its own torchrun's agent.
const TORCHRUN = process.env.TLEARN_TEST_TORCHRUN ?? '/usr/bin/torchrun';
const FLAGS = ['--arch', 'resnet18', '--weights', 'none', '--image-size', '32', '--epochs1', '1', '--epochs2', '1', '--dropout', '0', '--threads', '1', '--augment', 'flip'];
let data: string;

before(async () => {
  // 64 training images: 2 steps per epoch with 2 x 16 (or 1 x 32); 20 validation images shard 10 + 10.
  data = await makeStripes(tempDir(), { train: 32, val: 10, test: 4 }, 20);
});
after(removeTempDirs);

const rows = (run: string) => fs.readFileSync(path.join(run, 'history.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));

test('2 ranks x 16 through torchrun train as 1 process x 32: the same history, final model and test predictions; rank 1 shares the end and writes only its log', { skip: !fs.existsSync(TORCHRUN) && `no ${TORCHRUN}` }, async () => {
  const two = path.join(tempDir(), 'two');
  const port = await freePort();
  // Debian's torch 1.13 on Python 3.11 cannot parse torchrun's default --redirects/--tee 0 (IntFlag): give 2 and 1.
  const r = spawnSync(TORCHRUN, ['--no_python', '--nproc_per_node', '2', '--master_port', String(port), '-r', '2', '-t', '1', '--log_dir', path.join(two, '..', 'tlogs'),
    process.execPath, bin, 'train', data, '--out', two, '--batch-size', '16', '--calibration', 'temperature', ...FLAGS], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /world: 2 ranks x 16 images = a global batch of 32, synchronized BatchNorm/);

  const one = path.join(tempDir(), 'one');
  await train(tinyConfig(data, [], { batchSize: 32, epochs1: 1, epochs2: 1, dropout: 0, threads: 1, calibration: 'temperature' }), { out: one, quiet: true, handleSigint: false });
  const [a, b] = [rows(one), rows(two)];
  assert.equal(b.length, 2);
  a.forEach((row, i) => {
    assert.deepEqual(b[i]!.slice(0, 3), row.slice(0, 3));
    // train_loss, train_accuracy, val_loss, val_accuracy, val_auc: only the order of the sums differs.
    for (let k = 3; k <= 7; k++) assert.ok(Math.abs(Number(b[i]![k]) - Number(row[k])) < 1e-5, `row ${i} column ${k}: ${b[i]![k]} vs ${row[k]}`);
  });
  const rank1 = fs.readFileSync(path.join(two, 'logs', 'rank-1.log'), 'utf8');
  assert.ok(rank1.includes('this is rank 1'));
  // The end of the run is shared: rank 1 validates its half of the validation split for best_model_final and
  // predicts its half of the test split; rank 0 gathers both in the splits' order.
  assert.match(rank1, /final validation: its 10 of the 20 validation images/, rank1);
  assert.match(rank1, /predicting its 4 of the 8 test images/, rank1);
  const close = (x: unknown, y: unknown, what: string) => assert.ok(typeof x === 'number' && typeof y === 'number' && Math.abs(x - y) < 1e-5, `${what}: ${x} vs ${y}`);
  type Meta = { threshold: number; temperature: number; metrics: Record<string, number>; extra: { calibration: Record<string, number> } };
  const meta = (run: string) => loadCheckpoint(path.join(run, 'best_model_final.safetensors')).metadata as Meta;
  const [f1, f2] = [meta(one), meta(two)];
  close(f2.threshold, f1.threshold, 'threshold');
  close(f2.temperature, f1.temperature, 'temperature');
  assert.notEqual(f1.temperature, 1);
  for (const k of ['val_log_loss_before', 'val_log_loss_after', 'val_ece_before', 'val_ece_after']) close(f2.extra.calibration[k], f1.extra.calibration[k], k);
  for (const k of ['val_loss', 'val_accuracy', 'val_auc']) close(f2.metrics[k], f1.metrics[k], k);
  // The test metrics and every image's probability are the whole split's, as 1 process's.
  const metrics = (run: string) => JSON.parse(fs.readFileSync(path.join(run, 'eval', 'metrics.json'), 'utf8')) as Record<string, unknown>;
  const [m1, m2] = [metrics(one), metrics(two)];
  assert.equal(m2.n, 8);
  for (const k of ['n', 'auc', 'accuracy', 'log_loss', 'brier']) close(m2[k], m1[k], k);
  const predictions = (run: string) => fs.readFileSync(path.join(run, 'eval', 'predictions.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const [p1, p2] = [predictions(one), predictions(two)];
  assert.equal(p2.length, 9);
  p1.forEach((row, i) => {
    assert.deepEqual([p2[i]![0], p2[i]![1], p2[i]![3]], [row[0], row[1], row[3]]);
    if (i > 0) close(Number(p2[i]![2]), Number(row[2]), `probability of ${row[0]}`);
  });
  assert.deepEqual(fs.readdirSync(two).filter((n) => n.includes('rank')), [], 'no per-rank cache folders left behind');
});

test('--nproc 2 with --one-cycle and --clip-grad-norm trains as 1 process x 32: the same rates and history (clipping after the all-reduce)', async () => {
  const two = path.join(tempDir(), 'two-cycle');
  const extra = ['--one-cycle', '--clip-grad-norm', '0.05', '--epochs1', '2'];
  const r = spawnSync(process.execPath, [bin, 'train', data, '--out', two, '--batch-size', '16', '--nproc', '2', ...FLAGS, ...extra], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const one = path.join(tempDir(), 'one-cycle');
  await train(tinyConfig(data, ['clipGradNorm=0.05'], { batchSize: 32, epochs1: 2, epochs2: 1, dropout: 0, threads: 1, oneCycle: true }), { out: one, quiet: true, handleSigint: false, skipEvaluation: true });
  const [a, b] = [rows(one), rows(two)];
  assert.equal(b.length, 3);
  // Phase 1's second epoch starts mid-cycle: its rate is neither the start nor the peak.
  assert.ok(Number(a[1]![2]) > Number(a[0]![2]) && Number(a[1]![2]) < 1e-3, `phase 1 rates ${a[0]![2]}, ${a[1]![2]}`);
  a.forEach((row, i) => {
    assert.deepEqual(b[i]!.slice(0, 3), row.slice(0, 3));
    for (let k = 3; k <= 7; k++) assert.ok(Math.abs(Number(b[i]![k]) - Number(row[k])) < 1e-5, `row ${i} column ${k}: ${b[i]![k]} vs ${row[k]}`);
  });
});

test('--nproc 2 x batch 8 with --accumulate-grad-batches 2 and --ema trains as 1 process x 32: the same history (the group sums of the ranks averaged at its last batch; every rank validates the same averages)', async () => {
  // Phase 2 trains a convolution and the head: no BatchNorm trains, whose statistics would see 16 images, not 32.
  const set = ['phases[1].trainable=[layer4.1.conv2, fc]', 'clipGradNorm=0.05', 'ema=0.5'];
  const two = path.join(tempDir(), 'two-acc');
  const extra = ['--one-cycle', '--accumulate-grad-batches', '2', '--epochs1', '2', ...set.flatMap((s) => ['--set', s])];
  const r = spawnSync(process.execPath, [bin, 'train', data, '--out', two, '--batch-size', '8', '--nproc', '2', ...FLAGS, ...extra], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /2 ranks x 8 images x 2 batches summed = a global batch of 32/);
  const one = path.join(tempDir(), 'one-acc');
  await train(tinyConfig(data, set, { batchSize: 32, epochs1: 2, epochs2: 1, dropout: 0, threads: 1, oneCycle: true }), { out: one, quiet: true, handleSigint: false, skipEvaluation: true });
  const [a, b] = [rows(one), rows(two)];
  assert.equal(b.length, 3);
  a.forEach((row, i) => {
    assert.deepEqual(b[i]!.slice(0, 3), row.slice(0, 3));
    for (let k = 3; k <= 7; k++) assert.ok(Math.abs(Number(b[i]![k]) - Number(row[k])) < 1e-5, `row ${i} column ${k}: ${b[i]![k]} vs ${row[k]}`);
  });
});

test('--nproc 2 with --swa trains as 1 process x 32: the averages\' BatchNorm statistics, recomputed over the ranks\' shards with synchronized BatchNorm, validate the same', async () => {
  const set = ['phases[1].swa={start: 1, lr: 0.002, annealEpochs: 0}'];
  const two = path.join(tempDir(), 'two-swa');
  const r = spawnSync(process.execPath, [bin, 'train', data, '--out', two, '--batch-size', '16', '--nproc', '2', ...FLAGS, '--epochs2', '3', ...set.flatMap((s) => ['--set', s])],
    { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const one = path.join(tempDir(), 'one-swa');
  await train(tinyConfig(data, set, { batchSize: 32, epochs1: 1, epochs2: 3, dropout: 0, threads: 1 }), { out: one, quiet: true, handleSigint: false, skipEvaluation: true });
  const [a, b] = [rows(one), rows(two)];
  assert.deepEqual(a.map((x) => x[2]), ['0.001', '0.00001', '0.002', '0.002'], 'SWALR\'s rate from the second epoch of phase 2');
  a.forEach((row, i) => {
    assert.deepEqual(b[i]!.slice(0, 3), row.slice(0, 3));
    for (let k = 3; k <= 7; k++) assert.ok(Math.abs(Number(b[i]![k]) - Number(row[k])) < 1e-5, `row ${i} column ${k}: ${b[i]![k]} vs ${row[k]}`);
  });
});

test('--nproc 2 with syncBatchNorm false validates rank 0\'s BatchNorm statistics on every rank (as DDP\'s broadcast_buffers): the checkpoint evaluated gives the history\'s numbers', async () => {
  const two = path.join(tempDir(), 'two-local-bn');
  const r = spawnSync(process.execPath, [bin, 'train', data, '--out', two, '--batch-size', '16', '--nproc', '2', ...FLAGS, '--set', 'syncBatchNorm=false', '--no-feature-cache'],
    { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const file = path.join(two, 'best_model_phase2.safetensors');
  const epoch = (loadCheckpoint(file).metadata as { epoch: number }).epoch;
  const row = rows(two).find((x) => x[0] === 'phase2' && Number(x[1]) === epoch)!;
  const ev = spawnSync(process.execPath, [bin, 'evaluate', file, data, '--split', 'val', '--out', path.join(two, 'ev-val'), '--threads', '2'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(ev.status, 0, ev.stderr);
  const m = JSON.parse(fs.readFileSync(path.join(two, 'ev-val', 'metrics.json'), 'utf8'));
  // history.csv: phase, epoch, lr, train_loss, train_accuracy, val_loss, val_accuracy, val_auc.
  assert.ok(Math.abs(m.log_loss - Number(row[5])) < 1e-5, `val loss: evaluated ${m.log_loss}, history ${row[5]}`);
  assert.ok(Math.abs(m.auc - Number(row[7])) < 1e-6, `val auc: evaluated ${m.auc}, history ${row[7]}`);
});

/** Starts `tlearn train ... --nproc 2` and resolves with its exit code and output; `onLine` sees rank 0's stdout lines. */
function launchCli(args: string[], onLine: (line: string, pid: number) => void = () => undefined): Promise<{ code: number | null; out: string; err: string; exitedAt: number }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.setEncoding('utf8').on('data', (t: string) => {
      out += t;
      for (const l of t.split('\n')) onLine(l, p.pid!);
    });
    p.stderr.setEncoding('utf8').on('data', (t: string) => { err += t; });
    p.on('close', (code) => resolve({ code, out, err, exitedAt: performance.now() }));
  });
}

/** The child of `parent` whose environment says RANK=rank. */
function rankPid(parent: number, rank: number): number {
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const ppid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid === parent && fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`RANK=${rank}`)) return Number(pid);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no rank ${rank} under ${parent}`);
}

test('a rank killed in phase 2: the launcher stops the other and fails naming it; --resume continues with 2 ranks, not 1', async () => {
  const run = path.join(tempDir(), 'run');
  const args = ['train', data, '--out', run, '--batch-size', '16', ...FLAGS];
  let killedAt = 0;
  const killed = await launchCli([...args, '--nproc', '2'], (line, pid) => {
    if (killedAt === 0 && line.startsWith('Phase phase2: training')) {
      killedAt = performance.now();
      process.kill(rankPid(pid, 1), 'SIGKILL');
    }
  });
  assert.ok(killedAt > 0, `phase 2 never started:\n${killed.out}\n${killed.err}`);
  assert.equal(killed.code, 1, killed.err);
  assert.match(killed.err, /rank 1 was killed by SIGKILL.*every rank has stopped/);
  assert.ok(killed.exitedAt - killedAt < 30_000, 'every rank gone within 30 s');

  const single = await cliIn(root)(['train', '--out', run, '--resume']);
  assert.equal(single.code, 2, single.err);
  assert.match(single.err, /cannot resume .* with 1 rank: it was trained with 2 .*--nproc 2/);

  const resumed = await launchCli(['train', '--out', run, '--resume', '--nproc', '2']);
  assert.equal(resumed.code, 0, `${resumed.out}\n${resumed.err}`);
  assert.match(resumed.out, /Resuming/);
  assert.deepEqual(rows(run).map((r) => `${r[0]} ${r[1]}`), ['phase1 1', 'phase2 1']);
  assert.ok(fs.existsSync(path.join(run, 'best_model_final.safetensors')));
});

test('a training image that stops decoding on a rank stops the run, naming the rank and the file (as a DDP job fails); restored, --resume --nproc 2 finishes', async () => {
  // Its own copy of the data: a file of it is replaced after phase 1's first epoch (saved by then). Random-resized
  // crops decode the originals in every epoch, so the next epoch (phase 1's second or phase 2's) meets it.
  const own = await makeStripes(tempDir(), { train: 32, val: 10, test: 4 }, 20);
  const victim = path.join(own, 'train', 'stripes_h', '005.png');
  const original = fs.readFileSync(victim);
  const run = path.join(tempDir(), 'run');
  const flags = FLAGS.map((f, i) => (FLAGS[i - 1] === '--augment' ? 'light' : FLAGS[i - 1] === '--epochs1' ? '2' : f));
  const broken = await launchCli(['train', own, '--out', run, '--batch-size', '16', ...flags, '--nproc', '2'], (line) => {
    if (line.startsWith('phase1 epoch 1:')) fs.writeFileSync(victim, 'not an image any more');
  });
  assert.equal(broken.code, 1, `${broken.out}\n${broken.err}`);
  assert.match(broken.err, /rank [01]: training image \S*005\.png could not be decoded \(.+\); it was readable when the data was checked, so it changed during the run\. A data-parallel run stops here/);
  assert.match(broken.err, /rank [01] exited with code 1/);
  assert.ok(fs.existsSync(path.join(run, 'best_model_phase1.safetensors')), 'the epoch saved before is kept');
  fs.writeFileSync(victim, original);
  const resumed = await launchCli(['train', '--out', run, '--resume', '--nproc', '2']);
  assert.equal(resumed.code, 0, `${resumed.out}\n${resumed.err}`);
  assert.deepEqual(rows(run).map((r) => `${r[0]} ${r[1]}`), ['phase1 1', 'phase1 2', 'phase2 1']);
});

test('Ctrl-C on --nproc 2 during training: every rank stops, the launcher exits 130 as 1 process does, RUN/last loads and --resume --nproc 2 finishes', async () => {
  const run = path.join(tempDir(), 'run');
  const flags = FLAGS.map((f, i) => (FLAGS[i - 1] === '--epochs1' ? '2' : f));
  let sentAt = 0;
  const stopped = await launchCli(['train', data, '--out', run, '--batch-size', '16', ...flags, '--nproc', '2'], (line, pid) => {
    if (sentAt === 0 && line.startsWith('Phase phase1: training')) {
      sentAt = performance.now();
      process.kill(pid, 'SIGINT');
    }
  });
  assert.ok(sentAt > 0, `training never started:\n${stopped.out}\n${stopped.err}`);
  assert.equal(stopped.code, 130, `${stopped.out}\n${stopped.err}`);
  assert.match(stopped.out, /Interrupt: finishing the current batch/);
  const saved = loadRunState(runPaths(run), 2).state;
  assert.equal(saved.worldSize, 2);
  // Stopped before the last epoch (where in phase 1 depends on how fast the signal travels on a busy machine).
  assert.ok(saved.history.length < 3, `stopped after ${saved.history.length} epochs`);
  assert.ok(!fs.existsSync(path.join(run, 'best_model_final.safetensors')));

  const resumed = await launchCli(['train', '--out', run, '--resume', '--nproc', '2']);
  assert.equal(resumed.code, 0, `${resumed.out}\n${resumed.err}`);
  assert.deepEqual(rows(run).map((r) => `${r[0]} ${r[1]}`), ['phase1 1', 'phase1 2', 'phase2 1']);
  assert.ok(fs.existsSync(path.join(run, 'eval', 'metrics.json')));
});
