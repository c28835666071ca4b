// Shared bench helpers: timing, the Python reference runner, printing figures side by side, the command line.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export const PYTHON = process.env.TLEARN_BENCH_PYTHON ?? '/usr/bin/python3';

/** Seconds taken by fn. */
export function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** The reference's environment: `threads` for libtorch's pool and for OpenBLAS's own (which reads OMP_NUM_THREADS
 *  unless OPENBLAS_NUM_THREADS is set; torch.set_num_threads does not size it), plus `env`. */
function pythonEnv(threads: number, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...process.env, ...env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
}

/**
 * Runs a Python reference script (with `inp` = the JSON input) and returns the JSON it prints last. `env` adds
 * variables to its environment (e.g. glibc's malloc settings).
 */
export function runPythonBench<T>(code: string, input: unknown, threads: number, env: NodeJS.ProcessEnv = {}): T {
  const res = spawnSync(PYTHON, ['-c', `import json, sys\ninp = json.loads(sys.argv[1])\n${code}`, JSON.stringify(input)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: pythonEnv(threads, env),
  });
  if (res.status !== 0) throw new Error(`python reference failed:\n${res.stderr}`);
  const lines = res.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

/** A Python reference kept running between requests: each request is one line on its stdin, each answer the JSON
 *  line it prints. Lets a benchmark interleave single iterations of tlearn and PyTorch, so that a shared machine's
 *  drift, which moves whole minutes by 10-20 %, falls on both sides alike. */
export interface PythonWorker {
  /** Sends one command and resolves with the JSON of the line printed in answer. */
  request<T>(command: string): Promise<T>;
  /** Ends the worker (its stdin closes; the script's loop returns) and waits for it to exit. */
  close(): Promise<void>;
}

/**
 * Starts `code` (with `inp` = the JSON input, and `reply(obj)` to answer) in a Python process whose script reads
 * commands with `for line in sys.stdin:`. The first line it prints, once set up (e.g. {"ready": true}), settles
 * `ready`; each later one answers the oldest request. A worker that exits rejects what is still waiting.
 */
export function startPythonWorker(code: string, input: unknown, threads: number, env: NodeJS.ProcessEnv = {}): { worker: PythonWorker; ready: Promise<unknown> } {
  const prelude = 'import json, sys\ninp = json.loads(sys.argv[1])\ndef reply(o): print(json.dumps(o), flush=True)\n';
  const child = spawn(PYTHON, ['-c', prelude + code, JSON.stringify(input)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: pythonEnv(threads, env),
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  const exited = new Promise<void>((resolve) => child.on('close', (status) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`python reference exited (status ${status}):\n${stderr}`));
    resolve();
  }));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const w = waiting.shift();
    if (!w) return;
    try { w.resolve(JSON.parse(line)); } catch { w.reject(new Error(`python reference printed a line that is not JSON: ${line}\n${stderr}`)); }
  });
  const next = (): Promise<unknown> => new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  const ready = next();
  const worker: PythonWorker = {
    request: <T>(command: string) => {
      const answer = next() as Promise<T>;
      child.stdin.write(`${command}\n`);
      return answer;
    },
    close: async () => { child.stdin.end(); await exited; },
  };
  return { worker, ready };
}

/**
 * `--cpus LIST` (taskset's syntax, e.g. 1 or 0-1): runs this benchmark again under `taskset -c LIST`, so that it and
 * every process it starts (the Python reference inherits the mask) share those CPUs, and returns only in that run.
 * A VM's vCPUs need not run at the same speed (measured here: one took 20-50 % longer than the other for minutes), so two
 * sides that the scheduler leaves on different CPUs compare the CPUs, not the code. Exits with the run's status.
 */
export function pinToCpus(list: string | undefined): void {
  if (list === undefined || process.env.TLEARN_BENCH_CPUS === list) return;
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list)) throw new Error(`--cpus: expected a CPU list such as 1 or 0-1, got ${list}`);
  const r = spawnSync('taskset', ['-c', list, process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, TLEARN_BENCH_CPUS: list },
  });
  if (r.error) throw new Error(`--cpus: could not run taskset (util-linux): ${r.error.message}`);
  process.exit(r.status ?? 1);
}

/** The CPUs this process may run on (Linux's Cpus_allowed_list), or null where /proc does not say. */
export function allowedCpus(): string | null {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

export function row(label: string, ours: number, ref: number, unit: string, higherIsBetter = true): string {
  const ratio = higherIsBetter ? ours / ref : ref / ours;
  return `${label.padEnd(46)} tlearn ${ours.toFixed(2).padStart(9)} ${unit.padEnd(10)} PyTorch ${ref.toFixed(2).padStart(9)} ${unit.padEnd(10)} ratio ${ratio.toFixed(2)}x`;
}

/**
 * `--key value` and bare `--flag` (= 'true') arguments of a benchmark's command line. `--cpus LIST`, which every
 * benchmark takes, is acted on here: the benchmark runs again pinned to those CPUs (pinToCpus).
 */
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
  pinToCpus(out.cpus);
  return out;
}

/** The repository root seen from `here` (bench/ from source, dist/bench/ compiled). */
export function repoRoot(here: string): string {
  let dir = here;
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  return process.cwd();
}
