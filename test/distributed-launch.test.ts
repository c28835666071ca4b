// The --nproc launcher on small stand-in ranks (node -e scripts, no training): the torchrun variables each rank
// gets, a stop passed on to every rank, and a rank that fails or is killed making the launcher stop the others
// within its grace period and fail naming that rank.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launch, type LaunchOptions } from '../src/distributed/launch.js';

interface Lines { out: string; err: string; other: string; messages: string[] }

/** Runs `script` as every rank (RANK etc. in process.env), capturing what the launcher passes on. */
async function run(script: string, extra: Partial<LaunchOptions> | ((lines: Lines) => Partial<LaunchOptions>) = {}) {
  const lines: Lines = { out: '', err: '', other: '', messages: [] };
  const t0 = performance.now();
  const result = await launch({
    nproc: 2, command: process.execPath, args: ['-e', script], handleSignals: false, graceMs: 500,
    rank0: { out: (t) => { lines.out += t; }, err: (t) => { lines.err += t; } },
    otherErr: (t) => { lines.other += t; }, message: (l) => lines.messages.push(l), ...(typeof extra === 'function' ? extra(lines) : extra),
  });
  return { result, lines, seconds: (performance.now() - t0) / 1000 };
}

/** Calls `then` once `n` ranks have written 'ready' (polled: the launcher's callbacks fill `lines`). */
function whenReady(lines: Lines, n: number, then: () => void): void {
  const count = () => ((lines.out + lines.other).match(/ready/g) ?? []).length;
  const poll = setInterval(() => {
    if (count() < n) return;
    clearInterval(poll);
    then();
  }, 20);
}

// A rank that stops on SIGTERM as training does (exit 143), and one that ignores it (stuck in a collective).
// Each says 'ready' once its handler is installed: a signal sent before that (a slow start on a loaded machine)
// would kill the process instead of exercising the handler.
const READY = "(process.env.RANK === '0' ? process.stdout : process.stderr).write('ready\\n');";
const GRACEFUL = `process.on('SIGTERM', () => process.exit(143)); ${READY} setInterval(() => {}, 1000);`;
const STUCK = `process.on('SIGTERM', () => {}); ${READY} setInterval(() => {}, 1000);`;

test('every rank gets the torchrun variables; rank 0 speaks on stdout, the others on stderr with their rank', async () => {
  const { result, lines } = await run(`
    const e = process.env;
    const line = [e.RANK, e.WORLD_SIZE, e.LOCAL_RANK, e.LOCAL_WORLD_SIZE, e.MASTER_ADDR, e.MASTER_PORT].join(' ');
    (e.RANK === '0' ? process.stdout : process.stderr).write(line + '\\n');`, { nproc: 3 });
  assert.deepEqual(result, { code: 0, failedRank: null, exits: [0, 1, 2].map((rank) => ({ rank, code: 0, signal: null })) });
  const m = /^0 3 0 3 127\.0\.0\.1 (\d+)\n$/.exec(lines.out);
  assert.ok(m, lines.out);
  assert.ok(Number(m[1]) > 0 && Number(m[1]) < 65536);
  const others = lines.other.split('\n').filter(Boolean).sort();
  assert.deepEqual(others, [`[rank 1] 1 3 1 3 127.0.0.1 ${m[1]}`, `[rank 2] 2 3 2 3 127.0.0.1 ${m[1]}`]);
});

test('a rank that exits non-zero: the others are stopped (SIGKILL after the grace period) and the launcher names it', async () => {
  // Rank 1 fails once every rank is ready (SIGUSR2 from the test), so that the others are surely in their handlers.
  const { result, lines, seconds } = await run(
    `if (process.env.RANK === '1') { process.on('SIGUSR2', () => process.exit(1)); ${READY} setInterval(() => {}, 1000); } else { ${STUCK} }`,
    (l) => ({ nproc: 3, onStart: (pids) => whenReady(l, 3, () => process.kill(pids[1]!, 'SIGUSR2')) }),
  );
  assert.equal(result.code, 1);
  assert.equal(result.failedRank, 1);
  assert.deepEqual(result.exits.map((e) => e.signal), ['SIGKILL', null, 'SIGKILL']);
  assert.match(lines.messages.join('\n'), /rank 1 exited with code 1: stopping the other ranks/);
  assert.ok(seconds < 10, `all ranks gone within the bound, took ${seconds} s`);
});

test('a rank killed from outside: the others stop gracefully, bad input (exit 2) is passed on as such', async () => {
  const killed = await run(GRACEFUL, (lines) => ({ onStart: (pids) => whenReady(lines, 2, () => process.kill(pids[1]!, 'SIGKILL')) }));
  assert.equal(killed.result.failedRank, 1);
  assert.equal(killed.result.code, 1);
  assert.deepEqual(killed.result.exits[0], { rank: 0, code: 143, signal: null });
  assert.match(killed.lines.messages.join('\n'), /rank 1 was killed by SIGKILL/);
  const bad = await run(`if (process.env.RANK === '1') process.exit(2); else { ${GRACEFUL} }`);
  assert.deepEqual([bad.result.code, bad.result.failedRank], [2, 1]);
});

test('a stop of the launcher reaches every rank once, and its exit code is rank 0\'s', async () => {
  const ac = new AbortController();
  const { result, lines } = await run(
    `let n = 0; process.on('SIGTERM', () => { n++; setTimeout(() => process.exit(n === 1 ? 143 : 9), 100); }); ${READY} setInterval(() => {}, 1000);`,
    (lines) => ({ signal: ac.signal, onStart: () => whenReady(lines, 2, () => ac.abort()) }),
  );
  assert.deepEqual(result, { code: 143, failedRank: null, exits: [0, 1].map((rank) => ({ rank, code: 143, signal: null })) });
  assert.deepEqual(lines.messages, []);
});
