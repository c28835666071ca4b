// Load and fault benchmark of `tlearn serve` (issue 18), against 127.0.0.1 only, bounded in seconds and requests:
//  1. one 224-px JPEG per request (raw body) at concurrency 1, 8, 32, 64: requests/s, p50/p99 latency, errors;
//  2. the server's RSS before and after --rss-requests requests (default 10 000) at concurrency 32;
//  3. the same load with 10 % hostile requests (truncated JPEG, PNG bomb, SVG, malformed JSON, bad base64);
//  4. offline `tlearn predict` images/s on the same machine and threads, for the throughput ratio at concurrency 32.
// The server is `node bin/tlearn.js serve` in a child process; the model a seeded random-weight classifier (the
// speed does not depend on the weights). Usage (after npx tsc):
//   node dist/bench/serve.js [--arch resnet50] [--size 224] [--seconds 20] [--rss-requests 10000] [--threads 0]
//     [--engine libtorch|onnx] [--decode auto|thread|model] [--levels 1,8,32,64]
// --engine onnx serves the model exported to .onnx and times predict's loop through onnxruntime (src/deploy);
// --decode sets TLEARN_SERVE_DECODE (where the libtorch engine decodes).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { flagArgs, repoRoot } from './common.js';
import { pngDeclaring } from '../test/helpers/hostile-bytes.js';
import { exportOnnx } from '../src/export/onnx/index.js';
import { BinaryClassifier, saveModelFile, type ResNetArch } from '../src/models/index.js';
import { manualSeed } from '../src/torch/index.js';

const args = flagArgs();
const arch = (args.arch ?? 'resnet50') as ResNetArch;
const size = Number(args.size ?? 224);
const seconds = Number(args.seconds ?? 20);
const rssRequests = Number(args['rss-requests'] ?? 10_000);
const threads = Number(args.threads ?? 0);
const levels = (args.levels ?? '1,8,32,64').split(',').map(Number);
const engine = args.engine ?? 'libtorch';
const decode = args.decode ?? 'auto';
const root = repoRoot(path.dirname(fileURLToPath(import.meta.url)));
const tlearn = path.join(root, 'bin', 'tlearn.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-bench-serve-'));

/** A photo-like 224-px JPEG (smooth gradients and noise, so that it does not compress to nothing). */
async function jpeg(seed: number): Promise<Buffer> {
  const px = Buffer.alloc(size * size * 3);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < px.length; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    const p = Math.floor(i / 3);
    px[i] = (((p % size) + Math.floor(p / size)) * (1 + (i % 3)) / 3 + (x >>> 28)) & 255;
  }
  return sharp(px, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

function rssKb(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

interface Level { label: string; connections: number; rps: number; p50: number; p99: number; errors: number; codes: Record<string, number>; requests: number }

async function load(url: string, label: string, connections: number, requests: autocannon.Request[], bound: { duration?: number; amount?: number }): Promise<Level> {
  const r = await autocannon({ url, connections, timeout: 120, requests, ...bound });
  const codes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, (v as { count: number }).count]));
  const total = Object.values(codes).reduce((a, b) => a + b, 0);
  return { label, connections, rps: total / r.duration, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, codes, requests: total };
}

async function main(): Promise<void> {
  manualSeed(0);
  const model = path.join(work, `${arch}.safetensors`);
  const m = new BinaryClassifier({ arch });
  const saved = saveModelFile(model, m, { classes: ['a', 'b'], positiveClass: 'b', imageSize: size, threshold: 0.5 });
  const onnxFile = path.join(work, `${arch}.onnx`);
  if (engine === 'onnx') {
    m.eval();
    fs.writeFileSync(onnxFile, exportOnnx(m, saved).bytes);
  }
  m.dispose();
  const served = engine === 'onnx' ? onnxFile : model;
  const image = await jpeg(1);
  console.log(`tlearn serve benchmark: ${arch} at ${size} px, ${engine} engine, decoding: ${decode}, ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; JPEG ${image.length} bytes`);

  // Offline prediction: `tlearn predict`'s own loop (predictItems: decode on sharp's pool, batches of 32) timed in a
  // child process after a warm-up batch, with the model loaded beforehand; the same threads and OMP settings as the
  // server (a child each for the default OpenMP wait policy and for PASSIVE, which tlearn serve sets).
  const dir = path.join(work, 'images');
  fs.mkdirSync(dir);
  const n = Number(args['offline-images'] ?? 128);
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `${String(i).padStart(4, '0')}.jpg`), await jpeg(i));
  const files = fs.readdirSync(dir).sort().map((f) => path.join(dir, f));
  const offlineScript = engine === 'onnx' ? `
    const { loadOnnxModel, predictOnnxItems } = await import(${JSON.stringify(path.join(root, 'dist/src/deploy/index.js'))});
    const [model, threads, ...files] = process.argv.slice(1);
    const m = await loadOnnxModel(model, { threads: Number(threads) || undefined });
    const items = files.map((p) => ({ path: p, label: null }));
    await predictOnnxItems(m, items.slice(0, 32));
    const t0 = performance.now();
    await predictOnnxItems(m, items);
    console.log(files.length / ((performance.now() - t0) / 1000));
    await m.dispose();` : `
    const { loadModelFile } = await import(${JSON.stringify(path.join(root, 'dist/src/models/index.js'))});
    const { predictItems } = await import(${JSON.stringify(path.join(root, 'dist/src/eval/predict.js'))});
    const { setNumThreads } = await import(${JSON.stringify(path.join(root, 'dist/src/torch/index.js'))});
    const [model, threads, ...files] = process.argv.slice(1);
    if (Number(threads)) setNumThreads(Number(threads));
    const { model: m, metadata } = loadModelFile(model);
    const items = files.map((p) => ({ path: p, label: null }));
    await predictItems(m, metadata, items.slice(0, 32));
    const t0 = performance.now();
    await predictItems(m, metadata, items);
    console.log(files.length / ((performance.now() - t0) / 1000));`;
  const offlineRate = (env: NodeJS.ProcessEnv) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', offlineScript, served, String(threads), ...files], { encoding: 'utf8', env: { ...process.env, ...env } });
    if (r.status !== 0) throw new Error(`offline prediction failed: ${r.stderr}`);
    return Number(r.stdout.trim());
  };
  const offlineDefault = offlineRate({});
  const offline = offlineRate({ OMP_WAIT_POLICY: 'PASSIVE' });
  console.log(`offline prediction (predict's loop, ${n} images): ${offlineDefault.toFixed(2)} images/s with the default OpenMP wait policy, ${offline.toFixed(2)} with OMP_WAIT_POLICY=PASSIVE`);

  const child = spawn(process.execPath, [tlearn, 'serve', served, '--port', '0', ...(threads ? ['--threads', String(threads)] : [])],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TLEARN_SERVE_DECODE: decode } });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => { out += d; const u = /listening on (\S+)/.exec(out)?.[1]; if (u) resolve(u); });
      child.on('exit', (code) => reject(new Error(`tlearn serve exited ${code}`)));
      setTimeout(() => reject(new Error('tlearn serve did not start in 120 s')), 120_000).unref();
    });
    if (!/^http:\/\/127\.0\.0\.1:/.test(url)) throw new Error(`refusing to load anything but 127.0.0.1: ${url}`);
    const good: autocannon.Request = { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'image/jpeg' }, body: image };
    await load(url, 'warm-up', 8, [good], { amount: 32 });
    const results: Level[] = [];
    for (const c of levels) results.push(await load(url, `concurrency ${c}`, c, [good], { duration: seconds }));

    const before = rssKb(child.pid!);
    const t0 = performance.now();
    const soak = await load(url, `${rssRequests} requests at concurrency 32`, 32, [good], { amount: rssRequests });
    const after = rssKb(child.pid!);

    // 10 % hostile: 5 bad requests of different kinds among 50.
    const bomb = pngDeclaring(30_000, 30_000);
    const bad: autocannon.Request[] = [
      { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'image/jpeg' }, body: image.subarray(0, image.length >> 1) },
      { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'image/png' }, body: bomb },
      { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'image/svg+xml' }, body: '<svg xmlns="http://www.w3.org/2000/svg" width="99999" height="99999"/>' },
      { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, body: '{"images": [' },
      { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, body: '{"images": ["not base64!"]}' },
    ];
    // One request in ten, counted over all connections, is bad (autocannon replays a list per connection, so a list
    // would send its first entries only in a short run).
    let sent = 0;
    const mixed: autocannon.Request = { ...good, setupRequest: (req) => { const i = sent++; return i % 10 === 9 ? { ...req, ...bad[Math.floor(i / 10) % bad.length]! } : req; } };
    const hostile = await load(url, 'concurrency 32, 10 % hostile', 32, [mixed], { duration: seconds });
    const alive = child.exitCode === null;
    const text = await (await fetch(`${url}/metrics`)).text();
    const sample = (name: string) => Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1] ?? NaN);
    const meanBatch = sample('tlearn_serve_batch_size_sum') / sample('tlearn_serve_batch_size_count');

    console.log('\n| load | requests | requests/s | p50 ms | p99 ms | errors | status codes |\n|---|---|---|---|---|---|---|');
    for (const r of [...results, soak, hostile]) {
      console.log(`| ${r.label} | ${r.requests} | ${r.rps.toFixed(2)} | ${r.p50} | ${r.p99} | ${r.errors} | ${JSON.stringify(r.codes)} |`);
    }
    const c32 = results.find((r) => r.connections === 32);
    console.log(`\nRSS of the server: ${(before / 1024).toFixed(0)} MB before, ${(after / 1024).toFixed(0)} MB after ${soak.requests} requests ` +
      `(${(((after - before) / before) * 100).toFixed(1)} %, ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    if (c32) console.log(`throughput at concurrency 32: ${c32.rps.toFixed(2)} requests/s = ${((c32.rps / offline) * 100).toFixed(0)} % of offline prediction's ${offline.toFixed(2)} images/s (same OpenMP policy)`);
    const fivexx = Object.entries(hostile.codes).filter(([k]) => k.startsWith('5')).reduce((a, [, v]) => a + v, 0);
    console.log(`mean batch over the whole run: ${meanBatch.toFixed(1)} images (${sample('tlearn_serve_batch_size_count')} forward passes)`);
    console.log(`hostile mix: ${fivexx} responses 5xx, server ${alive ? 'still running (no restart)' : 'DIED'}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
