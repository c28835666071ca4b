// Backbone benchmark: per architecture of the zoo, at its default image size (its ImageNet weights' crop), the
// eval forward (no gradients) and a phase-2 training step (`trainable: [last_stage, head]`, frozen BatchNorm in
// eval mode, the whole network run from the images, BCE on logits, backward) in images/s, tlearn against the
// same torchvision model in Python PyTorch eager (same machine, same threads: libtorch's and OpenBLAS's pools).
// Table-driven: every architecture in src/models/zoo.ts's ARCH_INFO, or those named in --archs a,b,c.
//
// Timing, interleaved: each round builds the model afresh on each side (the reference in a Python process that
// stays up and runs one iteration per request), runs --warmup untimed iterations, then --iters steps in which each
// side runs one timed iteration in turn (who goes first rotates). A shared VM's speed drifts by 10-20 % over minutes;
// two iterations seconds apart see the same speed, so the ratio is the median over all steps of the step's ratio
// (reference seconds / tlearn seconds), printed with its quartiles. images/s: the batch over each side's median
// iteration of all rounds; the rounds' own medians give the spread (min-max). The vCPUs of a VM need not run at
// one speed either (here one took 20-50 % longer than the other for minutes, and each side tends to stay where the
// scheduler first put it): --cpus 1 runs both sides on CPU 1 (taskset), the way to read a 1-thread table.
//
// PyTorch's memory: with glibc's malloc as it comes, every eval forward of PyTorch eager gives its large
// activation buffers back to the kernel (mmap'd blocks, heap trimming) and takes them again at the next layer or
// iteration: measured on efficientnet_b3 at 300 px, batch 4, 1 thread, 38 000-63 000 page faults and about 450 ms
// of system time per 1.1 s forward, against none and about 30 ms with the two settings below (forward 0.45 s).
// The training step keeps activations for the backward pass and churns less, which is why PyTorch's forward
// measured slower than its own training step in the first runs of this benchmark (1 warm-up call, 4 iterations,
// glibc defaults). The reference therefore runs by default with MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_
// raised (`--py-malloc tuned`: what jemalloc or tcmalloc, which PyTorch's CPU tuning guide recommends, achieve)
// so that tlearn, whose caching CPU allocator keeps freed blocks, is compared with PyTorch at its best;
// `--py-malloc glibc,tuned` measures both (the ratio stays against the tuned one). Page faults per iteration
// are printed for every side.
//
// The GPU table of issue 21 (bf16 + channels-last): --device cuda --precision bf16 --channels-last, on a tlearn built
// against a CUDA libtorch (shared/DEVICE.md) and a Python torch with CUDA (TLEARN_BENCH_PYTHON); each timed iteration
// ends with a device synchronize on both sides. The forward and the step run under autocast; the loss in float32.
//
// Run: npx tsc -p tsconfig.json && node dist/bench/backbones.js [--archs resnet50,efficientnet_b0] [--batch 8]
//      [--size N] [--warmup 2] [--iters 5] [--rounds 3] [--threads N] [--py-malloc tuned|glibc|glibc,tuned]
//      [--device cpu|cuda] [--precision fp32|bf16] [--channels-last] [--cpus LIST] [--json FILE]
// It ends with a markdown table (images/s) for the README.
import fs from 'node:fs';
import * as torch from '../src/torch/index.js';
import { ALL_ARCHS, ARCH_INFO, BinaryClassifier, expandTrainable, familyInfo, isArch, type Arch } from '../src/models/index.js';
import { applyTrainable, setTrainModes } from '../src/train/index.js';
import { toChannelsLast } from '../src/train/engine.js';
import { allowedCpus, flagArgs, startPythonWorker } from './common.js';

/** Per timed iteration: seconds and minor page faults. */
interface Samples { seconds: number[]; faults: number[] }
interface Round { forward: Samples; train: Samples }
/** One timed iteration of one side. */
interface Sample { seconds: number; faults: number }
type Mode = 'forward' | 'train';

const MALLOC_ENV: Record<string, NodeJS.ProcessEnv> = {
  glibc: {},
  tuned: { MALLOC_MMAP_THRESHOLD_: String(2 ** 32), MALLOC_TRIM_THRESHOLD_: String(2 ** 36) },
};

const args = flagArgs(); // --cpus pins the run here
const archs = (args.archs ? args.archs.split(',') : [...ALL_ARCHS]);
for (const a of archs) if (!isArch(a)) throw new Error(`--archs: unknown architecture ${a} (expected some of ${ALL_ARCHS.join(', ')})`);
const batch = Number(args.batch ?? 8);
const warmup = Number(args.warmup ?? 2);
const iters = Number(args.iters ?? 5);
const rounds = Number(args.rounds ?? 3);
if (args.threads) torch.setNumThreads(Number(args.threads));
const threads = torch.getNumThreads();
// 'tuned' first: the ratio's reference (PyTorch at its best) whenever it is measured.
const pyVariants = (args['py-malloc'] ?? 'tuned').split(',').sort((a, b) => Number(b === 'tuned') - Number(a === 'tuned'));
for (const v of pyVariants) if (!(v in MALLOC_ENV)) throw new Error(`--py-malloc: ${v} is not one of ${Object.keys(MALLOC_ENV).join(', ')}`);
for (const [k, v] of Object.entries({ batch, iters, rounds })) if (!(Number.isInteger(v) && v >= 1)) throw new Error(`--${k}: expected a positive integer`);
if (!(Number.isInteger(warmup) && warmup >= 0)) throw new Error('--warmup: expected an integer >= 0');
const device = args.device ?? 'cpu';
const precision = args.precision ?? 'fp32';
const channelsLast = args['channels-last'] !== undefined;
if (device !== 'cpu' && device !== 'cuda') throw new Error(`--device: expected cpu or cuda, got ${device}`);
if (precision !== 'fp32' && precision !== 'bf16') throw new Error(`--precision: expected fp32 or bf16, got ${precision}`);
if (device === 'cuda' && !torch.cuda.isAvailable()) throw new Error('--device cuda: this libtorch sees no CUDA device (build the addon against a CUDA libtorch: shared/DEVICE.md)');
/** fn under bf16 autocast when --precision bf16. */
const amp = <T>(fn: () => T): T => (precision === 'bf16' ? torch.autocast(fn, { device, dtype: 'bfloat16' }) : fn());
/** Waits for the device's queued work, so that an iteration's time is its compute (no-op on the CPU). */
const sync = (): void => { if (device === 'cuda') torch.cuda.synchronize(); };

/** The size an architecture runs at: --size, except for a network that takes only its own (ViT). */
function sizeOf(arch: Arch): number {
  const info = ARCH_INFO[arch];
  return args.size && !('fixedImageSize' in info && info.fixedImageSize) ? Number(args.size) : info.imageSize;
}

/** Times one call of fn (with the device synchronized after it). */
function timeOne(fn: () => void): Sample {
  const f0 = process.resourceUsage().minorPageFault;
  const t0 = process.hrtime.bigint();
  fn();
  sync();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, faults: process.resourceUsage().minorPageFault - f0 };
}

/** tlearn's side of one round: the model, its input, and one iteration per mode ('train' after setTrainMode). */
function ourSide(arch: Arch, size: number, trainable: string[]) {
  const model = new BinaryClassifier({ arch });
  model.to(device);
  if (channelsLast) toChannelsLast(model);
  const x = torch.scope(() => torch.keep(torch.randn([batch, 3, size, size]).to(device).contiguous(channelsLast)));
  const y = torch.scope(() => torch.keep(torch.rand([batch, 1]).gt(0.5).float().to(device)));
  model.eval();
  return {
    iteration: (mode: Mode): Sample => timeOne(mode === 'forward'
      ? () => torch.scope(() => torch.noGrad(() => amp(() => model.forward(x))).dispose())
      : () => torch.scope(() => {
        torch.F.binaryCrossEntropyWithLogits(amp(() => model.forward(x)).float(), y).backward();
        model.zeroGrad();
      })),
    /** Phase 2's trainable set, frozen BatchNorm in eval mode. */
    setTrainMode: (): void => {
      applyTrainable(model, trainable);
      setTrainModes(model, 'eval');
    },
    dispose: (): void => {
      torch.dispose([x, y]);
      model.dispose();
    },
  };
}

// The reference: one long-lived Python process per round, answering 'forward' and 'train' with one timed iteration
// each and 'train-mode' by setting up phase 2's trainable set.
const PY = `
import time, resource, torch, torchvision
torch.set_num_threads(inp['threads'])
m = getattr(torchvision.models, inp['arch'])()
B, S, dev = inp['batch'], inp['size'], inp['device']
fmt = torch.channels_last if inp['channelsLast'] else torch.contiguous_format
x = torch.randn(B, 3, S, S).to(dev).contiguous(memory_format=fmt); y = (torch.rand(B, 1) > 0.5).float().to(dev)
def amp(): return torch.autocast(device_type=dev, dtype=torch.bfloat16, enabled=inp['precision'] == 'bf16')
def sync():
    if dev == 'cuda': torch.cuda.synchronize()
i = inp['head']
parent, last = i.rsplit('.', 1) if '.' in i else ('', i)
holder = m.get_submodule(parent) if parent else m
old = getattr(holder, last) if not last.isdigit() else holder[int(last)]
new = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(old.in_features, 1), torch.nn.Sigmoid())
if last.isdigit(): holder[int(last)] = new
else: setattr(holder, last, new)
def timed(fn):
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    t0 = time.perf_counter(); fn(); sync(); s = time.perf_counter() - t0
    return {'seconds': s, 'faults': resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0}
m.to(dev).to(memory_format=fmt)
m.eval()
def fwd():
    with torch.inference_mode(), amp(): m(x)
def train_mode():
    pre = inp['trainable']
    for k, p in m.named_parameters(): p.requires_grad_(any(k == q or k.startswith(q + '.') for q in pre))
    m.train()
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d) and not any(p.requires_grad for p in mod.parameters()): mod.eval()
    new[2] = torch.nn.Identity()  # logits, as tlearn trains on them
def step():
    with amp(): out = m(x)
    torch.nn.functional.binary_cross_entropy_with_logits(out.float(), y).backward()
    m.zero_grad(set_to_none=True)
reply({'ready': True})
for line in sys.stdin:
    cmd = line.strip()
    if cmd == 'forward': reply(timed(fwd))
    elif cmd == 'train': reply(timed(step))
    elif cmd == 'train-mode': train_mode(); reply({'ok': True})
    else: raise SystemExit('unknown command ' + cmd)
`;

type Runner = (mode: Mode) => Promise<Sample>;
/**
 * --warmup untimed, then --iters timed iterations of every side, one iteration of each in turn (the side that
 * goes first rotates), so that each step's iterations run within seconds of each other.
 */
async function interleave(runners: Runner[], mode: Mode): Promise<Samples[]> {
  for (let i = 0; i < warmup; i++) for (const run of runners) await run(mode);
  const out: Samples[] = runners.map(() => ({ seconds: [], faults: [] }));
  for (let i = 0; i < iters; i++) {
    for (let k = 0; k < runners.length; k++) {
      const side = (i + k) % runners.length;
      const s = await runners[side]!(mode);
      out[side]!.seconds.push(s.seconds);
      out[side]!.faults.push(s.faults);
    }
  }
  return out;
}

/** One round: every side built afresh, the forward interleaved, then the phase-2 step interleaved. */
async function round(arch: Arch, input: { size: number; trainable: string[] }): Promise<Round[]> {
  const started = pyVariants.map((v) => startPythonWorker(PY, input, threads, MALLOC_ENV[v]));
  const ours = ourSide(arch, input.size, input.trainable);
  try {
    await Promise.all(started.map((w) => w.ready));
    const runners: Runner[] = [async (mode) => ours.iteration(mode), ...started.map(({ worker }) => (mode: Mode) => worker.request<Sample>(mode))];
    const forward = await interleave(runners, 'forward');
    ours.setTrainMode();
    await Promise.all(started.map(({ worker }) => worker.request('train-mode')));
    const train = await interleave(runners, 'train');
    return forward.map((f, k) => ({ forward: f, train: train[k]! }));
  } finally {
    ours.dispose();
    await Promise.all(started.map(({ worker }) => worker.close()));
  }
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Figure { imagesPerSecond: number; roundsMin: number; roundsMax: number; faultsPerIteration: number }
/** images/s of the median iteration over all rounds, the spread of the rounds' medians, the median page faults. */
function figure(rs: Samples[]): Figure {
  const perRound = rs.map((r) => batch / median(r.seconds));
  return {
    imagesPerSecond: batch / median(rs.flatMap((r) => r.seconds)), roundsMin: Math.min(...perRound), roundsMax: Math.max(...perRound),
    faultsPerIteration: median(rs.flatMap((r) => r.faults)),
  };
}

/**
 * tlearn's speed over the reference's as the median of the per-step ratios (reference seconds / tlearn seconds of
 * the two iterations of one interleaved step), with the quartiles: drift slower than a step cancels out.
 */
interface Ratio { median: number; q1: number; q3: number; steps: number }
function pairedRatio(ours: Samples[], ref: Samples[]): Ratio {
  const r = ours.flatMap((o, k) => o.seconds.map((sec, i) => ref[k]!.seconds[i]! / sec)).sort((a, b) => a - b);
  const at = (q: number) => r[Math.min(r.length - 1, Math.round(q * (r.length - 1)))]!;
  return { median: median(r), q1: at(0.25), q3: at(0.75), steps: r.length };
}

interface ArchResult {
  arch: Arch; size: number; parameters: number; sides: Record<string, { forward: Figure; train: Figure }>;
  /** Against the reference (PyTorch with the tuned malloc when measured). */
  ratio: { forward: Ratio; train: Ratio };
}

const sideNames = ['tlearn', ...pyVariants.map((v) => `pytorch-${v}`)];
console.log(`backbone benchmark: libtorch ${torch.info().version}, ${device}, ${precision}${channelsLast ? ', channels-last' : ''}, ${threads} threads on CPUs ${allowedCpus() ?? '?'}, batch ${batch}, ${warmup} warm-up + ${iters} timed ` +
  `iterations per round, interleaved one by one, ${rounds} rounds; images/s of the median iteration, ratio: the median of the per-step ratios; PyTorch's malloc: ${pyVariants.join(', ')}`);
const results: ArchResult[] = [];
for (const arch of archs as Arch[]) {
  const size = sizeOf(arch);
  const input = {
    arch, batch, threads, size, device, precision, channelsLast, head: familyInfo(arch).headPath, trainable: expandTrainable(['last_stage', 'head'], arch),
  };
  const samples: Record<string, Round[]> = Object.fromEntries(sideNames.map((s) => [s, []]));
  for (let r = 0; r < rounds; r++) (await round(arch, input)).forEach((sideRound, k) => samples[sideNames[k]!]!.push(sideRound));
  const sides = Object.fromEntries(sideNames.map((s) => [s, { forward: figure(samples[s]!.map((r) => r.forward)), train: figure(samples[s]!.map((r) => r.train)) }]));
  const ratioOf = (what: Mode) => pairedRatio(samples.tlearn!.map((r) => r[what]), samples[sideNames[1]!]!.map((r) => r[what]));
  const ratio = { forward: ratioOf('forward'), train: ratioOf('train') };
  results.push({ arch, size, parameters: ARCH_INFO[arch].numParams, sides, ratio });
  for (const what of ['forward', 'train'] as const) {
    const parts = sideNames.map((s) => {
      const f = sides[s]![what];
      return `${s} ${f.imagesPerSecond.toFixed(2)} (${f.roundsMin.toFixed(2)}-${f.roundsMax.toFixed(2)}, ${f.faultsPerIteration} faults)`;
    });
    const q = ratio[what];
    console.log(`${`${arch} ${size}px ${what === 'forward' ? 'forward (eval)' : 'phase-2 step'}`.padEnd(40)} ${parts.join('  ')}  ` +
      `ratio ${q.median.toFixed(2)}x (quartiles ${q.q1.toFixed(2)}-${q.q3.toFixed(2)} of ${q.steps} steps)`);
  }
}

/** The README's table: images/s of each side and tlearn's ratio to PyTorch (the tuned malloc's when measured). */
function markdown(rows: ArchResult[]): string {
  const py = pyVariants.map((v) => (v === 'tuned' ? 'PyTorch' : 'PyTorch (glibc malloc defaults)'));
  const cols = (what: string) => [`${what}: tlearn`, ...py.map((p) => `${what}: ${p}`), `${what}: ×`];
  const head = ['arch', 'size', 'parameters (torchvision)', ...cols('forward'), ...cols('phase-2 step')];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  for (const r of rows) {
    const cells = (what: 'forward' | 'train') => [
      ...sideNames.map((s) => fmt(r.sides[s]![what].imagesPerSecond)),
      `${r.ratio[what].median.toFixed(2)}×`,
    ];
    lines.push(`| ${[r.arch, String(r.size), `${(r.parameters / 1e6).toFixed(1)} M`, ...cells('forward'), ...cells('train')].join(' | ')} |`);
  }
  return lines.join('\n');
}

console.log(`\n${device === 'cuda' ? `CUDA ${precision}${channelsLast ? ' channels-last' : ''}` : 'CPU'} images/s, ${threads} threads, batch ${batch}, ${rounds} x ${iters} interleaved steps (× = the median per-step ratio):\n\n${markdown(results)}`);
if (args.json) {
  fs.writeFileSync(args.json, JSON.stringify({ libtorch: torch.info().version, device, precision, channelsLast, threads, batch, warmup, iters, rounds, pyMalloc: pyVariants, results }, null, 2) + '\n');
}
