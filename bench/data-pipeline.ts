// Data pipeline benchmark: images/s to decode, resize to 224 and normalise a folder of large PNGs and
// JPEGs, tlearn's DataLoader vs torchvision ImageFolder + PIL + DataLoader(num_workers=W), side by side
// on the same files with the same number of workers/threads. First epoch (cold: every image decoded)
// and later epochs (tlearn serves the resized images from its cache; torchvision decodes again).
//
//   npx tsx bench/data-pipeline.ts [--n 200] [--width 1024] [--height 768] [--epochs 3] [--workers 2]
//                                  [--size 224] [--batch 32] [--repeat 2] [--format mixed|jpeg|png] [--dir PATH (reuse/keep the images)] [--json FILE] [--cpus LIST]
//
// --format jpeg with an awkward size (e.g. --width 1003 --height 757) measures the JPEG path on its own:
// tlearn decodes JPEGs at full size before shrinking (no libjpeg shrink-on-load, see src/data/decode.ts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DataLoader, ImageCache, loadSource } from '../src/data/index.js';
import { imagesTensor } from '../src/data/tensor.js';
import { setNumThreads } from '../src/torch/index.js';
import { pinToCpus } from './common.js';

const PYTHON = process.env.TLEARN_BENCH_PYTHON ?? '/usr/bin/python3';

function args(): Record<string, string> {
  const out: Record<string, string> = {};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (!a[i]!.startsWith('--')) throw new Error(`unexpected argument ${a[i]}`);
    out[a[i]!.slice(2)] = a[i + 1] ?? '';
    i++;
  }
  pinToCpus(out.cpus);
  return out;
}

function refScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // Run from source (bench/) or compiled (dist/bench/).
  for (const p of [path.join(here, 'data_pipeline_ref.py'), path.join(here, '..', '..', 'bench', 'data_pipeline_ref.py'),
    path.join(process.cwd(), 'bench', 'data_pipeline_ref.py')]) {
    if (fs.existsSync(p)) return p;
  }
  throw new Error('bench/data_pipeline_ref.py not found');
}

/** A photo-like test image: smooth shapes plus fine noise, so PNGs do not compress to nothing. */
function photo(width: number, height: number, seed: number): Buffer {
  const buf = Buffer.alloc(width * height * 3);
  let s = (seed * 2654435761) >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const n = (s >>> 24) / 32 - 4; // ±4 levels of noise
      const i = 3 * (y * width + x);
      buf[i] = Math.max(0, Math.min(255, 128 + 100 * Math.sin(x / (40 + seed) + y / 90) + n));
      buf[i + 1] = Math.max(0, Math.min(255, 128 + 90 * Math.cos(y / (55 + (seed % 7)) - x / 200) + n));
      buf[i + 2] = Math.max(0, Math.min(255, (255 * (x + y)) / (width + height) + n));
    }
  }
  return buf;
}

type Format = 'mixed' | 'jpeg' | 'png';

async function makeImages(dir: string, n: number, width: number, height: number, format: Format): Promise<void> {
  const marker = path.join(dir, `.made-${n}-${width}x${height}-${format}`);
  if (fs.existsSync(marker)) return;
  for (let i = 0; i < n; i++) {
    const cls = i % 2 ? 'b' : 'a';
    const jpeg = format === 'mixed' ? Math.floor(i / 2) % 2 === 1 : format === 'jpeg'; // mixed: half PNG, half JPEG in each class
    const file = path.join(dir, cls, `img${String(i).padStart(4, '0')}.${jpeg ? 'jpg' : 'png'}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const pipe = sharp(photo(width, height, i), { raw: { width, height, channels: 3 } });
    await (jpeg ? pipe.jpeg({ quality: 90 }) : pipe.png()).toFile(file);
  }
  fs.writeFileSync(marker, '');
}

async function main(): Promise<void> {
  const a = args();
  const n = Number(a.n ?? 200), width = Number(a.width ?? 1024), height = Number(a.height ?? 768);
  const epochs = Number(a.epochs ?? 3), workers = Number(a.workers ?? 2), size = Number(a.size ?? 224);
  const batch = Number(a.batch ?? 32), repeat = Math.max(1, Number(a.repeat ?? 2));
  const format = (a.format ?? 'mixed') as Format;
  if (!['mixed', 'jpeg', 'png'].includes(format)) throw new Error(`--format must be mixed, jpeg or png, not '${format}'`);
  if (epochs < 2) throw new Error('--epochs must be at least 2 (first epoch and later epochs)');
  // sharp decodes at most UV_THREADPOOL_SIZE images at once (libuv's pool, 4 unless set before node starts).
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  if (workers > pool) throw new Error(`--workers ${workers} needs libuv's pool that large: run with UV_THREADPOOL_SIZE=${workers + 2} (it is ${pool})`);
  // torchvision's DataLoader hands whole batches to its workers: with fewer batches than workers some sit
  // idle (32 images in one batch of 32 use one of 2 workers), and the ratio would measure that, not decoding.
  if (Math.ceil(n / batch) < workers) {
    throw new Error(`--n ${n} makes ${Math.ceil(n / batch)} batch(es) of ${batch} for ${workers} workers: give at least ${batch * workers} images so that every torchvision worker decodes`);
  }
  const keep = a.dir !== undefined;
  const dir = a.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-bench-data-'));
  fs.mkdirSync(dir, { recursive: true });
  const kinds = format === 'mixed' ? 'half PNG, half JPEG' : `all ${format.toUpperCase()}`;
  console.log(`data pipeline benchmark: ${n} images ${width}x${height} (${kinds}) -> ${size}x${size}, ` +
    `batch ${batch}, ${workers} workers/threads, ${os.availableParallelism()} cores`);
  await makeImages(dir, n, width, height, format);
  // Read every file once so both sides start with the files in the OS page cache.
  let bytes = 0;
  for (const cls of ['a', 'b']) for (const f of fs.readdirSync(path.join(dir, cls))) bytes += fs.readFileSync(path.join(dir, cls, f)).length;
  console.log(`images in ${dir} (${(bytes / 1e6).toFixed(0)} MB)`);

  // tlearn: one image in flight per worker, one libvips thread per image. libvips' own operation cache
  // is switched off so that repeated runs over the same files cannot reuse earlier decodes.
  sharp.concurrency(1);
  sharp.cache(false);
  setNumThreads(1); // libtorch only converts batches here, in the main thread (the reference collates in one thread too)
  const ds = await loadSource(dir, { valFraction: 0, testFraction: 0 });
  const items = ds.items.map((it) => ({ path: it.path, label: it.label }));
  const runOurs = async (): Promise<{ wall: number[]; cpu: number[] }> => {
    // A fresh loader and cache each time: the first epoch decodes every image.
    const loader = new DataLoader(items, { imageSize: size, batchSize: batch, concurrency: workers, prefetch: 2, cache: new ImageCache() });
    const wall: number[] = [], cpu: number[] = [];
    for (let e = 0; e < epochs; e++) {
      const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
      let count = 0;
      for await (const b of loader.epoch(e)) {
        imagesTensor(b).dispose(); // the normalised float32 batch, as the reference's DataLoader yields
        count += b.shape[0];
      }
      wall.push(Number(process.hrtime.bigint() - t0) / 1e9);
      const c = process.cpuUsage(c0); // all threads of this process: JS, libuv pool, libvips
      cpu.push((c.user + c.system) / 1e6);
      if (count !== n) throw new Error(`tlearn loader produced ${count} images, expected ${n}`);
    }
    return { wall, cpu };
  };
  const runRef = (): { wall: number[]; cpu: number[] } => {
    const res = spawnSync(PYTHON, [refScript(), JSON.stringify({ root: dir, size, batch, workers, epochs })], {
      encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, maxBuffer: 16 * 1024 * 1024,
    });
    if (res.status !== 0) throw new Error(`python reference failed:\n${res.stderr}`);
    const ref = JSON.parse(res.stdout.trim().split('\n').pop()!) as { epochs: number[]; cpu: number[]; images: number };
    if (ref.images !== n) throw new Error(`reference saw ${ref.images} images, expected ${n}`);
    return { wall: ref.epochs, cpu: ref.cpu };
  };
  // Interleaved repeats; each figure is the best of its repeats. Wall-clock time is what a user waits
  // for; CPU time (all threads and worker processes) is the work done, and is much less disturbed when
  // other programs share the machine.
  type Run = { wall: number[]; cpu: number[] };
  const oursRuns: Run[] = [], refRuns: Run[] = [];
  const fmt = (xs: number[]) => xs.map((s) => s.toFixed(3)).join(' ');
  for (let r = 0; r < repeat; r++) {
    oursRuns.push(await runOurs());
    refRuns.push(runRef());
    console.log(`repeat ${r + 1}/${repeat}: wall s: tlearn ${fmt(oursRuns[r]!.wall)} | torchvision ${fmt(refRuns[r]!.wall)};  ` +
      `CPU s: tlearn ${fmt(oursRuns[r]!.cpu)} | torchvision ${fmt(refRuns[r]!.cpu)}`);
  }
  const best = (runs: Run[], k: keyof Run) => runs[0]![k].map((_, e) => Math.min(...runs.map((r) => r[k][e]!)));
  const later = (xs: number[]) => xs.slice(1).reduce((p, q) => p + q, 0) / (xs.length - 1);
  const ratios = (k: keyof Run) => {
    const o = best(oursRuns, k), r = best(refRuns, k);
    return { ours: o, ref: r, first: r[0]! / o[0]!, later: later(r) / later(o) };
  };
  const wall = ratios('wall'), cpu = ratios('cpu');
  const line = (label: string, o: number, r: number, unit: string) =>
    `${label.padEnd(30)} tlearn ${(n / o).toFixed(1).padStart(8)} ${unit}   torchvision ${(n / r).toFixed(1).padStart(8)} ${unit}   ratio ${(r / o).toFixed(1)}x`;
  console.log(line('first epoch, wall clock', wall.ours[0]!, wall.ref[0]!, 'img/s'));
  console.log(line('later epochs, wall clock', later(wall.ours), later(wall.ref), 'img/s'));
  console.log(line('first epoch, per CPU second', cpu.ours[0]!, cpu.ref[0]!, 'img/cpu-s'));
  console.log(line('later epochs, per CPU second', later(cpu.ours), later(cpu.ref), 'img/cpu-s'));
  const result = {
    images: n, width, height, format, size, batch, workers, cores: os.availableParallelism(), repeat,
    wall_seconds: { tlearn: wall.ours, torchvision: wall.ref }, cpu_seconds: { tlearn: cpu.ours, torchvision: cpu.ref },
    first_epoch_ratio: wall.first, later_epoch_ratio: wall.later, first_epoch_cpu_ratio: cpu.first, later_epoch_cpu_ratio: cpu.later,
    runs: { tlearn: oursRuns, torchvision: refRuns },
  };
  const verdict = (x: number, goal: number) => `${x.toFixed(1)}x (${x >= goal ? 'met' : 'NOT met'})`;
  console.log(`goals (wall clock): first epoch >= 3x: ${verdict(wall.first, 3)}; later epochs >= 20x: ${verdict(wall.later, 20)}`);
  if (a.json) fs.writeFileSync(a.json, JSON.stringify(result, null, 2) + '\n');
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
