// Shared bench helpers: timing, the Python reference runner, printing figures side by side, the command line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const PYTHON = process.env.TLEARN_BENCH_PYTHON ?? '/usr/bin/python3';

/** Seconds taken by fn. */
export function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Runs a Python reference script (with `inp` = the JSON input) and returns the JSON it prints last. `env` adds
 * variables to its environment (e.g. glibc's malloc settings).
 */
export function runPythonBench<T>(code: string, input: unknown, threads: number, env: NodeJS.ProcessEnv = {}): T {
  const res = spawnSync(PYTHON, ['-c', `import json, sys\ninp = json.loads(sys.argv[1])\n${code}`, JSON.stringify(input)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...env, OMP_NUM_THREADS: String(threads) },
  });
  if (res.status !== 0) throw new Error(`python reference failed:\n${res.stderr}`);
  const lines = res.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

export function row(label: string, ours: number, ref: number, unit: string, higherIsBetter = true): string {
  const ratio = higherIsBetter ? ours / ref : ref / ours;
  return `${label.padEnd(46)} tlearn ${ours.toFixed(2).padStart(9)} ${unit.padEnd(10)} PyTorch ${ref.toFixed(2).padStart(9)} ${unit.padEnd(10)} ratio ${ratio.toFixed(2)}x`;
}

/** `--key value` and bare `--flag` (= 'true') arguments of a benchmark's command line. */
export function flagArgs(): Record<string, string> {
  const out: Record<string, string> = {};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (!a[i]!.startsWith('--')) throw new Error(`unexpected argument ${a[i]}`);
    const next = a[i + 1];
    if (next === undefined || next.startsWith('--')) out[a[i]!.slice(2)] = 'true';
    else {
      out[a[i]!.slice(2)] = next;
      i++;
    }
  }
  return out;
}

/** The repository root seen from `here` (bench/ from source, dist/bench/ compiled). */
export function repoRoot(here: string): string {
  let dir = here;
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  return process.cwd();
}
