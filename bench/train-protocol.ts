// The seed protocol end to end, tlearn against plain PyTorch (bench/train_protocol_reference.py: torchvision
// ImageFolder + PIL + DataLoader), side by side on the same images: resnet50 (random init on both sides:
// ImageNet weights cannot be downloaded here), phase 1 fc (Adam 1e-3, <= 10 epochs), phase 2 layer4 + fc
// (new Adam 1e-5, <= 10 epochs), early stopping on val AUC, plateau LR on val loss, best weights restored;
// then the test AUC of the final model. Each side runs as its own process and is timed from start to exit
// (interpreter start, imports, data reading, training, test evaluation).
//
//   npx tsx bench/train-protocol.ts [--data demo-data] [--size 64] [--batch 32] [--epochs1 10] [--epochs2 10]
//        [--threads N] [--device cpu|cuda] [--bn eval|train] [--cache on|off] [--precision fp32|bf16]
//        [--channels-last auto|true|false]
//        [--only tlearn|pytorch]
//        [--json FILE]
// Goal: tlearn in >= 5x less wall time, test AUC within +-0.02.
//
// Measured 2026-11-26 (demo-data: 400 train / 100 val / 200 test Fashion-MNIST PNGs; bn eval on both sides;
// the reference writes its best checkpoints with torch.save):
//   2 shared CPU cores, 64 px:  tlearn 48.8-59.0 s, PyTorch 77.1-79.4 s: 1.35-1.58x; test AUC 0.9834 vs 0.9820
//                               again later that day: tlearn 53.6-54.4 s, PyTorch 96.1-97.8 s: 1.77-1.83x (same AUCs)
//                               after Adam moved to per-parameter updates on CPU (evening): tlearn 47.3-48.0 s,
//                               PyTorch 82.7-88.2 s: 1.75-1.84x (same AUCs); an A/B of the tlearn side alone on
//                               one machine: 58.7 s before, 53.9 s after
//   2 shared CPU cores, 224 px (2026-11-26, session 5, after phase 1 began filling phase 2's layer3 cache; a quiet
//   machine): tlearn 248.9 s, PyTorch 1050.6 s: 4.22x; test AUC 0.9716 vs 0.9693. tlearn: phase-1 epoch 1 71.6 s
//   (decode, the frozen network once per view), epochs 2-9 < 0.1 s, phase-2 epochs 12.7-15.5 s (layer4 forward and
//   backward, the same kernels as PyTorch's), about 36 s outside epochs (start-up, checkpoints, the test AUC).
//   PyTorch: 45.7-63.7 s per epoch in both phases.
//   2 shared CPU cores, 224 px (2026-11-27, after the caching CPU allocator and channels-last 'auto'): tlearn 177.4 s,
//   PyTorch 952.3 s: 5.37x; again: 170.6 s vs 913.9 s, 5.36x; test AUC 0.9717 vs 0.9693 both times. tlearn:
//   phase-1 epoch 1 28.8 s, phase-2 epochs 10.3-13.8 s (124.3 s), about 24 s outside epochs. 64 px the same day: tlearn 45.9 s, PyTorch 75.7 s: 1.65x.
//   H100, 224 px, cuda:         tlearn 15.2 s, PyTorch 38.8 s: 2.54x; test AUC 0.9728 vs 0.9705
//                               after RUN/last moved to a worker thread: tlearn 12.6 s, PyTorch 30.6 s: 2.43x
// The cache makes phase 1 almost free, but phase 2 must train layer4 every epoch on both sides, and fixed costs
// remain (start-up, data audit, checkpoint and RUN/last writes: about 9 s of a 2-core run, 6 s of the H100's
// 15.6 s); 5x is out of reach for this protocol at 64 px. At 224 px on CPU it is met since 2026-11-27; phase 2
// (124 s of 177 s, PyTorch's own kernels) now sets the limit.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagArgs as args, repoRoot as rootFrom } from './common.js';

const PYTHON = process.env.TLEARN_BENCH_PYTHON ?? '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));

interface Settings {
  data: string; size: number; batch: number; epochs1: number; epochs2: number; threads: number; seed: number;
  bn: 'eval' | 'train'; cache: boolean; precision: 'fp32' | 'bf16'; channelsLast: boolean | 'auto'; device: 'cpu' | 'cuda';
}
interface SideResult { seconds?: number; test_auc: number; final: { phase: string; epoch: number; val_auc: number }; history: unknown[] }


function findUp(rel: string): string {
  for (const p of [path.join(here, rel), path.join(here, '..', '..', 'bench', rel), path.join(process.cwd(), 'bench', rel)]) if (fs.existsSync(p)) return p;
  throw new Error(`bench/${rel} not found`);
}

/** Our side, in this (child) process: train with the seed protocol, then the test AUC of best_model_final. */
async function runTlearn(s: Settings): Promise<SideResult> {
  const { train } = await import('../src/train/index.js');
  const { resolveConfig, usesChannelsLast } = await import('../src/train/config/index.js');
  const { loadModelFile } = await import('../src/models/index.js');
  const { DataLoader, loadSource } = await import('../src/data/index.js');
  const { imagesTensor } = await import('../src/data/tensor.js');
  const { rocAucScore } = await import('../src/metrics/index.js');
  const torch = await import('../src/torch/index.js');
  const config = resolveConfig({
    overrides: {
      data: s.data, arch: 'resnet50', weights: 'none', imageSize: s.size, batchSize: s.batch, epochs1: s.epochs1, epochs2: s.epochs2,
      threads: s.threads, seed: s.seed, augment: 'none', bnPolicy: s.bn, featureCache: !s.cache ? false : undefined,
      precision: s.precision, channelsLast: s.channelsLast, device: s.device,
    },
  });
  if (!s.cache) config.featureCache.enabled = false;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-bench-run-'));
  try {
    const result = await train(config, { out, handleSigint: false, quiet: process.env.BENCH_VERBOSE !== '1', output: process.stderr, skipEvaluation: true });
    // Test AUC of the final model, as the reference computes it.
    const { model } = loadModelFile(result.bestModel!, { device: s.device });
    const ds = await loadSource(s.data);
    const test = ds.items.filter((i) => i.split === 'test').map((i) => ({ path: i.path, label: i.label }));
    const loader = new DataLoader(test, { imageSize: s.size, batchSize: s.batch, channelsLast: usesChannelsLast(config) });
    const probs: number[] = [];
    const labels: number[] = [];
    for await (const b of loader) {
      torch.scope(() => {
        const p = model.probabilities(imagesTensor(b, s.device));
        probs.push(...p);
        labels.push(...b.y);
      });
    }
    model.dispose();
    const final = result.best!;
    return { test_auc: rocAucScore(labels, probs), final: { phase: final.phase, epoch: final.epoch, val_auc: final.metrics.val_auc! }, history: result.history };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function timed(cmd: string, argv: string[], env: NodeJS.ProcessEnv): { seconds: number; result: SideResult } {
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed with status ${r.status}`);
  const last = r.stdout.trim().split('\n').at(-1)!;
  return { seconds, result: JSON.parse(last) as SideResult };
}

const a = args();
if (a.side === 'tlearn') {
  const r = await runTlearn(JSON.parse(a.settings!) as Settings);
  process.stdout.write(JSON.stringify(r) + '\n');
} else {
  const s: Settings = {
    data: path.resolve(a.data ?? path.join(rootFrom(here), 'demo-data')),
    size: Number(a.size ?? 64), batch: Number(a.batch ?? 32), epochs1: Number(a.epochs1 ?? 10), epochs2: Number(a.epochs2 ?? 10),
    threads: Number(a.threads ?? os.availableParallelism()), seed: Number(a.seed ?? 0),
    bn: (a.bn ?? 'eval') as Settings['bn'], cache: (a.cache ?? 'on') === 'on', precision: (a.precision ?? 'fp32') as Settings['precision'],
    channelsLast: a['channels-last'] === undefined || a['channels-last'] === 'auto' ? 'auto' : a['channels-last'] === 'true', device: (a.device ?? 'cpu') as Settings['device'],
  };
  const env = { ...process.env, OMP_NUM_THREADS: String(s.threads), TLEARN_THREADS: String(s.threads) };
  const self = fileURLToPath(import.meta.url);
  const nodeArgs = self.endsWith('.ts') ? ['--import', 'tsx', self] : [self];
  console.log(`train-protocol benchmark: ${s.data}, resnet50 random init, ${s.size}px, batch ${s.batch}, epochs ${s.epochs1}+${s.epochs2}, ` +
    `${s.threads} threads, ${s.device}, bn ${s.bn}; tlearn cache ${s.cache ? 'on' : 'off'}, ${s.precision}, channels-last ${s.channelsLast}`);
  const ours = a.only === 'pytorch' ? null : timed(process.execPath, [...nodeArgs, '--side', 'tlearn', '--settings', JSON.stringify(s)], env);
  const ref = a.only === 'tlearn' ? null : timed(PYTHON, [findUp('train_protocol_reference.py'), JSON.stringify({
    data: s.data, size: s.size, batch: s.batch, epochs1: s.epochs1, epochs2: s.epochs2, threads: s.threads, seed: s.seed, bn_policy: s.bn,
    device: s.device,
  })], env);
  const line = (name: string, r: { seconds: number; result: SideResult } | null) => r &&
    console.log(`${name.padEnd(8)} wall ${r.seconds.toFixed(1).padStart(7)} s   test AUC ${r.result.test_auc.toFixed(4)}   final ${r.result.final.phase} epoch ${r.result.final.epoch} (val AUC ${r.result.final.val_auc.toFixed(4)}), ${r.result.history.length} epochs`);
  line('tlearn', ours);
  line('PyTorch', ref);
  if (ours && ref) {
    console.log(`speed-up ${(ref.seconds / ours.seconds).toFixed(2)}x (goal >= 5x); test AUC difference ${(ours.result.test_auc - ref.result.test_auc).toFixed(4)} (goal within +-0.02)`);
  }
  if (a.json) fs.writeFileSync(a.json, JSON.stringify({ settings: s, tlearn: ours, pytorch: ref }, null, 2) + '\n');
}
