// #20 item 7 (cross-validation part): 5-fold CV wall time against 5 independent runs of the same protocol on the
// same folds (each its own frozen-prefix caches), and the label issues found on the demo data with 5 % of the
// training pool's labels flipped on purpose: the share of flipped images among the top-N issues (N = the number
// flipped: precision) and the share of the flipped images found among all issues (recall).
//
//   npx tsx bench/cv.ts [--data demo-data] [--folds 5] [--arch resnet18] [--size 64] [--epochs1 2] [--epochs2 1]
//        [--batch 32] [--weights none] [--flip 0.05] [--threads 0] [--json FILE]
// Both arms skip the folds' test evaluation and report (the same work in both). The demo data's train + val
// (500 images) is the pool; its test split stays out. Wall and CPU seconds (process.cpuUsage: user + system, all
// threads) of both arms: on a shared machine the CPU ratio is the steadier figure.
//
// Measured 2026-12-06 on the shared 2-core machine (resnet18, weights none, 5 folds, epochs 2+1, batch 32), with
// every image decoded once for the whole CV (shared image cache and data-check findings) and no re-read of a best
// checkpoint the model already holds:
//   64 px:  CV 134 s / independent 272 s = 0.49x wall; 91.5 / 220 CPU s = 0.42x CPU (load average 7.2-7.4 throughout)
//   128 px: CV  87 s / independent 451 s = 0.19x wall; 89.8 / 349 CPU s = 0.26x CPU (load 5.7 at the start, 8.5 at
//           the end: the independent arm ran under more load, so its wall ratio flatters the CV)
// Before (the same machine, earlier sessions): 0.77x at 128 px and 1.13x at 64 px wall; a 3-fold 1+1 epoch profile
// at 64 px spent about a fifth of the CV's main thread in decoding (K + 1 decodes of every file) and a twentieth in
// reading back best checkpoints the model already held. Not measured at 224 px (time).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagArgs, repoRoot } from './common.js';
import { mulberry32 } from '../src/metrics/index.js';
import { parseCsv } from '../src/data/csv.js';
import { crossValidate } from '../src/cv/index.js';
import { resolveConfig, train } from '../src/train/index.js';

const a = flagArgs();
const root = repoRoot(path.dirname(fileURLToPath(import.meta.url)));
const dataDir = path.resolve(a.data ?? path.join(root, 'demo-data'));
const folds = Number(a.folds ?? 5);
const flipShare = Number(a.flip ?? 0.05);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-bench-cv-'));

/** The demo folder as a CSV (absolute paths), with a seeded `flipShare` of the pool's labels swapped. */
function flippedCsv(): { csv: string; flipped: Set<string>; pool: number } {
  const rows: [string, string, string][] = [];
  for (const split of ['train', 'val', 'test']) {
    const d = path.join(dataDir, split);
    if (!fs.existsSync(d)) continue;
    for (const cls of fs.readdirSync(d).sort()) {
      for (const f of fs.readdirSync(path.join(d, cls)).sort()) rows.push([path.join(d, cls, f), cls, split]);
    }
  }
  const classes = [...new Set(rows.map((r) => r[1]))].sort();
  if (classes.length !== 2) throw new Error(`bench/cv.ts flips binary labels; ${dataDir} has ${classes.length} classes`);
  const pool = rows.filter((r) => r[2] !== 'test');
  const n = Math.round(flipShare * pool.length);
  const rng = mulberry32(20);
  const order = pool.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rng() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
  const flipped = new Set<string>();
  for (const i of order.slice(0, n)) {
    const r = pool[i]!;
    r[1] = r[1] === classes[0] ? classes[1]! : classes[0]!;
    flipped.add(r[0]);
  }
  const csv = path.join(work, 'labels.csv');
  fs.writeFileSync(csv, ['path,label,split', ...rows.map((r) => r.join(','))].join('\n') + '\n');
  return { csv, flipped, pool: pool.length };
}

async function main(): Promise<void> {
  const loadStart = os.loadavg();
  const { csv, flipped, pool } = flippedCsv();
  const config = resolveConfig({
    overrides: {
      data: csv, arch: (a.arch ?? 'resnet18') as 'resnet18', weights: a.weights ?? 'none', imageSize: Number(a.size ?? 64),
      epochs1: Number(a.epochs1 ?? 2), epochs2: Number(a.epochs2 ?? 1), batchSize: Number(a.batch ?? 32), threads: Number(a.threads ?? 0),
      checkpointFormat: 'safetensors',
    },
  });
  const quiet = { quiet: true, handleSigint: false, skipEvaluation: true } as const;
  console.error(`pool ${pool} images, ${flipped.size} labels flipped; ${folds} folds; ${config.model.arch} ${config.input.imageSize} px, epochs ${config.phases.map((p) => p.epochs).join('+')}`);

  // CPU seconds of the process (user + system, every thread) besides wall time: on a shared machine the load of
  // others stretches wall time, much less the CPU time this work takes.
  const cpuSeconds = (since: NodeJS.CpuUsage) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1e6; };
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const cv = await crossValidate(config, { out: path.join(work, 'cv'), folds, ...quiet });
  const cvSeconds = (performance.now() - t0) / 1000;
  const cvCpu = cpuSeconds(c0);
  console.error(`cv: ${cvSeconds.toFixed(1)} s (${cvCpu.toFixed(1)} CPU s)`);

  // The same protocol on the same folds, each run on its own (its own caches, computed anew).
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  for (let k = 1; k <= folds; k++) {
    const foldCsv = path.join(work, 'cv', 'folds', `fold-${k}.csv`);
    await train({ ...config, data: { ...config.data, csv: foldCsv, path: path.dirname(foldCsv) } }, { out: path.join(work, 'independent', `fold-${k}`), ...quiet });
  }
  const independentSeconds = (performance.now() - t1) / 1000;
  const independentCpu = cpuSeconds(c1);
  console.error(`independent: ${independentSeconds.toFixed(1)} s (${independentCpu.toFixed(1)} CPU s)`);

  const issues = parseCsv(fs.readFileSync(path.join(work, 'cv', 'label_issues.csv'), 'utf8')).slice(1).map((r) => r.fields[0]!);
  const n = flipped.size;
  const topN = issues.slice(0, n);
  const hitsTop = topN.filter((p) => flipped.has(p)).length;
  const hitsAll = issues.filter((p) => flipped.has(p)).length;
  const result = {
    data: dataDir, pool, flipped: n, folds, arch: config.model.arch, size: config.input.imageSize, weights: config.model.weights,
    epochs: config.phases.map((p) => p.epochs), cpus: os.availableParallelism(), load_average: os.loadavg(),
    cv_seconds: cvSeconds, independent_seconds: independentSeconds, ratio: cvSeconds / independentSeconds,
    cv_cpu_seconds: cvCpu, independent_cpu_seconds: independentCpu, cpu_ratio: cvCpu / independentCpu, load_average_start: loadStart,
    label_issues: issues.length, precision_top_n: hitsTop / n, recall: hitsAll / n, precision_all: issues.length ? hitsAll / issues.length : null,
    val_auc_mean: cv.summary?.mean_sd.val_auc?.mean ?? null, oof_auc: cv.summary?.oof.auc ?? null,
  };
  console.log(JSON.stringify(result, null, 2));
  if (a.json) fs.writeFileSync(a.json, JSON.stringify(result, null, 2) + '\n');
}

main().finally(() => fs.rmSync(work, { recursive: true, force: true })).catch((e) => { console.error(e); process.exitCode = 1; });
