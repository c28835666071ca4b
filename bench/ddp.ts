// Data-parallel benchmark: the training step of each phase of the seed protocol on ResNet50 (phase 1: the head on
// cached pooled features; phase 2: layer4 + head on cached layer3 outputs) with 1 rank and with N ranks of this
// machine (Gloo, threads = cores / ranks, the same per-rank batch: DDP's weak scaling), the bytes all-reduced
// per step, the time one all-reduce of those bytes takes alone, and the communication share: that time over the
// N-rank step (an upper bound: the reducer overlaps part of it with backward). The step times compare 1 rank with
// all cores against N ranks sharing them, at the same per-rank batch (N times the images per step).
// Run: npm run build && node dist/bench/ddp.js [--ranks 2] [--batch 8] [--steps 5] [--device cuda]
// --device cuda (a CUDA libtorch built with NCCL, see shared/DEVICE.md): every rank on LOCAL_RANK's GPU
// (cudaDeviceFor), the NCCL backend even for 1 rank (the smoke test of issue 19: NCCL on one GPU), tensors and
// the model on the GPU, each timing after a cuda.synchronize; --ranks 1 compares NCCL on 1 GPU with the same
// steps without a process group.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/torch/index.js';
import { createClassifier } from '../src/models/index.js';
import { applyTrainable, trainableParameters } from '../src/train/plan.js';
import { cudaDeviceFor, distributedEnv, threadsPerRank } from '../src/distributed/env.js';
import { launch } from '../src/distributed/launch.js';
import { GradientReducer, ProcessGroup } from '../src/distributed/index.js';
import { flagArgs } from './common.js';

const args = flagArgs();
const ranks = Number(args.ranks ?? 2), batch = Number(args.batch ?? 8), steps = Number(args.steps ?? 5);
const device = args.device === 'cuda' ? 'cuda' : 'cpu';
const sync = () => { if (device === 'cuda') torch.cuda.synchronize(); };
const PHASES = [
  { name: 'phase1', trainable: ['fc'], from: 'fc', input: [2048] },
  { name: 'phase2', trainable: ['layer4', 'fc'], from: 'layer4', input: [1024, 14, 14] },
] as const;

interface PhaseFigures { phase: string; params: number; bytes: number; stepMs: number; allReduceMs: number }

/** One rank: times each phase's step (forward of the trainable part, backward with the reducer, Adam-free). */
async function worker(): Promise<void> {
  const env = distributedEnv();
  torch.setNumThreads(threadsPerRank(availableParallelism(), env));
  if (device === 'cuda') {
    const gpu = cudaDeviceFor(env, torch.cuda.deviceCount());
    if (gpu !== null) torch.cuda.setDevice(gpu);
  }
  // On CUDA a group is made even for one rank (args.group 0: the baseline without one).
  const grouped = env.worldSize > 1 || (device === 'cuda' && args.group !== '0');
  const pg = grouped ? await ProcessGroup.init({
    rank: env.rank, worldSize: env.worldSize, masterAddr: env.masterAddr!, masterPort: env.masterPort!, backend: device === 'cuda' ? 'nccl' : 'gloo',
  }) : null;
  torch.manualSeed(0);
  const { model } = await createClassifier({ arch: 'resnet50', weights: 'none', dropout: 0, outputs: 1, activation: 'sigmoid' });
  if (device === 'cuda') model.to('cuda');
  const out: PhaseFigures[] = [];
  for (const p of PHASES) {
    applyTrainable(model, p.trainable);
    model.train();
    const params = trainableParameters(model);
    const numel = params.reduce((n, t) => n + t.numel, 0);
    const reducer = pg ? new GradientReducer(pg, params) : null;
    const x = torch.randn([batch, ...p.input], { device });
    const y = torch.rand([batch, 1], { device }).gt(0.5).float();
    const step = () => torch.scope(() => {
      for (const t of params) t.grad?.zero_();
      const logits = model.forwardStages(x, p.from, 'fc');
      const loss = torch.F.binaryCrossEntropyWithLogits(logits, y);
      reducer?.prepareForBackward(logits);
      loss.backward();
    });
    step(); // warm-up (and the reducer's bucket re-ordering)
    sync();
    await pg?.barrier();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    sync();
    await pg?.barrier();
    const stepMs = (performance.now() - t0) / steps;
    let allReduceMs = 0;
    if (pg) {
      const flat = torch.zeros([numel], { device });
      await pg.allReduce(flat);
      sync();
      const t1 = performance.now();
      for (let i = 0; i < steps; i++) await pg.allReduce(flat);
      sync();
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

async function runWith(n: number, group = true): Promise<PhaseFigures[]> {
  let text = '';
  const r = await launch({
    nproc: n, command: process.execPath, gpusPerRank: device === 'cuda' && n > 1,
    args: [fileURLToPath(import.meta.url), '--worker', '1', '--batch', String(batch), '--steps', String(steps), '--device', device, '--group', group ? '1' : '0'],
    rank0: { out: (t) => { text += t; }, err: (t) => process.stderr.write(t) }, otherErr: (t) => process.stderr.write(t), message: (l) => process.stderr.write(`${l}\n`),
  });
  if (r.code !== 0) throw new Error(`the ${n}-rank run failed (exit ${r.code})`);
  return JSON.parse(text.trim().split('\n').at(-1)!) as PhaseFigures[];
}

if (device === 'cuda' && !torch.cuda.isAvailable()) {
  console.error('bench/ddp.ts --device cuda: this libtorch has no CUDA support or sees no GPU (build the addon against a CUDA libtorch: shared/DEVICE.md)');
  process.exit(1);
} else if (args.worker) {
  await worker();
} else {
  const one = await runWith(1, false);
  const many = await runWith(ranks);
  console.log(`ResNet50 on ${device}${device === 'cuda' ? ' (NCCL)' : ''}, per-rank batch ${batch}, ${availableParallelism()} cores, ${ranks} ranks x ${threadsPerRank(availableParallelism(), { localWorldSize: ranks })} thread(s) vs 1 rank x ${availableParallelism()}`);
  console.log('phase   trainable params  bytes/step   step 1 rank  step N ranks  all-reduce alone  comm share  images/s 1 -> N');
  one.forEach((a, i) => {
    const b = many[i]!;
    const share = Math.min(1, b.allReduceMs / b.stepMs);
    console.log(`${a.phase}  ${String(a.params).padStart(16)}  ${(a.bytes / 1e6).toFixed(2).padStart(8)} MB  ${a.stepMs.toFixed(1).padStart(9)} ms  ${b.stepMs.toFixed(1).padStart(10)} ms  ` +
      `${b.allReduceMs.toFixed(1).padStart(13)} ms  ${(100 * share).toFixed(0).padStart(8)} %  ${(batch / a.stepMs * 1000).toFixed(0)} -> ${(ranks * batch / b.stepMs * 1000).toFixed(0)}`);
  });
}
