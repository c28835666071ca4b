// The PyTorch / scikit-learn oracle for parity tests. Debian's python3-torch, python3-torchvision and
// python3-sklearn belong to /usr/bin/python3; the python3 first on PATH may be another one without them.
//
// One oracle server per test process: `import torch` alone takes 2-4 s on the 2-core CI machine (8-10 s under
// load), and the suite calls the oracle some 200 times. The server keeps the imported modules and forks a fresh
// child per call, which runs the code in fresh globals and reseeds torch/numpy/random from the OS as a new
// interpreter does; whatever the code changes dies with that child. TLEARN_TEST_PYTHON_SERVER=0 starts one
// process per call instead.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PYTHON = process.env.TLEARN_TEST_PYTHON ?? '/usr/bin/python3';

const PRELUDE = [
  'import json, sys, math',
  'inp = json.loads(sys.stdin.read() or "null")',
  '_outs = []',
  'def out(o):',
  '    _outs.append(o)',
  '',
].join('\n');
const EPILOGUE = '\nsys.stdout.write(json.dumps(_outs[-1] if _outs else None, allow_nan=True))\n';

const ENV = (): NodeJS.ProcessEnv => ({ ...process.env, PYTHONWARNINGS: 'ignore', OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2' });

/**
 * Runs `code` in the oracle Python. `input` arrives as the global `inp` (parsed JSON from stdin);
 * the script reports by calling `out(obj)`, which prints it as JSON. Throws with Python's stderr on failure.
 */
export function runPython<T = any>(code: string, input: unknown = null, opts: { cwd?: string; timeoutMs?: number } = {}): T {
  const text = process.env.TLEARN_TEST_PYTHON_SERVER === '0' ? runOnce(code, input, opts) : oracle().run(code, input, opts);
  // JSON has no NaN/Infinity: Python writes them bare; map them to JS numbers through a reviver.
  const json = text.replace(/(?<=[[,:\s])(-?Infinity|NaN)(?=[\],}\s])/g, '"__$1__"');
  return JSON.parse(json, (_k, v) =>
    v === '__NaN__' ? NaN : v === '__Infinity__' ? Infinity : v === '__-Infinity__' ? -Infinity : v) as T;
}

/** A fresh interpreter for this call alone. */
function runOnce(code: string, input: unknown, opts: { cwd?: string; timeoutMs?: number }): string {
  const res = spawnSync(PYTHON, ['-c', PRELUDE + code + EPILOGUE], {
    input: JSON.stringify(input), cwd: opts.cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 300_000, env: ENV(),
  });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`python oracle failed (exit ${res.status}):\n${res.stderr}`);
  return res.stdout;
}

// The server: waits for DIR/req-N.json ({code, input, cwd}); imports the modules the code imports (so that the
// next call finds them loaded), then forks a child that runs the code and writes DIR/res-N by rename (first
// character 0 = ok then the JSON text, 1 = failed then the traceback). The server itself runs no test code: what a
// snippet changes (a patched torch.nn.init, torch.set_num_threads) ends with its child. It exits, removing DIR,
// when its parent is gone.
const SERVER = String.raw`
import ast, importlib, json, math, os, shutil, sys, time, traceback
d, parent = sys.argv[1], os.getppid()

def preload(code):
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        for name in names:
            try:
                importlib.import_module(name)
            except BaseException:
                pass

def reseed():
    # A fresh interpreter seeds torch, numpy and random from the OS; a forked child would repeat its parent's state.
    import random
    random.seed()
    if 'numpy' in sys.modules: sys.modules['numpy'].random.seed()
    if 'torch' in sys.modules: sys.modules['torch'].seed()

def child(r, res):
    try:
        reseed()
        if r.get('cwd'): os.chdir(r['cwd'])
        outs = []
        ns = {'__name__': '__main__', '__builtins__': __builtins__, 'json': json, 'sys': sys, 'math': math,
              'inp': r['input'], '_outs': outs, 'out': outs.append}
        exec(compile(r['code'], '<oracle>', 'exec'), ns)
        body = '0' + json.dumps(outs[-1] if outs else None, allow_nan=True)
    except BaseException:
        body = '1' + traceback.format_exc()
    with open(res + '.tmp', 'w') as f: f.write(body)
    os.rename(res + '.tmp', res)

n, idle = 0, 0.0
while True:
    req = os.path.join(d, 'req-%d.json' % n)
    if not os.path.exists(req):
        if os.getppid() != parent:
            shutil.rmtree(d, ignore_errors=True); sys.exit(0)
        idle = min(idle + 0.0005, 0.02); time.sleep(idle); continue
    idle = 0.0
    with open(req) as f: r = json.load(f)
    os.remove(req)
    res = os.path.join(d, 'res-%d' % n)
    preload(r['code'])
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            child(r, res)
        except BaseException:
            code = 1
        finally:
            sys.stdout.flush(); sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if not os.path.exists(res):
        with open(res + '.tmp', 'w') as f: f.write('1the oracle child ended without an answer (wait status %d)' % status)
        os.rename(res + '.tmp', res)
    n += 1
`;

interface Oracle { run(code: string, input: unknown, opts: { cwd?: string; timeoutMs?: number }): string }
let server: { child: ChildProcess; dir: string; n: number } | null = null;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether pid has exited (a zombie counts: its exit is not reaped while this thread waits synchronously). */
function gone(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
  } catch {
    return true;
  }
}

function stop(): void {
  if (!server) return;
  try {
    process.kill(-server.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  fs.rmSync(server.dir, { recursive: true, force: true });
  server = null;
}

function oracle(): Oracle {
  if (!server) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-oracle-'));
    const log = fs.openSync(path.join(dir, 'stderr.log'), 'w');
    // Its own process group, so that stop() ends a forked child still running with it.
    const child = spawn(PYTHON, ['-c', SERVER, dir], { stdio: ['ignore', log, log], env: ENV(), detached: true });
    fs.closeSync(log);
    child.unref();
    child.on('error', () => {});
    server = { child, dir, n: 0 };
    process.once('exit', stop);
  }
  return {
    run(code, input, opts) {
      const s = server!;
      const req = path.join(s.dir, `req-${s.n}.json`);
      fs.writeFileSync(`${req}.tmp`, JSON.stringify({ code, input, cwd: opts.cwd ? path.resolve(opts.cwd) : null }));
      fs.renameSync(`${req}.tmp`, req);
      const res = path.join(s.dir, `res-${s.n}`);
      const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
      for (let wait = 0.2; !fs.existsSync(res); wait = Math.min(wait * 1.5, 20)) {
        if (gone(s.child.pid!) || Date.now() > deadline) {
          const why = Date.now() > deadline ? `timed out after ${opts.timeoutMs ?? 300_000} ms` : 'exited';
          const log = fs.existsSync(path.join(s.dir, 'stderr.log')) ? fs.readFileSync(path.join(s.dir, 'stderr.log'), 'utf8') : '';
          stop();
          throw new Error(`python oracle failed (${why}):\n${log}`);
        }
        sleep(wait);
      }
      s.n++;
      const body = fs.readFileSync(res, 'utf8');
      fs.rmSync(res);
      if (body[0] !== '0') throw new Error(`python oracle failed (exit 1):\n${body.slice(1)}`);
      return body.slice(1);
    },
  };
}
