// `tlearn train --nproc N`: starts N ranks on this machine as torchrun does (the same command as child
// processes, with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT),
// and watches them. The ranks run in their own process group, so that a Ctrl-C in the terminal reaches the
// launcher only, which passes it on once to every rank (each then stops as a single-process run does: rank 0
// saves RUN/last). A rank that exits non-zero or dies makes the launcher stop the others: SIGTERM, then SIGKILL
// after a grace period, so that every rank is gone within that bound; the launcher then fails naming the rank.
// A rank whose launcher disappears (kill -9) notices within a second and exits (watchLauncher).
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface LaunchOptions {
  nproc: number;
  /** The program each rank runs, and its arguments. */
  command: string;
  args: readonly string[];
  cwd?: string;
  /** Base environment of the ranks (default process.env); the launcher's variables are added. */
  env?: NodeJS.ProcessEnv;
  /** Rank 0's output: 'inherit' (the launcher's terminal, keeping a progress bar) or functions receiving it. */
  rank0: 'inherit' | { out(text: string): void; err(text: string): void };
  /** The other ranks' stderr (their progress goes to their own log file): each line prefixed with its rank. */
  otherErr(text: string): void;
  /** The launcher's own lines (a rank failed, the others are stopped). */
  message(line: string): void;
  /** Milliseconds between SIGTERM and SIGKILL for the ranks left when one failed (default 10 000). */
  graceMs?: number;
  /** Pass the launcher's SIGINT / SIGTERM on to the ranks (default true). */
  handleSignals?: boolean;
  /** Stops the ranks as a SIGTERM would (tests, embedding code). */
  signal?: AbortSignal;
  /** Give rank r the GPU r alone (CUDA_VISIBLE_DEVICES=r), for --device cuda. */
  gpusPerRank?: boolean;
  /** Called with the ranks' process ids once they are started. */
  onStart?(pids: number[]): void;
}

export interface RankExit { rank: number; code: number | null; signal: NodeJS.Signals | null }

export interface LaunchResult {
  /** The launcher's exit code: 0 when every rank succeeded; the failed rank's 2 (bad input) or 1; rank 0's after a signal. */
  code: number;
  /** The rank that failed first (null: none did). */
  failedRank: number | null;
  /** Every rank's exit, in rank order. */
  exits: RankExit[];
}

/** A TCP port that is free on 127.0.0.1 right now (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** How a rank ended, in words. */
export function describeExit(e: Pick<RankExit, 'code' | 'signal'>): string {
  return e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
}

/** Prefixes every complete line of a stream with `prefix`, passing partial lines on at the end. */
function prefixLines(stream: NodeJS.ReadableStream, prefix: string, write: (text: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const l of lines) write(`${prefix}${l}\n`);
  });
  stream.on('end', () => { if (rest) write(`${prefix}${rest}\n`); });
}

const STOP_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** Starts the ranks and resolves when all have exited. */
export async function launch(o: LaunchOptions): Promise<LaunchResult> {
  if (!(Number.isInteger(o.nproc) && o.nproc >= 1)) throw new Error(`launch: nproc must be an integer >= 1, got ${o.nproc}`);
  const port = await freePort();
  const grace = o.graceMs ?? 10_000;
  const children: ChildProcess[] = [];
  const exits: Array<RankExit | null> = Array.from({ length: o.nproc }, () => null);
  let failed: RankExit | null = null;
  let stopSignal: NodeJS.Signals | null = null;
  let killTimer: NodeJS.Timeout | null = null;

  const alive = () => children.filter((c, r) => exits[r] === null && c.pid !== undefined);
  const signalAll = (sig: NodeJS.Signals) => { for (const c of alive()) c.kill(sig); };
  const forward = (sig: NodeJS.Signals) => {
    // A second signal is passed on too: each rank then exits at once, as a single process does.
    stopSignal ??= sig;
    signalAll(sig);
  };
  const onSigint = () => forward('SIGINT');
  const onSigterm = () => forward('SIGTERM');
  const onAbort = () => forward('SIGTERM');
  if (o.handleSignals ?? true) {
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
  }
  o.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const done = new Promise<void>((resolve) => {
      let left = o.nproc;
      for (let rank = 0; rank < o.nproc; rank++) {
        const env = {
          ...(o.env ?? process.env),
          RANK: String(rank), WORLD_SIZE: String(o.nproc), LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: String(o.nproc),
          MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), TLEARN_LAUNCHER_PID: String(process.pid),
          // One GPU per rank (LOCAL_RANK's), unless the user has chosen which GPUs each sees.
          ...(o.gpusPerRank && !(o.env ?? process.env).CUDA_VISIBLE_DEVICES ? { CUDA_VISIBLE_DEVICES: String(rank) } : {}),
        };
        const inherit = rank === 0 && o.rank0 === 'inherit';
        const child = spawn(o.command, o.args as string[], {
          cwd: o.cwd, env, detached: true, stdio: inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', rank === 0 ? 'pipe' : 'ignore', 'pipe'],
        });
        children.push(child);
        if (rank === 0 && o.rank0 !== 'inherit') {
          const sink = o.rank0;
          child.stdout!.setEncoding('utf8').on('data', (t: string) => sink.out(t));
          child.stderr!.setEncoding('utf8').on('data', (t: string) => sink.err(t));
        } else if (rank > 0) {
          prefixLines(child.stderr!, `[rank ${rank}] `, o.otherErr);
        }
        child.on('error', (err) => o.message(`rank ${rank} could not start: ${err.message}`));
        child.on('close', (code, signal) => {
          const exit: RankExit = { rank, code, signal };
          exits[rank] = exit;
          left -= 1;
          const stoppedBySignal = stopSignal !== null && (signal === stopSignal || code === STOP_CODES[stopSignal]);
          if (failed === null && (code !== 0 || signal !== null) && !stoppedBySignal && killTimer === null) {
            failed = exit;
            if (left > 0) {
              o.message(`rank ${rank} ${describeExit(exit)}: stopping the other rank${left === 1 ? '' : 's'} (SIGTERM, SIGKILL after ${grace / 1000} s)`);
              signalAll('SIGTERM');
              killTimer = setTimeout(() => signalAll('SIGKILL'), grace);
            }
          }
          if (left === 0) resolve();
        });
      }
      o.onStart?.(children.map((c) => c.pid ?? -1));
    });
    await done;
  } finally {
    if (killTimer) clearTimeout(killTimer);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    o.signal?.removeEventListener('abort', onAbort);
    // Should the launcher itself fail, no rank outlives it.
    for (const c of alive()) c.kill('SIGKILL');
  }
  const all = exits.map((e, rank) => e ?? { rank, code: null, signal: null });
  const f = failed as RankExit | null;
  if (f) return { code: f.code === 2 ? 2 : 1, failedRank: f.rank, exits: all };
  const r0 = all[0]!;
  const code = r0.code ?? (r0.signal ? STOP_CODES[r0.signal] ?? 1 : 1);
  return { code, failedRank: null, exits: all };
}

/**
 * In a rank started by `--nproc`: exits when the launcher is gone (its parent changed), so that a launcher
 * killed with SIGKILL leaves no rank behind. Returns a function that stops watching.
 */
export function watchLauncher(env: NodeJS.ProcessEnv = process.env, onGone: () => void = () => process.exit(1)): () => void {
  const pid = Number(env.TLEARN_LAUNCHER_PID);
  if (!Number.isInteger(pid) || pid <= 0 || process.ppid !== pid) return () => undefined;
  const timer = setInterval(() => {
    if (process.ppid !== pid) {
      process.stderr.write(`the launcher (pid ${pid}) is gone: rank ${env.RANK ?? '?'} exits\n`);
      clearInterval(timer);
      onGone();
    }
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
