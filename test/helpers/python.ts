// The PyTorch / scikit-learn oracle for parity tests. Debian's python3-torch, python3-torchvision and
// python3-sklearn belong to /usr/bin/python3; the python3 first on PATH may be another one without them.
import { spawnSync } from 'node:child_process';

export const PYTHON = process.env.TLEARN_TEST_PYTHON ?? '/usr/bin/python3';

/**
 * Runs `code` in the oracle Python. `input` arrives as the global `inp` (parsed JSON from stdin);
 * the script reports by calling `out(obj)`, which prints it as JSON. Throws with Python's stderr on failure.
 */
export function runPython<T = any>(code: string, input: unknown = null, opts: { cwd?: string; timeoutMs?: number } = {}): T {
  const prelude = [
    'import json, sys, math',
    'inp = json.loads(sys.stdin.read() or "null")',
    '_outs = []',
    'def out(o):',
    '    _outs.append(o)',
    '',
  ].join('\n');
  const epilogue = '\nsys.stdout.write(json.dumps(_outs[-1] if _outs else None, allow_nan=True))\n';
  const res = spawnSync(PYTHON, ['-c', prelude + code + epilogue], {
    input: JSON.stringify(input),
    cwd: opts.cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 300_000,
    env: { ...process.env, PYTHONWARNINGS: 'ignore', OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2' },
  });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`python oracle failed (exit ${res.status}):\n${res.stderr}`);
  // JSON has no NaN/Infinity: Python writes them bare; map them to JS numbers through a reviver.
  const text = res.stdout.replace(/(?<=[[,:\s])(-?Infinity|NaN)(?=[\],}\s])/g, '"__$1__"');
  return JSON.parse(text, (_k, v) =>
    v === '__NaN__' ? NaN : v === '__Infinity__' ? Infinity : v === '__-Infinity__' ? -Infinity : v) as T;
}
