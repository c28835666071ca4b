// `tlearn doctor`: what works on this machine (Node, the libtorch addon, threads, CUDA, sharp, weights, demo data).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT_FAILURE } from '../errors.js';
import type { CliIO } from '../io.js';
import { demoDataDir, packageRoot } from '../paths.js';

export interface DoctorOptions {
  json: boolean;
  env?: Record<string, string | undefined>;
}

export interface Check {
  name: string;
  /** fail: tlearn cannot train here; warn: it can, with a limitation. */
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

function versionAtLeast(have: string, want: string): boolean {
  const a = have.split('.').map(Number);
  const b = want.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

async function checkSharp(): Promise<Check> {
  try {
    const sharp = (await import('sharp')).default;
    const missing = ['jpeg', 'png', 'webp', 'gif', 'tiff'].filter((f) => !(sharp.format as any)[f]?.input?.buffer);
    return {
      name: 'sharp',
      status: missing.length ? 'warn' : 'ok',
      detail: `sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}${missing.length ? `; cannot decode ${missing.join(', ')}` : ''}`,
    };
  } catch (err) {
    return { name: 'sharp', status: 'fail', detail: `cannot load sharp (image decoding): ${message(err)}` };
  }
}

/**
 * How many images sharp decodes at once: libuv's thread pool size (UV_THREADPOOL_SIZE, read as libuv reads
 * it: 0 is 1, at most 1024; default 4). The tlearn command sets it (bin/threadpool.js); a process that imports
 * tlearn as a library keeps libuv's 4 unless it is started with the variable.
 */
export function checkDecoding(env: Record<string, string | undefined>, cores: number): Check {
  const raw = env.UV_THREADPOOL_SIZE;
  const n = raw ? Math.min(1024, Math.max(1, Number.parseInt(raw, 10) || 0)) : 4;
  const detail = `${n} image${n === 1 ? '' : 's'} decoded at once (UV_THREADPOOL_SIZE${raw ? `=${raw}` : " unset: libuv's default"}) on ${cores} cores`;
  if (n >= cores) return { name: 'decoding', status: 'ok', detail };
  return { name: 'decoding', status: 'warn', detail: `${detail}; start node with UV_THREADPOOL_SIZE=${cores + 2} to use every core (the tlearn command sets it itself)` };
}

async function checkTorch(): Promise<Check[]> {
  try {
    const torch = await import('../../torch/index.js');
    const info = torch.info();
    return [
      { name: 'libtorch', status: 'ok', detail: `libtorch ${info.version}, ${info.threads} threads${info.blasThreads === null ? '' : ` (OpenBLAS ${info.blasThreads})`}, ${os.availableParallelism()} cores` },
      info.cuda
        ? { name: 'cuda', status: 'ok', detail: `${info.cudaDevices} CUDA device${info.cudaDevices === 1 ? '' : 's'} (--device cuda)` }
        : { name: 'cuda', status: 'warn', detail: 'not available: training runs on the CPU' },
    ];
  } catch (err) {
    return [{ name: 'libtorch', status: 'fail', detail: message(err) }];
  }
}

async function checkWeights(env?: Record<string, string | undefined>): Promise<Check> {
  try {
    const w = await import('../../io/weights.js');
    const entry = w.findWeights('imagenet');
    const found = await w.locateWeights(entry, { env });
    return found
      ? { name: 'weights', status: 'ok', detail: `imagenet (${entry.filename}) at ${found}` }
      : { name: 'weights', status: 'warn', detail: `imagenet weights not downloaded; run \`tlearn weights fetch imagenet\` (cache: ${w.weightsCacheDir(env)}), or train with --weights none|PATH` };
  } catch (err) {
    return { name: 'weights', status: 'fail', detail: message(err) };
  }
}

function checkDemoData(): Check {
  const dir = demoDataDir();
  const counts: string[] = [];
  let total = 0;
  for (const split of ['train', 'val', 'test']) {
    const splitDir = path.join(dir, split);
    if (!fs.existsSync(splitDir)) return { name: 'demo data', status: 'warn', detail: `${splitDir} is missing (node scripts/make-demo-data.mjs regenerates it)` };
    let n = 0;
    for (const cls of fs.readdirSync(splitDir)) {
      const clsDir = path.join(splitDir, cls);
      if (fs.statSync(clsDir).isDirectory()) n += fs.readdirSync(clsDir).filter((f) => f.endsWith('.png')).length;
    }
    counts.push(`${split} ${n}`);
    total += n;
  }
  return { name: 'demo data', status: total > 0 ? 'ok' : 'warn', detail: `${total} images (${counts.join(', ')}) in ${path.relative(packageRoot(), dir) || dir}` };
}

export async function runChecks(env?: Record<string, string | undefined>): Promise<Check[]> {
  const node = process.versions.node;
  return [
    { name: 'node', status: versionAtLeast(node, '20.17') ? 'ok' : 'fail', detail: `Node ${node} (tlearn needs 20.17 or later)` },
    { name: 'platform', status: 'ok', detail: `${process.platform} ${process.arch}, ${os.availableParallelism()} CPU cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory` },
    await checkSharp(),
    checkDecoding(process.env, os.availableParallelism()),
    ...(await checkTorch()),
    await checkWeights(env),
    checkDemoData(),
  ];
}

export function formatChecks(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks.map((c) => `${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`).join('\n') + '\n';
}

/** Exit code 1 when a check failed (tlearn cannot train here). */
export async function runDoctor(opts: DoctorOptions, io: CliIO): Promise<number> {
  const checks = await runChecks(opts.env);
  io.out(opts.json ? JSON.stringify(checks, null, 2) + '\n' : formatChecks(checks));
  return checks.some((c) => c.status === 'fail') ? EXIT_FAILURE : 0;
}
