// Shared bench helpers: timing, the Python reference runner, and printing figures side by side.
import { spawnSync } from 'node:child_process';

export const PYTHON = process.env.TLEARN_BENCH_PYTHON ?? '/usr/bin/python3';

/** Seconds taken by fn. */
export function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Runs a Python reference script (with `inp` = the JSON input) and returns the JSON it prints last. */
export function runPythonBench<T>(code: string, input: unknown, threads: number): T {
  const res = spawnSync(PYTHON, ['-c', `import json, sys\ninp = json.loads(sys.argv[1])\n${code}`, JSON.stringify(input)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
  });
  if (res.status !== 0) throw new Error(`python reference failed:\n${res.stderr}`);
  const lines = res.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

export function row(label: string, ours: number, ref: number, unit: string, higherIsBetter = true): string {
  const ratio = higherIsBetter ? ours / ref : ref / ours;
  return `${label.padEnd(46)} tlearn ${ours.toFixed(2).padStart(9)} ${unit.padEnd(10)} PyTorch ${ref.toFixed(2).padStart(9)} ${unit.padEnd(10)} ratio ${ratio.toFixed(2)}x`;
}
