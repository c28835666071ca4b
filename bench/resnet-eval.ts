// ResNet50 benchmark against torchvision in Python PyTorch, on the same machine with the same threads, run one
// after the other: eval-mode images/s at 224 px (batch 8), and one training step of the seed's phase 2
// (layer4 + fc trainable, BCE-with-logits, Adam, batch 8 at 224). It also counts the calls into the native
// addon per forward and per step and estimates the binding's share of the step time (µs per call × calls / step).
// Run: npm run build && node dist/bench/resnet-eval.js   (BENCH_ITERS=n iterations per round, default 3;
// BENCH_ROUNDS=n alternating rounds, default 2)
import * as torch from '../src/torch/index.js';
import { F, type Tensor } from '../src/torch/index.js';
import { native } from '../src/torch/native.js';
import { BinaryClassifier, ResNet } from '../src/models/index.js';
import { Adam } from '../src/optim/index.js';
import { runPythonBench, row, time } from './common.js';

const threads = torch.getNumThreads();
const cfg = {
  batch: 8, size: 224, warmup: 1, iters: Number(process.env.BENCH_ITERS ?? 3), rounds: Number(process.env.BENCH_ROUNDS ?? 2), calls: 200_000,
};

/** Runs fn with every addon function wrapped by a counter; returns the number of calls it made. */
function countCalls(fn: () => void): number {
  const saved = new Map<string, (...args: unknown[]) => unknown>();
  let calls = 0;
  for (const [k, f] of Object.entries(native)) {
    if (typeof f !== 'function') continue;
    saved.set(k, f);
    native[k] = (...args: unknown[]) => {
      calls++;
      return f(...args);
    };
  }
  try {
    fn();
  } finally {
    for (const [k, f] of saved) native[k] = f;
  }
  return calls;
}

/** Fastest of `iters` timed calls of fn after `warmup` (the minimum is the least disturbed by other load). */
function perCall(fn: () => void, warmup: number, iters: number): number {
  for (let i = 0; i < warmup; i++) fn();
  let best = Infinity;
  for (let i = 0; i < iters; i++) best = Math.min(best, time(fn));
  return best;
}

function evalBench(): { imagesPerSecond: number; calls: number } {
  torch.manualSeed(0);
  const model = new ResNet('resnet50').eval();
  const x = torch.randn([cfg.batch, 3, cfg.size, cfg.size]);
  const forward = () => torch.noGrad(() => torch.scope(() => { model.forward(x); }));
  const secs = perCall(forward, cfg.warmup, cfg.iters);
  const calls = countCalls(forward);
  model.dispose();
  x.dispose();
  return { imagesPerSecond: cfg.batch / secs, calls };
}

function trainBench(): { stepSeconds: number; calls: number } {
  torch.manualSeed(0);
  const model = new BinaryClassifier({ arch: 'resnet50' });
  model.freeze().unfreeze(['layer4', 'fc']);
  model.train(); // as the seed's loop: model.train() on the whole network
  const trainable = model.parameters().filter((p) => p.requiresGrad);
  const opt = new Adam(trainable, { lr: 1e-5 });
  const x = torch.randn([cfg.batch, 3, cfg.size, cfg.size]);
  const y = torch.scope(() => torch.rand([cfg.batch, 1]).gt(0.5).float());
  const step = (): void => torch.scope(() => {
    const logits = model.forward(x);
    const loss = F.binaryCrossEntropyWithLogits(logits, y);
    loss.backward();
    opt.step();
    opt.zeroGrad();
  });
  const stepSeconds = perCall(step, cfg.warmup, cfg.iters);
  const calls = countCalls(step);
  model.dispose();
  torch.dispose([x, y]);
  return { stepSeconds, calls };
}

/** µs per addon call: an in-place op on one element, and an op that returns a new tensor (then freed). */
function callCost(): { inPlace: number; alloc: number } {
  const one = torch.zeros([1]);
  const inPlace = (time(() => {
    for (let i = 0; i < cfg.calls; i++) one.add_(1);
  }) / cfg.calls) * 1e6;
  const alloc = (time(() => {
    for (let i = 0; i < cfg.calls; i++) (one.add(1) as Tensor).dispose();
  }) / cfg.calls) * 1e6;
  one.dispose();
  return { inPlace, alloc };
}

const PY = `
import time, torch, torchvision
torch.set_num_threads(inp['threads'])
B, S, W, N = inp['batch'], inp['size'], inp['warmup'], inp['iters']
def per_call(fn):
    for _ in range(W): fn()
    best = float('inf')
    for _ in range(N):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
torch.manual_seed(0)
m = torchvision.models.resnet50().eval()
x = torch.randn(B, 3, S, S)
def fwd():
    with torch.no_grad():
        m(x)
eval_ips = B / per_call(fwd)
torch.manual_seed(0)
m = torchvision.models.resnet50()
m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(2048, 1), torch.nn.Sigmoid())
for n, p in m.named_parameters():
    p.requires_grad_(n.startswith('layer4') or n.startswith('fc'))
m.train()
opt = torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=1e-5)
y = (torch.rand(B, 1) > 0.5).float()
body = torch.nn.Sequential(*list(m.children())[:-1])
def step():
    feats = torch.flatten(body(x), 1)
    logits = m.fc[1](m.fc[0](feats))
    torch.nn.functional.binary_cross_entropy_with_logits(logits, y).backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
step_s = per_call(step)
one = torch.zeros(1)
t0 = time.perf_counter()
for _ in range(inp['calls']): one.add_(1)
us_call = (time.perf_counter() - t0) / inp['calls'] * 1e6
print(json.dumps({'imagesPerSecond': eval_ips, 'stepSeconds': step_s, 'usPerCall': us_call}))
`;

// Alternate tlearn and PyTorch rounds and keep each side's best, so that a burst of other load on the machine
// does not land on one side only.
type Ref = { imagesPerSecond: number; stepSeconds: number; usPerCall: number };
let ev = { imagesPerSecond: 0, calls: 0 };
let tr = { stepSeconds: Infinity, calls: 0 };
let cost = { inPlace: Infinity, alloc: Infinity };
let ref: Ref = { imagesPerSecond: 0, stepSeconds: Infinity, usPerCall: Infinity };
for (let round = 0; round < cfg.rounds; round++) {
  const e = evalBench();
  const t = trainBench();
  const c = callCost();
  const r = runPythonBench<Ref>(PY, { ...cfg, threads }, threads);
  ev = { imagesPerSecond: Math.max(ev.imagesPerSecond, e.imagesPerSecond), calls: e.calls };
  tr = { stepSeconds: Math.min(tr.stepSeconds, t.stepSeconds), calls: t.calls };
  cost = { inPlace: Math.min(cost.inPlace, c.inPlace), alloc: Math.min(cost.alloc, c.alloc) };
  ref = { imagesPerSecond: Math.max(ref.imagesPerSecond, r.imagesPerSecond), stepSeconds: Math.min(ref.stepSeconds, r.stepSeconds), usPerCall: Math.min(ref.usPerCall, r.usPerCall) };
}

// Each op call is one addon call plus, for ops that make a tensor, a handle to free later: count the
// allocation cost for every call (an upper bound; in-place calls are cheaper).
const overheadMs = (n: number): number => (n * cost.alloc) / 1e3;
const evalStepMs = (cfg.batch / ev.imagesPerSecond) * 1e3;
console.log(`ResNet50 benchmark: libtorch ${torch.info().version}, ${threads} threads, batch ${cfg.batch} at ${cfg.size}px, ` +
  `best of ${cfg.iters} iterations after ${cfg.warmup} warm-up, ${cfg.rounds} alternating rounds of tlearn and PyTorch, same threads`);
console.log(row('eval forward (no grad)', ev.imagesPerSecond, ref.imagesPerSecond, 'images/s'));
console.log(row('train step (layer4+fc, BCE-logits, Adam)', tr.stepSeconds * 1e3, ref.stepSeconds * 1e3, 'ms/step', false));
console.log(row('op call, in place (add_ on 1 element)', cost.inPlace, ref.usPerCall, 'us/call', false));
console.log(`op call returning a new tensor (add, then free): ${cost.alloc.toFixed(2)} us/call`);
console.log(`addon calls: ${ev.calls} per eval forward, ${tr.calls} per training step`);
console.log(`binding overhead: eval ${overheadMs(ev.calls).toFixed(2)} ms of ${evalStepMs.toFixed(0)} ms ` +
  `(${((100 * overheadMs(ev.calls)) / evalStepMs).toFixed(3)}%), training step ${overheadMs(tr.calls).toFixed(2)} ms of ` +
  `${(tr.stepSeconds * 1e3).toFixed(0)} ms (${((100 * overheadMs(tr.calls)) / (tr.stepSeconds * 1e3)).toFixed(3)}%)  [goal < 3%]`);
