// One rank of a distributed test, started by test/distributed.test.ts as a child process:
//   node dist-rank.js SCENARIO RANK WORLD PORT        (SCENARIO: compute, peer-killed, peer-silent, master-killed, peer-frozen or master-frozen)
// It prints one line `RESULT <json>` (or `READY` where the parent acts on it). Without arguments it does
// nothing (the test runner may load every file under test/).
import { GradientReducer, ProcessGroup, broadcastModule, syncBatchNorm } from '../../src/distributed/index.js';
import { full, arange, setNumThreads } from '../../src/torch/index.js';
import { TrainWorld } from '../../src/train/world.js';
import type { ItemPredictions } from '../../src/eval/index.js';
import { BN_EPS, BN_MOMENTUM, bnCase, reducerBatch, sgdSteps, tinyNet } from './dist-fixtures.js';

const [scenario, rankArg, worldArg, portArg] = process.argv.slice(2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (o: unknown) => process.stdout.write(`RESULT ${JSON.stringify(o)}\n`);

async function collectives(pg: ProcessGroup, rank: number): Promise<Record<string, unknown>> {
  const r: Record<string, unknown> = {};
  for (const op of ['sum', 'avg', 'max', 'min'] as const) r[op] = (await pg.allReduce(full([3], rank + 1), op)).toArray();
  r.broadcast = pg.broadcast(full([2], 10 + rank), 1).wait().toArray();
  r.allGather = (await pg.allGather(arange(0, 3).add(10 * rank))).map((t) => t.toArray());
  // The event loop keeps running while a collective waits for a late peer (rank 1 comes 400 ms later).
  if (rank === 1) await sleep(400);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const work = pg.allReduce(full([1], 1));
  r.completedAtLaunch = rank === 0 ? work.isCompleted() : null;
  await work;
  clearInterval(timer);
  r.ticksWhileWaiting = ticks;
  await pg.barrier();
  return r;
}

function reducer(pg: ProcessGroup, rank: number, world: number): Record<string, unknown> {
  const net = tinyNet(100 + rank);
  broadcastModule(pg, [...net.parameters(), ...net.buffers()]);
  // Tiny buckets, so that several all-reduces run during backward and the buckets get rebuilt.
  const red = new GradientReducer(pg, net.parameters(), { bucketBytes: 64, firstBucketBytes: 64 });
  const { x, y } = reducerBatch(rank, world);
  const grads = sgdSteps(net, x, y, (o) => red.prepareForBackward(o));
  const buckets = red.buckets;
  red.close();
  return { grads, buckets };
}

function syncBn(pg: ProcessGroup, rank: number, world: number): Record<string, unknown> {
  const c = bnCase(rank, world);
  const y = syncBatchNorm(c.x, c.weight, c.bias, c.runningMean, c.runningVar, BN_MOMENTUM, BN_EPS, pg);
  y.mul(c.g).sum().backward();
  // The weight and bias gradients are per-rank sums; their sum over ranks is the whole batch's.
  const dw = pg.allReduce(c.weight.grad!.clone()).wait(), db = pg.allReduce(c.bias.grad!.clone()).wait();
  const plain = syncBatchNorm(c.plain, undefined, undefined, undefined, undefined, BN_MOMENTUM, BN_EPS, pg);
  plain.mul(c.plainG).sum().backward();
  return { y: y.toArray(), dx: c.x.grad!.toArray(), dw: dw.toArray(), db: db.toArray(), runningMean: c.runningMean.toArray(), runningVar: c.runningVar.toArray(),
    plain: plain.toArray(), plainDx: c.plain.grad!.toArray() };
}

/**
 * TrainWorld.gatherPredictions of 5 items (2 probabilities each: 10 i and 10 i + 1) and of 1 item: item 3 (rank
 * 1's second) cannot be decoded, and only rank 0's predictions have an uncalibrated variant (100 + 10 i).
 */
async function gatheredPredictions(pg: ProcessGroup, rank: number, world: number): Promise<Record<string, unknown>> {
  const w = TrainWorld.over(pg, { rank, worldSize: world });
  const predict = async (shard: { path: string; i: number }[]): Promise<ItemPredictions> => {
    const rows = (f: (i: number) => number) => Float64Array.from(shard.flatMap(({ i }) => (i === 3 ? [NaN, NaN] : [f(i), f(i) + 1])));
    return {
      probabilities: rows((i) => 10 * i), width: 2,
      skipped: shard.flatMap((it, k) => (it.i === 3 ? [{ index: k, path: it.path, reason: 'broken' }] : [])),
      ...(rank === 0 && shard.length > 0 ? { uncalibrated: rows((i) => 100 + 10 * i) } : {}),
    };
  };
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `i${i}`, i }));
  const plain = (p: ItemPredictions) =>
    ({ probabilities: [...p.probabilities], width: p.width, skipped: p.skipped, uncalibrated: p.uncalibrated && [...p.uncalibrated] });
  return { five: plain(await w.gatherPredictions(items(5), predict)), one: plain(await w.gatherPredictions(items(1), predict)) };
}

async function main(): Promise<void> {
  const rank = Number(rankArg), world = Number(worldArg);
  setNumThreads(1);
  const frozen = scenario === 'peer-frozen' || scenario === 'master-frozen';
  const timeoutMs = frozen ? 40000 : scenario.startsWith('peer') ? 3000 : 20000;
  const pg = await ProcessGroup.init({ rank, worldSize: world, masterAddr: '127.0.0.1', masterPort: Number(portArg), timeoutMs, ...(frozen ? { peerTimeoutMs: 2000 } : {}) });
  // One pair of processes runs all the computing scenarios: starting a rank (loading libtorch) is the slow part.
  if (scenario === 'compute') {
    const r: Record<string, unknown> = { collectives: await collectives(pg, rank), reducer: reducer(pg, rank, world), syncbn: syncBn(pg, rank, world), predictions: await gatheredPredictions(pg, rank, world) };
    // Last, rank 1 exits without closing its group: rank 0's next collective fails and names it.
    if (rank === 1) {
      out(r);
      process.exit(0);
    }
    try {
      await pg.allReduce(full([1], 1));
      r.peerExited = { message: 'no error' };
    } catch (e) {
      r.peerExited = { message: (e as Error).message, peers: (e as { peers?: number[] }).peers };
    }
    out(r);
  }
  else if (frozen) {
    // Rank 1 (peer-frozen) or rank 0 with the store (master-frozen) is stopped (SIGSTOP) by the parent: its
    // sockets stay open, so Gloo would wait the 40 s timeout; the other blocks in the collective and its
    // heartbeat watchdog ends the process.
    await pg.barrier();
    const victim = scenario === 'master-frozen' ? 0 : 1;
    if (rank === victim) process.stdout.write('READY\n');
    await sleep(rank === victim ? 30000 : 1000);
    pg.allReduce(full([4], 1)).wait();
    out({ allReduce: 'completed' });
  } else if (scenario === 'peer-killed' || scenario === 'peer-silent' || scenario === 'master-killed') {
    const net = tinyNet(100);
    const red = new GradientReducer(pg, net.parameters());
    await pg.barrier();
    // master-killed: rank 0, which serves the store, is the one killed.
    if (rank === (scenario === 'master-killed' ? 0 : 1)) {
      // Killed by the parent (peer-killed), or alive but never joining the next collective (peer-silent).
      process.stdout.write('READY\n');
      await sleep(30000);
    }
    const t0 = Date.now();
    const caught = (e: unknown) => {
      const err = e as Error & { rank?: number; op?: string };
      return { message: err.message, name: err.name, rank: err.rank, op: err.op, peers: (err as { peers?: number[] }).peers, ms: Date.now() - t0 };
    };
    const r: Record<string, unknown> = {};
    try {
      await pg.allReduce(full([4], 1));
    } catch (e) {
      r.allReduce = caught(e);
    }
    // The reducer's all-reduce during backward fails too (on the connection found broken).
    if (scenario === 'master-killed') {
      out(r);
      process.exit(0);
    }
    const { x, y } = reducerBatch(0, 2);
    const outp = net.forward(x);
    red.prepareForBackward(outp);
    try {
      red.backward(outp.sub(y).pow(2).mean());
    } catch (e) {
      r.backward = caught(e);
    }
    out(r);
    process.exit(0);
  }
  pg.close();
}

if (scenario) await main();
