// The --nproc launcher on small stand-in ranks (node -e scripts, no training): the torchrun variables each rank
// gets, a stop passed on to every rank, and a rank that fails or is killed making the launcher stop the others
// within its grace period and fail naming that rank.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launch, type LaunchOptions } from '../src/distributed/launch.js';

/** Runs `script` as every rank (RANK etc. in process.env), capturing what the launcher passes on. */
async function run(script: string, extra: Partial<LaunchOptions> = {}) {
  const lines = { out: '', err: '', other: '', messages: [] as string[] };
  const t0 = performance.now();
  const result = await launch({
    nproc: 2, command: process.execPath, args: ['-e', script], handleSignals: false, graceMs: 500,
    rank0: { out: (t) => { lines.out += t; }, err: (t) => { lines.err += t; } },
    otherErr: (t) => { lines.other += t; }, message: (l) => lines.messages.push(l), ...extra,
  });
  return { result, lines, seconds: (performance.now() - t0) / 1000 };
}

// A rank that stops on SIGTERM as training does (exit 143), and one that ignores it (stuck in a collective).
const GRACEFUL = "process.on('SIGTERM', () => process.exit(143)); setInterval(() => {}, 1000);";
const STUCK = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);";

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
  const { result, lines, seconds } = await run(`if (process.env.RANK === '1') setTimeout(() => process.exit(1), 200); else { ${STUCK} }`, { nproc: 3 });
  assert.equal(result.code, 1);
  assert.equal(result.failedRank, 1);
  assert.deepEqual(result.exits.map((e) => e.signal), ['SIGKILL', null, 'SIGKILL']);
  assert.match(lines.messages.join('\n'), /rank 1 exited with code 1: stopping the other ranks/);
  assert.ok(seconds < 10, `all ranks gone within the bound, took ${seconds} s`);
});

test('a rank killed from outside: the others stop gracefully, bad input (exit 2) is passed on as such', async () => {
  const killed = await run(GRACEFUL, { onStart: (pids) => setTimeout(() => process.kill(pids[1]!, 'SIGKILL'), 300) });
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
    "let n = 0; process.on('SIGTERM', () => { n++; setTimeout(() => process.exit(n === 1 ? 143 : 9), 100); }); setInterval(() => {}, 1000);",
    { signal: ac.signal, onStart: () => setTimeout(() => ac.abort(), 300) },
  );
  assert.deepEqual(result, { code: 143, failedRank: null, exits: [0, 1].map((rank) => ({ rank, code: 143, signal: null })) });
  assert.deepEqual(lines.messages, []);
});
