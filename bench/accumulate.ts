// Gradient accumulation's memory: one epoch training the whole network (no frozen prefix, so that every layer's
// activations are kept for backward) at batch B, against batch B/K with K batches per step (the same images per
// optimizer step); each arm in its own process, which reports its peak resident memory and its training time.
//
//   npx tsx bench/accumulate.ts [--data demo-data] [--arch resnet18] [--size 128] [--batch 64] [--k 4] [--threads 0]
//
// Measured 2026-12-07 on the shared 2-core machine (resnet18, weights none, one epoch of the demo data's 400
// training images; the train loss differs a little because the BatchNorm layers train on each batch alone):
//   224 px: batch 64 x 1 peak 3412 MB, 41.3 s; batch 16 x 4 peak 1335 MB, 37.3 s: 0.39x the memory, 0.90x the time
//   128 px: batch 64 x 1 peak 1618 MB, 18.3 s; batch 16 x 4 peak 1008 MB, 18.4 s: 0.62x the memory, 1.00x the time
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagArgs, repoRoot } from './common.js';
import { resolveConfig, train } from '../src/train/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const flags = flagArgs();
const data = path.resolve(flags.data ?? path.join(repoRoot(here), 'demo-data'));
const arch = flags.arch ?? 'resnet18';
const size = Number(flags.size ?? 128);
const batch = Number(flags.batch ?? 64);
const k = Number(flags.k ?? 4);
const threads = Number(flags.threads ?? 0);

interface Arm { batch: number; accumulate: number; peakMB: number; seconds: number; trainLoss: number }

/** One arm, in this process: train, then report the process's peak resident memory. */
async function arm(batchSize: number, accumulate: number): Promise<Arm> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-bench-acc-'));
  try {
    const config = resolveConfig({
      overrides: {
        data, arch, weights: 'none', imageSize: size, batchSize, accumulateGradBatches: accumulate, epochs1: 0, epochs2: 1, threads, featureCache: false,
        set: ['phases[1].trainable=[all]', 'phases[1].lr=0.001'],
      },
    });
    const t0 = performance.now();
    const r = await train(config, { out, quiet: true, handleSigint: false, skipEvaluation: true });
    const seconds = (performance.now() - t0) / 1000;
    return { batch: batchSize, accumulate, peakMB: process.resourceUsage().maxRSS / 1024, seconds, trainLoss: r.history[0]!.train_loss };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

if (flags.arm) {
  const [b, a] = flags.arm.split('x').map(Number);
  process.stdout.write(JSON.stringify(await arm(b!, a!)) + '\n');
} else {
  const run = (b: number, a: number): Arm => {
    const args = [path.join(here, 'accumulate.js'), '--arm', `${b}x${a}`, '--data', data, '--arch', arch, '--size', String(size), '--threads', String(threads)];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`arm ${b}x${a} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Arm;
  };
  const whole = run(batch, 1);
  const parts = run(batch / k, k);
  console.log(`${arch} at ${size} px, whole network trains, one epoch of ${data}`);
  for (const a of [whole, parts]) {
    console.log(`  batch ${a.batch} x ${a.accumulate}: peak ${a.peakMB.toFixed(0)} MB resident, ${a.seconds.toFixed(1)} s, train loss ${a.trainLoss.toFixed(4)}`);
  }
  console.log(`  peak memory ratio ${(parts.peakMB / whole.peakMB).toFixed(2)}x, time ratio ${(parts.seconds / whole.seconds).toFixed(2)}x`);
}
