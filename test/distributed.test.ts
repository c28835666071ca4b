// c10d through the addon: 2 ranks as child processes (1 thread each, Gloo on 127.0.0.1) against expected
// values and against one process on the whole batch.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GradientReducer, ProcessGroup, distributedBackends } from '../src/distributed/index.js';
import { F } from '../src/torch/index.js';
import { native } from '../src/torch/native.js';
import { BN_EPS, BN_MOMENTUM, bnCase, plainBatchNorm, reducerBatch, sgdSteps, tinyNet } from './helpers/dist-fixtures.js';
import { assertClose } from './helpers/numeric.js';

const ts = import.meta.url.endsWith('.ts');
const rankScript = fileURLToPath(new URL(`./helpers/dist-rank.${ts ? 'ts' : 'js'}`, import.meta.url));
const T = { timeout: 60_000, skip: distributedBackends().gloo ? false : 'the addon was built without c10d (libgloo-dev)' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Rank {
  child: ChildProcess;
  result: Promise<{ code: number | null; result: Record<string, unknown> | undefined; stderr: string }>;
  ready: Promise<void>;
}

function startRank(scenario: string, rank: number, world: number, port: number): Rank {
  const env = { ...process.env, OMP_NUM_THREADS: '1' };
  const child = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), rankScript, scenario, String(rank), String(world), String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout!.on('data', (d) => {
    stdout += d;
    if (/^READY$/m.test(stdout)) onReady();
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const result = new Promise<{ code: number | null; result: Record<string, unknown> | undefined; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      resolve({ code, result: line ? JSON.parse(line.slice(7)) : undefined, stderr });
    }),
  );
  return { child, result, ready };
}

/** Every rank of `scenario` started on one free port. */
async function startRanks(scenario: string, world = 2): Promise<{ port: number; ranks: Rank[] }> {
  const port = await freePort();
  return { port, ranks: Array.from({ length: world }, (_, r) => startRank(scenario, r, world, port)) };
}

async function runRanks(scenario: string, world = 2): Promise<Record<string, Record<string, unknown>>[]> {
  const { ranks } = await startRanks(scenario, world);
  const done = await Promise.all(ranks.map((r) => r.result));
  done.forEach((d, r) => assert.equal(d.code, 0, `rank ${r} exited ${d.code}: ${d.stderr}`));
  return done.map((d) => d.result! as Record<string, Record<string, unknown>>);
}

// The collectives, the reducer and SyncBatchNorm run in one pair of ranks, started once.
let computed: ReturnType<typeof runRanks> | undefined;
const compute = async (part: string) => (await (computed ??= runRanks('compute'))).map((r) => r[part]);

test('allReduce (sum, avg, max, min), broadcast, allGather and barrier between 2 ranks give the expected values', T, async () => {
  const results = await compute('collectives');
  for (const [rank, r] of results.entries()) {
    assert.deepEqual(r.sum, [3, 3, 3], `rank ${rank} sum`);
    assert.deepEqual(r.avg, [1.5, 1.5, 1.5], `rank ${rank} avg`);
    assert.deepEqual(r.max, [2, 2, 2], `rank ${rank} max`);
    assert.deepEqual(r.min, [1, 1, 1], `rank ${rank} min`);
    assert.deepEqual(r.broadcast, [11, 11], `rank ${rank} broadcast from rank 1`);
    assert.deepEqual(r.allGather, [[0, 1, 2], [10, 11, 12]], `rank ${rank} allGather`);
  }
  // Rank 0 waited 400 ms for rank 1 inside an awaited allReduce: its timers kept firing meanwhile.
  assert.equal(results[0].completedAtLaunch, false);
  assert.ok((results[0].ticksWhileWaiting as number) >= 5, `the event loop ran while the allReduce waited (${results[0].ticksWhileWaiting} ticks)`);
});

test("a killed peer makes the pending allReduce, then the reducer's backward, fail on the other rank with an error naming the rank and op", T, async () => {
  const { ranks: [r0, r1] } = await startRanks('peer-killed');
  await r1.ready;
  r1.child.kill('SIGKILL');
  const { code, result: r } = await r0.result;
  assert.equal(code, 0);
  const result = r?.allReduce as Record<string, unknown> | undefined;
  const backward = r?.backward as Record<string, unknown> | undefined;
  assert.equal(result?.name, 'DistributedError');
  assert.match(String(result?.message), /^allReduce failed on rank 0 of 2 \(gloo\): /);
  assert.equal(result?.rank, 0);
  assert.equal(result?.op, 'allReduce');
  // It names the rank that died, found by its heartbeat in the store, well within the 30 s bound of a process that exits.
  assert.match(String(result?.message), /rank 1 stopped answering \(last heartbeat \d+(\.\d)? s ago\)/);
  assert.deepEqual(result?.peers, [1]);
  assert.ok((result?.ms as number) < 30_000, `named after ${result?.ms} ms`);
  // Then the reducer's bucket all-reduce inside backward.
  assert.equal(backward?.name, 'DistributedError');
  assert.match(String(backward?.message), /gradient allReduce failed on rank 0 of 2 \(gloo\) \(gradient bucket \d+\): /);
  assert.equal(backward?.op, 'gradient allReduce');
  assert.match(String(backward?.message), /rank 1 stopped answering/);
  await r1.result;
});

test('when rank 0, which serves the store, is killed, the other rank says the store is gone with it', T, async () => {
  const { port, ranks: [r0, r1] } = await startRanks('master-killed');
  await r0.ready;
  r0.child.kill('SIGKILL');
  const { code, result: r } = await r1.result;
  assert.equal(code, 0);
  const result = r?.allReduce as Record<string, unknown> | undefined;
  assert.match(String(result?.message), /^allReduce failed on rank 1 of 2 \(gloo\): /);
  assert.match(String(result?.message), new RegExp(`the store at 127\\.0\\.0\\.1:${port} does not answer .*: rank 0, which serves it, has exited or stopped answering`));
  assert.deepEqual(result?.peers, [0]);
  await r0.result;
});

test('a rank whose process exits without closing its group is named by the next collective of the others as exited', T, async () => {
  const [r0] = await compute('peerExited');
  assert.match(String(r0?.message), /^allReduce failed on rank 0 of 2 \(gloo\): .* — rank 1 exited \d+(\.\d)? s ago$/);
  assert.deepEqual(r0?.peers, [1]);
});

/** Starts a 2-rank `scenario`, freezes rank `victim` (SIGSTOP: its sockets stay open) once it is ready, and
 *  returns how the other rank ended and how long after the freeze. */
async function freezeOne(scenario: string, victim: 0 | 1) {
  const { port, ranks } = await startRanks(scenario);
  const frozen = ranks[victim]!, other = ranks[1 - victim]!;
  await frozen.ready;
  frozen.child.kill('SIGSTOP');
  const t0 = Date.now();
  const { code, result, stderr } = await other.result;
  const ms = Date.now() - t0;
  frozen.child.kill('SIGKILL');
  await frozen.result;
  assert.equal(result, undefined, 'the collective never completed');
  assert.equal(code, 1, stderr);
  return { port, stderr, ms };
}

test('a peer that stops answering (SIGSTOP: its sockets stay open) makes the other rank exit at peerTimeoutMs (2 s), naming it, though blocked in a collective whose timeout is 40 s', T, async () => {
  const { stderr, ms } = await freezeOne('peer-frozen', 1);
  assert.match(stderr, /rank 0 of 2 stops: rank 1 stopped answering \(no heartbeat for \d+ s, seen by rank 0; the bound is peerTimeoutSeconds\)/);
  assert.ok(ms < 30_000, `rank 0 exited ${ms} ms after rank 1 stopped, not at the collective's 40 s timeout`);
});

test('a frozen rank 0 (its store accepts but never answers) makes the other rank exit naming it, well before the collective timeout', T, async () => {
  const { port, stderr, ms } = await freezeOne('master-frozen', 0);
  // The op in flight is bounded by the watch's own guard: libtorch 2's TCPStore awaits check's answer forever.
  assert.match(stderr, new RegExp(`rank 1 of 2 stops: the store at 127\\.0\\.0\\.1:${port} has not answered for \\d+ s \\(an operation waits for its answer\\): rank 0, which serves it, has exited or stopped answering`));
  assert.ok(ms < 30_000, `rank 1 exited ${ms} ms after rank 0 froze, not at the collective's 40 s timeout`);
});

test('a peer that never joins the collective makes it fail at the configured timeout (3 s)', T, async () => {
  const { ranks: [r0, r1] } = await startRanks('peer-silent');
  const { code, result: r } = await r0.result;
  const result = r?.allReduce as Record<string, unknown> | undefined;
  r1.child.kill('SIGKILL');
  await r1.result;
  assert.equal(code, 0);
  assert.match(String(result?.message), /^allReduce failed on rank 0 of 2 \(gloo\): .*[Tt]imed out/);
  // Rank 1's process still beats (its heartbeat comes from a native thread), but it has not launched this collective.
  assert.match(String(result?.message), /rank 1 is alive but has not reached this collective \(1 collective behind\)/);
  assert.deepEqual(result?.peers, [1]);
  assert.ok((result?.ms as number) >= 2500, `failed after ${result?.ms} ms, not before the timeout`);
});

test("c10d's Reducer averages gradients: 2 ranks on half batches equal 1 process on the whole batch, step by step", T, async () => {
  const results = await compute('reducer');
  // Rank 1 built its model with another seed: the broadcast from rank 0 made both start from rank 0's.
  const { x, y } = reducerBatch(0, 1);
  const expected = sgdSteps(tinyNet(100), x, y, () => {});
  for (const [rank, r] of results.entries()) {
    const grads = r.grads as number[][];
    for (let s = 0; s < expected.length; s++) assertClose(grads[s], expected[s], `rank ${rank} step ${s} gradients`);
    assert.ok((r.buckets as number[][]).length > 1, 'several buckets');
  }
});

test('syncBatchNorm on 2 half batches gives the output, gradients and running statistics of BatchNorm on the whole batch (also without affine parameters)', T, async () => {
  const results = await compute('syncbn');
  const c = bnCase(0, 1);
  const y = plainBatchNorm(c);
  y.mul(c.g).sum().backward();
  const half = y.numel / 2;
  const plain = F.batchNorm(c.plain, undefined, undefined, undefined, undefined, true, BN_MOMENTUM, BN_EPS);
  plain.mul(c.plainG).sum().backward();
  const plainHalf = plain.numel / 2;
  for (const [rank, r] of results.entries()) {
    assertClose(r.y as number[], y.toArray().slice(rank * half, (rank + 1) * half), `rank ${rank} output`);
    assertClose(r.dx as number[], c.x.grad!.toArray().slice(rank * half, (rank + 1) * half), `rank ${rank} input gradient`, 1e-4);
    assertClose(r.dw as number[], c.weight.grad!.toArray(), `rank ${rank} weight gradient`, 1e-4);
    assertClose(r.db as number[], c.bias.grad!.toArray(), `rank ${rank} bias gradient`);
    assertClose(r.runningMean as number[], c.runningMean.toArray(), `rank ${rank} running mean`);
    assertClose(r.runningVar as number[], c.runningVar.toArray(), `rank ${rank} running variance`);
    assertClose(r.plain as number[], plain.toArray().slice(rank * plainHalf, (rank + 1) * plainHalf), `rank ${rank} output without affine parameters`);
    assertClose(r.plainDx as number[], c.plain.grad!.toArray().slice(rank * plainHalf, (rank + 1) * plainHalf), `rank ${rank} input gradient without affine parameters`, 1e-4);
  }
});

test("TrainWorld.gatherPredictions: each rank's shard of the items, every rank gets all rows in order with the skipped files' indices, a variant only one rank made, and a rank with no item", T, async () => {
  for (const [rank, r] of (await compute('predictions')).entries()) {
    // NaN travels as null in the rank's JSON result.
    assert.deepEqual(r.five, {
      probabilities: [0, 1, 10, 11, 20, 21, null, null, 40, 41], width: 2, skipped: [{ index: 3, path: 'i3', reason: 'broken' }],
      uncalibrated: [100, 101, null, null, 120, 121, null, null, 140, 141],
    }, `rank ${rank}, 5 items`);
    assert.deepEqual(r.one, { probabilities: [0, 1], width: 2, skipped: [], uncalibrated: [100, 101] }, `rank ${rank}, 1 item`);
  }
});

test('bad arguments are refused with a clear message before any rendezvous', T, async () => {
  await assert.rejects(ProcessGroup.init({ rank: 2, worldSize: 2, masterPort: 29500 }), /rank must be in \[0, 2\), got 2/);
  await assert.rejects(ProcessGroup.init({ rank: 0, worldSize: 1, masterPort: 70000 }), /masterPort must be in \[1, 65535\]/);
  await assert.rejects(ProcessGroup.init({ rank: 0, worldSize: 1, masterPort: 1, timeoutMs: 0 }), /timeoutMs must be a positive integer/);
  const pg = await ProcessGroup.init({ rank: 0, worldSize: 1, masterPort: await freePort(), timeoutMs: 5000 });
  try {
    const { x } = reducerBatch(0, 1);
    assert.throws(() => pg.allReduce(x, 'mean' as never), /reduce op must be sum, avg, max, min or product, got 'mean'/);
    assert.throws(() => pg.allReduce(x.t()), /must be contiguous/);
    assert.throws(() => new GradientReducer(pg, [x]), /parameter 0 is not a leaf tensor that requires grad/);
    assert.deepEqual((await pg.allReduce(x.clone(), 'avg')).toArray(), x.toArray(), 'a group of one');
  } finally {
    pg.close();
  }
  assert.throws(() => pg.barrier(), /the process group of rank 0 is closed/);
});

test('a rendezvous that nobody serves fails after connectTimeoutMs with an error naming the rank and the address', T, async () => {
  const port = await freePort();
  await assert.rejects(ProcessGroup.init({ rank: 1, worldSize: 2, masterPort: port, connectTimeoutMs: 1000 }), (e: Error & { rank?: number; op?: string }) => {
    assert.equal(e.name, 'DistributedError');
    assert.equal(e.rank, 1);
    assert.equal(e.op, 'init');
    assert.match(e.message, new RegExp(`^init failed on rank 1 of 2 \\(gloo\\) \\(rendezvous at 127\\.0\\.0\\.1:${port}\\): `));
    return true;
  });
});

test('an addon without c10d, or without NCCL, is refused with what to install', async () => {
  // As an addon built without the Gloo headers answers (its dist* ops are then absent too).
  const probe = native.distAvailable;
  native.distAvailable = () => ({ gloo: false, nccl: false });
  try {
    await assert.rejects(ProcessGroup.init({ rank: 0, worldSize: 1, masterPort: 29500 }), /built without distributed support.*sudo apt-get install libgloo-dev.*npm run build:native/s);
  } finally {
    native.distAvailable = probe;
  }
  if (!distributedBackends().nccl) {
    await assert.rejects(ProcessGroup.init({ rank: 0, worldSize: 1, masterPort: 29500, backend: 'nccl' }), /backend 'nccl' needs a CUDA libtorch with NCCL.*or use backend 'gloo'/);
  }
});
