// Data-parallel benchmark: the training step of each phase of the seed protocol on ResNet50 (phase 1: the head on
// cached pooled features; phase 2: layer4 + head on cached layer3 outputs) with 1 rank and with N ranks of this
// machine (Gloo, threads = cores / ranks, the same per-rank batch: DDP's weak scaling), the bytes all-reduced
// per step, the time one all-reduce of those bytes takes alone, and the communication share: that time over the
// N-rank step (an upper bound: the reducer overlaps part of it with backward). The step times compare 1 rank with
// all cores against N ranks sharing them, at the same per-rank batch (N times the images per step).
// Run: npm run build && node dist/bench/ddp.js [--ranks 2] [--batch 8] [--steps 5]
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/torch/index.js';
import { createClassifier } from '../src/models/index.js';
import { applyTrainable, trainableParameters } from '../src/train/plan.js';
import { distributedEnv, threadsPerRank } from '../src/distributed/env.js';
import { launch } from '../src/distributed/launch.js';
import { GradientReducer, ProcessGroup } from '../src/distributed/index.js';
import { flagArgs } from './common.js';

const args = flagArgs();
const ranks = Number(args.ranks ?? 2), batch = Number(args.batch ?? 8), steps = Number(args.steps ?? 5);
const PHASES = [
  { name: 'phase1', trainable: ['fc'], from: 'fc', input: [2048] },
  { name: 'phase2', trainable: ['layer4', 'fc'], from: 'layer4', input: [1024, 14, 14] },
] as const;

interface PhaseFigures { phase: string; params: number; bytes: number; stepMs: number; allReduceMs: number }

/** One rank: times each phase's step (forward of the trainable part, backward with the reducer, Adam-free). */
async function worker(): Promise<void> {
  const env = distributedEnv();
  torch.setNumThreads(threadsPerRank(availableParallelism(), env));
  const pg = env.worldSize > 1 ? await ProcessGroup.init({ rank: env.rank, worldSize: env.worldSize, masterAddr: env.masterAddr!, masterPort: env.masterPort! }) : null;
  torch.manualSeed(0);
  const { model } = await createClassifier({ arch: 'resnet50', weights: 'none', dropout: 0, outputs: 1, activation: 'sigmoid' });
  const out: PhaseFigures[] = [];
  for (const p of PHASES) {
    applyTrainable(model, p.trainable);
    model.train();
    const params = trainableParameters(model);
    const numel = params.reduce((n, t) => n + t.numel, 0);
    const reducer = pg ? new GradientReducer(pg, params) : null;
    const x = torch.randn([batch, ...p.input]);
    const y = torch.rand([batch, 1]).gt(0.5).float();
    const step = () => torch.scope(() => {
      for (const t of params) t.grad?.zero_();
      const logits = model.forwardStages(x, p.from, 'fc');
      const loss = torch.F.binaryCrossEntropyWithLogits(logits, y);
      reducer?.prepareForBackward(logits);
      loss.backward();
    });
    step(); // warm-up (and the reducer's bucket re-ordering)
    await pg?.barrier();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    await pg?.barrier();
    const stepMs = (performance.now() - t0) / steps;
    let allReduceMs = 0;
    if (pg) {
      const flat = torch.zeros([numel]);
      await pg.allReduce(flat);
      const t1 = performance.now();
      for (let i = 0; i < steps; i++) await pg.allReduce(flat);
      allReduceMs = (performance.now() - t1) / steps;
      flat.dispose();
    }
    reducer?.close();
    x.dispose(); y.dispose();
    out.push({ phase: p.name, params: numel, bytes: numel * 4, stepMs, allReduceMs });
  }
  pg?.close();
  if (env.rank === 0) process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function runWith(n: number): Promise<PhaseFigures[]> {
  let text = '';
  const r = await launch({
    nproc: n, command: process.execPath, args: [fileURLToPath(import.meta.url), '--worker', '1', '--batch', String(batch), '--steps', String(steps)],
    rank0: { out: (t) => { text += t; }, err: (t) => process.stderr.write(t) }, otherErr: (t) => process.stderr.write(t), message: (l) => process.stderr.write(`${l}\n`),
  });
  if (r.code !== 0) throw new Error(`the ${n}-rank run failed (exit ${r.code})`);
  return JSON.parse(text.trim().split('\n').at(-1)!) as PhaseFigures[];
}

if (args.worker) {
  await worker();
} else {
  const one = await runWith(1);
  const many = await runWith(ranks);
  console.log(`ResNet50, per-rank batch ${batch}, ${availableParallelism()} cores, ${ranks} ranks x ${threadsPerRank(availableParallelism(), { localWorldSize: ranks })} thread(s) vs 1 rank x ${availableParallelism()}`);
  console.log('phase   trainable params  bytes/step   step 1 rank  step N ranks  all-reduce alone  comm share  images/s 1 -> N');
  one.forEach((a, i) => {
    const b = many[i]!;
    const share = Math.min(1, b.allReduceMs / b.stepMs);
    console.log(`${a.phase}  ${String(a.params).padStart(16)}  ${(a.bytes / 1e6).toFixed(2).padStart(8)} MB  ${a.stepMs.toFixed(1).padStart(9)} ms  ${b.stepMs.toFixed(1).padStart(10)} ms  ` +
      `${b.allReduceMs.toFixed(1).padStart(13)} ms  ${(100 * share).toFixed(0).padStart(8)} %  ${(batch / a.stepMs * 1000).toFixed(0)} -> ${(ranks * batch / b.stepMs * 1000).toFixed(0)}`);
  });
}
