// Gradient accumulation (config accumulateGradBatches, --accumulate-grad-batches): batch 8 with 2 batches per
// step trains as batch 16 (the same history, rates, clipping and weights within float tolerance), where no
// BatchNorm trains (phase 1's head; phase 2 a convolution of layer4 and the head), with a one-cycle schedule that
// counts optimizer steps and a last group shorter than the others (44 images: 16 + 16 + 12, as 8+8, 8+8, 8+4);
// a Ctrl-C waits for the group's step and the resumed run equals the uninterrupted one bit for bit; a resume
// with another value is refused; the LR range test's steps accumulate too; the groups and weights by hand.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { train, rangeTest, type EpochRecord, type TrainEvent } from '../src/train/index.js';
import { ConfigError } from '../src/train/config/index.js';
import { AccumulationGroups, microBatch } from '../src/train/accumulation.js';
import { readSafetensors } from '../src/io/index.js';
import { BinaryClassifier } from '../src/models/index.js';
import { DataLoader, loadSource } from '../src/data/index.js';
import type { Engine } from '../src/train/engine.js';
import { BinaryTask, NO_LOSS_SETTINGS } from '../src/tasks/index.js';
import { manualSeed } from '../src/torch/index.js';
import { cliIn } from './helpers/cli.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

const T = { timeout: 600_000 };
const data = await makeStripes(tempDir(), { train: 22, val: 6, test: 2 });
// Phase 2 trains one convolution of layer4 (its BatchNorm layers stay frozen, in eval mode) and the head.
const SET = ['phases[1].trainable=[layer4.1.conv2, fc]', 'phases[0].oneCycle=true', 'phases[1].oneCycle=true', 'clipGradNorm=0.05'];
const config = (batchSize: number, k: number) => tinyConfig(data, [...SET, `accumulateGradBatches=${k}`], { batchSize, dropout: 0 });
const untimed = (h: EpochRecord[]) => h.map(({ seconds: _s, images_per_second: _i, ...r }) => r);
const weightsOf = (file: string) => new Map([...readSafetensors(file).tensors].map(([k, t]) => [k, new Float32Array(Uint8Array.from(t.data).buffer)]));
const bitsOf = (file: string) => new Map([...readSafetensors(file).tensors].map(([k, t]) => [k, Buffer.from(t.data).toString('base64')]));

interface Ran { history: EpochRecord[]; events: TrainEvent[]; model: string }
async function run(batchSize: number, k: number, opts: { out?: string; resume?: boolean; abortAt?: [number, number] } = {}): Promise<Ran & { interrupted: boolean }> {
  const events: TrainEvent[] = [];
  const ac = new AbortController();
  const r = await train(config(batchSize, k), {
    out: opts.out ?? tempDir('tlearn-acc-'), resume: opts.resume, handleSigint: false, quiet: true, skipEvaluation: true, batchEvents: true, signal: ac.signal,
    onEvent: (e) => {
      events.push(e);
      if (opts.abortAt && e.type === 'batch' && e.phase === 'phase1' && e.epoch === opts.abortAt[0] && e.batch === opts.abortAt[1]) ac.abort();
    },
  });
  return { history: r.history, events, model: r.bestModel ?? '', interrupted: r.interrupted };
}

const batchRates = (events: TrainEvent[], phase: string) =>
  events.flatMap((e) => (e.type === 'batch' && e.phase === phase ? [{ epoch: e.epoch, batch: e.batch, batches: e.batches, lr: e.lr }] : []));

let accumulated: Ran;

test('batch 8 with 2 batches per step trains as batch 16: history, one-cycle rates, clipping and weights', T, async () => {
  const whole = await run(16, 1);
  accumulated = await run(8, 2);
  const start = accumulated.events.find((e) => e.type === 'start');
  assert.equal(start?.type === 'start' && start.accumulate_grad_batches, 2);
  assert.equal((whole.events.find((e) => e.type === 'start') as { accumulate_grad_batches?: number }).accumulate_grad_batches, undefined);
  for (const phase of ['phase1', 'phase2']) {
    const one = batchRates(whole.events, phase);
    const two = batchRates(accumulated.events, phase);
    assert.equal(one[0]!.batches, 3);
    assert.equal(two[0]!.batches, 6);
    assert.equal(two.length, 2 * one.length, phase);
    // Both batches of a group are trained at the rate of its step: the cycle moves once per group.
    one.forEach((r, i) => {
      assert.equal(two[2 * i]!.lr, r.lr, `${phase} step ${i + 1}`);
      assert.equal(two[2 * i + 1]!.lr, r.lr, `${phase} step ${i + 1}, second batch`);
    });
    assert.ok(new Set(one.map((r) => r.lr)).size > 3, `${phase}: the cycle moves the rate`);
  }
  const a = untimed(whole.history);
  const b = untimed(accumulated.history);
  assert.equal(b.length, a.length);
  a.forEach((row, i) => {
    for (const [key, v] of Object.entries(row)) {
      const w = (b[i] as Record<string, unknown>)[key];
      if (typeof v === 'number') assert.ok(Math.abs(v - (w as number)) < 1e-5, `epoch row ${i} ${key}: ${w} vs ${v}`);
      else assert.equal(w, v, `epoch row ${i} ${key}`);
    }
  });
  // The gradients were clipped (0.05 is below the norms) and the weights moved: equal they are not by chance.
  const w1 = weightsOf(whole.model);
  const w2 = weightsOf(accumulated.model);
  let moved = 0;
  for (const [key, t] of w1) {
    const u = w2.get(key)!;
    t.forEach((v, i) => assert.ok(Math.abs(v - u[i]!) < 1e-5, `${key}[${i}]: ${u[i]} vs ${v}`));
    if (key === 'layer4.1.conv2.weight') moved = t.length;
  }
  assert.ok(moved > 0);
  // Without clipping the same run ends elsewhere: the limit was in force.
  const free = await train(tinyConfig(data, [...SET.slice(0, 3), 'accumulateGradBatches=2'], { batchSize: 8, dropout: 0, epochs2: 0 }),
    { out: tempDir('tlearn-acc-'), handleSigint: false, quiet: true, skipEvaluation: true });
  assert.ok(Math.abs(free.history[1]!.train_loss - accumulated.history[1]!.train_loss) > 1e-4, 'clipping changed the steps');
});

test('a Ctrl-C within a group stops after its step; the resume equals the uninterrupted run; another accumulateGradBatches is refused', T, async () => {
  const out = tempDir('tlearn-acc-int-');
  // Asked after the first batch of a group (phase 1, epoch 2): the group's second batch still runs and steps.
  const first = await run(8, 2, { out, abortAt: [2, 3] });
  assert.equal(first.interrupted, true);
  const stopped = first.events.find((e) => e.type === 'interrupted');
  assert.deepEqual(stopped?.type === 'interrupted' && [stopped.epoch, stopped.batch], [2, 4]);
  await assert.rejects(run(8, 1, { out, resume: true }), /accumulateGradBatches/);
  const resumed = await run(8, 2, { out, resume: true });
  assert.deepEqual(untimed(resumed.history), untimed(accumulated.history));
  assert.deepEqual(bitsOf(resumed.model), bitsOf(accumulated.model));
});

test('accumulateGradBatches: a whole number from 1 to 1024, default 1; --accumulate-grad-batches sets it', async () => {
  assert.equal(tinyConfig(data).accumulateGradBatches, 1);
  assert.equal(tinyConfig(data, [], { accumulateGradBatches: 4 }).accumulateGradBatches, 4);
  for (const v of ['0', '1.5', '2000', 'many']) {
    assert.throws(() => tinyConfig(data, [`accumulateGradBatches=${v}`]), (e: Error) => e instanceof ConfigError && /config\.accumulateGradBatches/.test(e.message), v);
  }
  const dir = tempDir();
  const cli = cliIn(dir);
  const bad = await cli(['train', data, '--out', 'r', '--accumulate-grad-batches', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--accumulate-grad-batches/);
  const ok = await cli(['train', data, '--out', 'r', '--arch', 'resnet18', '--weights', 'none', '--image-size', '32', '--batch-size', '8',
    '--epochs1', '1', '--epochs2', '0', '--threads', '2', '--accumulate-grad-batches', '3']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out + ok.err, /gradients of 3 batches summed per optimizer step/);
});

test('groups of k batches, the last one shorter; each batch weighted by its share of the group\'s images', () => {
  const sizes = [8, 8, 8, 8, 8, 4];
  assert.deepEqual(microBatch(sizes, 0, 1), { first: true, last: true, weight: 1 });
  assert.deepEqual(microBatch(sizes, 2, 3), { first: false, last: true, weight: 1 / 3 });
  assert.deepEqual(microBatch(sizes, 4, 2), { first: true, last: false, weight: 8 / 12 });
  assert.deepEqual(microBatch(sizes, 5, 2), { first: false, last: true, weight: 4 / 12 });
  assert.deepEqual(microBatch(sizes, 2, 4), { first: false, last: false, weight: 8 / 32 });
  assert.deepEqual(microBatch(sizes, 3, 4), { first: false, last: true, weight: 8 / 32 });
  assert.deepEqual(microBatch(sizes, 5, 4), { first: false, last: true, weight: 4 / 12 });
  // Batch 1 never arrives (every image failed to decode): group 0 steps before batch 2 begins group 1; batch
  // 4's group starts without its first batch, so batch 5 zeroes the gradients; batch 5 is a group's last.
  const g = new AccumulationGroups(sizes, 2);
  assert.deepEqual(g.enter(0), { micro: { first: true, last: false, weight: 0.5 }, stepFirst: false });
  assert.deepEqual(g.enter(2), { micro: { first: true, last: false, weight: 0.5 }, stepFirst: true });
  assert.equal(g.open, true);
  assert.deepEqual(g.enter(3), { micro: { first: false, last: true, weight: 0.5 }, stepFirst: false });
  assert.equal(g.open, false);
  assert.deepEqual(g.enter(5), { micro: { first: true, last: true, weight: 4 / 12 }, stepFirst: false });
  const h = new AccumulationGroups(sizes, 4);
  h.enter(4);
  assert.equal(h.open, true, 'the epoch ended within a group whose last batch never came: it must still step');
});

test('the LR range test accumulates as training does: batch 4 x 2 per step gives the points of batch 8', T, async () => {
  const items = (await loadSource(data)).items.filter((i) => i.split === 'train').map((i) => ({ path: i.path, label: i.label }));
  const points = async (batchSize: number, accumulate: number) => {
    const loader = new DataLoader(items, { imageSize: 32, batchSize, train: true, augment: 'flip', seed: 3 });
    const model = new BinaryClassifier({ arch: 'resnet18', dropout: 0 });
    const task = new BinaryTask(['a', 'b'], NO_LOSS_SETTINGS);
    const engine: Engine = { model, task, device: 'cpu', precision: 'fp32', channelsLast: false, bnPolicy: 'eval' };
    try {
      // The same random weights in both models: the generator is seeded before each is built.
      return (await rangeTest(engine, tinyConfig(data).phases[0]!, { loader, split: 'train', cache: null, stage: null }, 'eval',
        { steps: 8, startLr: 1e-3, endLr: 1 }, { clipGradNorm: null, mixing: null, accumulate })).points;
    } finally {
      model.dispose();
      task.dispose();
    }
  };
  manualSeed(5);
  const big = await points(8, 1);
  manualSeed(5);
  const small = await points(4, 2);
  assert.equal(small.length, 8);
  small.forEach((p, i) => {
    assert.equal(p.lr, big[i]!.lr);
    assert.ok(Math.abs(p.loss - big[i]!.loss) < 1e-5, `step ${i}: ${p.loss} vs ${big[i]!.loss}`);
  });
  assert.ok(new Set(big.map((p) => p.loss.toFixed(4))).size > 4, 'the losses change from step to step');
});
