// c10d all-reduce between 2 local ranks with Gloo (1 thread each): time and bandwidth for 1 MB, 25 MB (one
// DDP bucket) and 60 MB (phase 2's layer4 + head of resnet50, also as 25 MB buckets in flight together, as
// the Reducer sends them), and the bytes all-reduced per step in each phase.
//   node dist/bench/collectives.js [--reps 5] [--port 29531]
// Bandwidth: algorithm bandwidth = bytes / time; bus bandwidth = 2(n-1)/n × that (a ring all-reduce sends
// and receives each byte about twice over n ranks), comparable across world sizes as NCCL's tests report it.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ProcessGroup } from '../src/distributed/index.js';
import { resnet50 } from '../src/models/index.js';
import { setNumThreads, zeros, type Tensor } from '../src/torch/index.js';
import { flagArgs } from './common.js';

const MB = 1024 * 1024;
const WORLD = 2;
const CASES: { label: string; parts: number[] }[] = [
  { label: '1 MB', parts: [1 * MB] },
  { label: '25 MB (one bucket)', parts: [25 * MB] },
  { label: '60 MB (one message)', parts: [60 * MB] },
  { label: '60 MB (25+25+10 MB buckets in flight)', parts: [25 * MB, 25 * MB, 10 * MB] },
];

interface Timing { label: string; bytes: number; medianS: number; minS: number }

async function rankMain(rank: number, port: number, reps: number): Promise<void> {
  setNumThreads(1);
  const pg = await ProcessGroup.init({ rank, worldSize: WORLD, masterPort: port, timeoutMs: 120_000 });
  const out: Timing[] = [];
  for (const c of CASES) {
    const tensors: Tensor[] = c.parts.map((b) => zeros([b / 4]));
    const once = () => {
      pg.barrier().wait();
      const t0 = process.hrtime.bigint();
      const works = tensors.map((t) => pg.allReduce(t));
      for (const w of works) w.wait();
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    once(); // warm-up: first-touch of the buffers and the connections
    const times = Array.from({ length: reps }, once).sort((a, b) => a - b);
    out.push({ label: c.label, bytes: c.parts.reduce((a, b) => a + b, 0), medianS: times[Math.floor(times.length / 2)], minS: times[0] });
    for (const t of tensors) t.dispose();
  }
  pg.close();
  if (rank === 0) process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Bytes all-reduced per step: the trainable parameters' gradients in float32 (binary head, 1 output). */
function bytesPerPhase(): { phase: string; params: number; bytes: number }[] {
  const net = resnet50({ numClasses: 1 });
  const count = (prefixes: string[]) =>
    net.namedParameters().filter(([n]) => prefixes.some((p) => n.startsWith(p))).reduce((s, [, t]) => s + t.numel, 0);
  const head = count(['fc']), layer4 = count(['layer4']);
  return [
    { phase: 'phase 1 (head)', params: head, bytes: head * 4 },
    { phase: 'phase 2 (layer4 + head)', params: layer4 + head, bytes: (layer4 + head) * 4 },
  ];
}

async function main(): Promise<void> {
  const flags = flagArgs();
  const reps = Number(flags.reps ?? 5);
  if (flags.rank !== undefined) return rankMain(Number(flags.rank), Number(flags.port), reps);
  const port = Number(flags.port ?? (await freePort()));
  const self = fileURLToPath(import.meta.url);
  const env = { ...process.env, OMP_NUM_THREADS: '1' };
  const children = Array.from({ length: WORLD }, (_, r) =>
    spawn(process.execPath, [...process.execArgv, self, '--rank', String(r), '--port', String(port), '--reps', String(reps)], { env, stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  let stdout = '';
  children[0].stdout.on('data', (d) => (stdout += d));
  children[1].stdout.resume();
  const codes = await Promise.all(children.map((c) => new Promise<number | null>((r) => c.on('close', r))));
  if (codes.some((c) => c !== 0)) throw new Error(`a rank failed (exit codes ${codes.join(', ')})`);
  const timings = JSON.parse(stdout.split('\n').find((l) => l.startsWith('RESULT '))!.slice(7)) as Timing[];
  const busFactor = (2 * (WORLD - 1)) / WORLD;
  console.log(`all-reduce (sum, float32), ${WORLD} local ranks, Gloo over 127.0.0.1, 1 thread each, median of ${reps}`);
  for (const t of timings) {
    const algbw = t.bytes / t.medianS / 1e9;
    console.log(
      `${t.label.padEnd(40)} ${(t.medianS * 1e3).toFixed(1).padStart(8)} ms (min ${(t.minS * 1e3).toFixed(1)})  ` +
        `algbw ${algbw.toFixed(2)} GB/s  busbw ${(algbw * busFactor).toFixed(2)} GB/s`,
    );
  }
  console.log('\ngradient bytes all-reduced per step (resnet50, binary head, float32):');
  for (const p of bytesPerPhase()) console.log(`${p.phase.padEnd(40)} ${p.params.toLocaleString('en-US').padStart(12)} params  ${(p.bytes / MB).toFixed(2).padStart(8)} MB`);
}

await main();
