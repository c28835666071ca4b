// Backbone benchmark: per architecture of the zoo, at its default image size (its ImageNet weights' crop), the
// eval forward (no gradients) and a phase-2 training step (`trainable: [last_stage, head]`, frozen BatchNorm in
// eval mode, the whole network run from the images, BCE on logits, backward) in images/s, tlearn against the
// same torchvision model in Python PyTorch eager (same machine, same threads, alternating rounds).
// Table-driven: every architecture in src/models/zoo.ts's ARCH_INFO, or those named in --archs a,b,c.
//
// Timing: each round builds the model afresh on each side, runs --warmup untimed iterations, then times --iters
// iterations one by one; the figure is the batch over the median iteration of all rounds (a few slow iterations
// of a shared machine do not move it). The rounds' own medians give the spread (min-max) in the JSON.
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
//      [--device cpu|cuda] [--precision fp32|bf16] [--channels-last] [--json FILE]
// It ends with a markdown table (images/s) for the README.
import fs from 'node:fs';
import * as torch from '../src/torch/index.js';
import { ALL_ARCHS, ARCH_INFO, BinaryClassifier, expandTrainable, familyInfo, isArch, type Arch } from '../src/models/index.js';
import { applyTrainable, setTrainModes } from '../src/train/index.js';
import { toChannelsLast } from '../src/train/engine.js';
import { flagArgs, runPythonBench } from './common.js';

/** Per timed iteration: seconds and minor page faults. */
interface Samples { seconds: number[]; faults: number[] }
interface Round { forward: Samples; train: Samples }

const MALLOC_ENV: Record<string, NodeJS.ProcessEnv> = {
  glibc: {},
  tuned: { MALLOC_MMAP_THRESHOLD_: String(2 ** 32), MALLOC_TRIM_THRESHOLD_: String(2 ** 36) },
};

const args = flagArgs();
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

function sample(fn: () => void): Samples {
  for (let i = 0; i < warmup; i++) fn();
  const out: Samples = { seconds: [], faults: [] };
  for (let i = 0; i < iters; i++) {
    const f0 = process.resourceUsage().minorPageFault;
    const t0 = process.hrtime.bigint();
    fn();
    sync();
    out.seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    out.faults.push(process.resourceUsage().minorPageFault - f0);
  }
  return out;
}

function ours(arch: Arch, size: number): Round {
  const model = new BinaryClassifier({ arch });
  model.to(device);
  if (channelsLast) toChannelsLast(model);
  const x = torch.scope(() => torch.keep(torch.randn([batch, 3, size, size]).to(device).contiguous(channelsLast)));
  const y = torch.scope(() => torch.keep(torch.rand([batch, 1]).gt(0.5).float().to(device)));
  try {
    model.eval();
    const forward = sample(() => torch.scope(() => torch.noGrad(() => amp(() => model.forward(x))).dispose()));
    applyTrainable(model, expandTrainable(['last_stage', 'head'], arch));
    setTrainModes(model, 'eval');
    const train = sample(() => torch.scope(() => {
      torch.F.binaryCrossEntropyWithLogits(amp(() => model.forward(x)).float(), y).backward();
      model.zeroGrad();
    }));
    return { forward, train };
  } finally {
    torch.dispose([x, y]);
    model.dispose();
  }
}

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
def sample(fn):
    for _ in range(inp['warmup']): fn()
    s, f = [], []
    for _ in range(inp['iters']):
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0 = time.perf_counter(); fn(); sync(); s.append(time.perf_counter() - t0)
        f.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
    return {'seconds': s, 'faults': f}
m.to(dev).to(memory_format=fmt)
m.eval()
def fwd():
    with torch.inference_mode(), amp(): m(x)
forward = sample(fwd)
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
print(json.dumps({'forward': forward, 'train': sample(step)}))
`;

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

interface ArchResult { arch: Arch; size: number; parameters: number; sides: Record<string, { forward: Figure; train: Figure }> }

const sideNames = ['tlearn', ...pyVariants.map((v) => `pytorch-${v}`)];
console.log(`backbone benchmark: libtorch ${torch.info().version}, ${device}, ${precision}${channelsLast ? ', channels-last' : ''}, ${threads} threads, batch ${batch}, ${warmup} warm-up + ${iters} timed ` +
  `iterations per round, ${rounds} alternating rounds (median iteration), images/s; PyTorch's malloc: ${pyVariants.join(', ')}`);
const results: ArchResult[] = [];
for (const arch of archs as Arch[]) {
  const size = sizeOf(arch);
  const input = {
    arch, batch, iters, warmup, threads, size, device, precision, channelsLast, head: familyInfo(arch).headPath, trainable: expandTrainable(['last_stage', 'head'], arch),
  };
  const samples: Record<string, Round[]> = Object.fromEntries(sideNames.map((s) => [s, []]));
  for (let r = 0; r < rounds; r++) {
    samples.tlearn!.push(ours(arch, size));
    for (const v of pyVariants) samples[`pytorch-${v}`]!.push(runPythonBench<Round>(PY, input, threads, MALLOC_ENV[v]));
  }
  const sides = Object.fromEntries(sideNames.map((s) => [s, { forward: figure(samples[s]!.map((r) => r.forward)), train: figure(samples[s]!.map((r) => r.train)) }]));
  results.push({ arch, size, parameters: ARCH_INFO[arch].numParams, sides });
  for (const what of ['forward', 'train'] as const) {
    const ref = sides[sideNames[1]!]![what].imagesPerSecond;
    const parts = sideNames.map((s) => {
      const f = sides[s]![what];
      return `${s} ${f.imagesPerSecond.toFixed(2)} (${f.roundsMin.toFixed(2)}-${f.roundsMax.toFixed(2)}, ${f.faultsPerIteration} faults)`;
    });
    console.log(`${`${arch} ${size}px ${what === 'forward' ? 'forward (eval)' : 'phase-2 step'}`.padEnd(40)} ${parts.join('  ')}  ratio ${(sides.tlearn![what].imagesPerSecond / ref).toFixed(2)}x`);
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
      `${(r.sides.tlearn![what].imagesPerSecond / r.sides[sideNames[1]!]![what].imagesPerSecond).toFixed(2)}×`,
    ];
    lines.push(`| ${[r.arch, String(r.size), `${(r.parameters / 1e6).toFixed(1)} M`, ...cells('forward'), ...cells('train')].join(' | ')} |`);
  }
  return lines.join('\n');
}

console.log(`\n${device === 'cuda' ? `CUDA ${precision}${channelsLast ? ' channels-last' : ''}` : 'CPU'} images/s, ${threads} threads, batch ${batch}, median of ${rounds} x ${iters} iterations:\n\n${markdown(results)}`);
if (args.json) {
  fs.writeFileSync(args.json, JSON.stringify({ libtorch: torch.info().version, device, precision, channelsLast, threads, batch, warmup, iters, rounds, pyMalloc: pyVariants, results }, null, 2) + '\n');
}
