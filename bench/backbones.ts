// Backbone benchmark: per architecture of the zoo, at its default image size (its ImageNet weights' crop), the
// eval forward (no gradients) and a phase-2 training step (`trainable: [last_stage, head]`, frozen BatchNorm in
// eval mode, the whole network run from the images, BCE on logits, backward) in images/s, tlearn against the
// same torchvision model in Python PyTorch eager (same machine, same threads, alternating, best of the rounds).
// Table-driven: every architecture in src/models/zoo.ts's ARCH_INFO, or those named in --archs a,b,c.
// Run: npx tsc -p tsconfig.json && node dist/bench/backbones.js [--archs resnet50,efficientnet_b0] [--batch 8]
import * as torch from '../src/torch/index.js';
import { ALL_ARCHS, ARCH_INFO, BinaryClassifier, expandTrainable, familyInfo, type Arch } from '../src/models/index.js';
import { applyTrainable, setTrainModes } from '../src/train/index.js';
import { flagArgs, row, runPythonBench, time } from './common.js';

const args = flagArgs();
const archs = (args.archs ? args.archs.split(',') : ALL_ARCHS) as Arch[];
const batch = Number(args.batch ?? 8);
const iters = Number(args.iters ?? 3);
const rounds = Number(args.rounds ?? 2);
const threads = torch.getNumThreads();

interface Figures { forward: number; train: number }

function ours(arch: Arch): Figures {
  const size = ARCH_INFO[arch].imageSize;
  const model = new BinaryClassifier({ arch });
  const x = torch.randn([batch, 3, size, size]);
  const y = torch.rand([batch, 1]).gt(0.5).float();
  try {
    model.eval();
    const fwd = () => torch.scope(() => torch.noGrad(() => model.forward(x)).dispose());
    fwd();
    const tf = time(() => { for (let i = 0; i < iters; i++) fwd(); });
    applyTrainable(model, expandTrainable(['last_stage', 'head'], arch));
    setTrainModes(model, 'eval');
    const step = () => torch.scope(() => {
      torch.F.binaryCrossEntropyWithLogits(model.forward(x), y).backward();
      model.zeroGrad();
    });
    step();
    const tt = time(() => { for (let i = 0; i < iters; i++) step(); });
    return { forward: (iters * batch) / tf, train: (iters * batch) / tt };
  } finally {
    torch.dispose([x, y]);
    model.dispose();
  }
}

const PY = `
import time, torch, torchvision
torch.set_num_threads(inp['threads'])
m = getattr(torchvision.models, inp['arch'])()
B, S, n = inp['batch'], inp['size'], inp['iters']
x = torch.randn(B, 3, S, S); y = (torch.rand(B, 1) > 0.5).float()
i = inp['head']
parent, last = i.rsplit('.', 1) if '.' in i else ('', i)
holder = m.get_submodule(parent) if parent else m
old = getattr(holder, last) if not last.isdigit() else holder[int(last)]
new = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(old.in_features, 1), torch.nn.Sigmoid())
if last.isdigit(): holder[int(last)] = new
else: setattr(holder, last, new)
m.eval()
def fwd():
    with torch.no_grad(): m(x)
fwd()
t0 = time.perf_counter()
for _ in range(n): fwd()
tf = time.perf_counter() - t0
pre = inp['trainable']
for k, p in m.named_parameters(): p.requires_grad_(any(k == q or k.startswith(q + '.') for q in pre))
m.train()
for mod in m.modules():
    if isinstance(mod, torch.nn.BatchNorm2d) and not any(p.requires_grad for p in mod.parameters()): mod.eval()
new[2] = torch.nn.Identity()  # logits, as tlearn trains on them
def step():
    torch.nn.functional.binary_cross_entropy_with_logits(m(x), y).backward()
    m.zero_grad(set_to_none=True)
step()
t0 = time.perf_counter()
for _ in range(n): step()
tt = time.perf_counter() - t0
print(json.dumps({'forward': n * B / tf, 'train': n * B / tt}))
`;

console.log(`backbone benchmark: libtorch ${torch.info().version}, ${threads} threads, batch ${batch}, ${iters} iterations, best of ${rounds} alternating rounds, images/s`);
for (const arch of archs) {
  const input = {
    arch, batch, iters, threads, size: ARCH_INFO[arch].imageSize, head: familyInfo(arch).headPath,
    trainable: expandTrainable(['last_stage', 'head'], arch),
  };
  let mine: Figures | undefined;
  let ref: Figures | undefined;
  for (let r = 0; r < rounds; r++) {
    const a = ours(arch);
    const b = runPythonBench<Figures>(PY, input, threads);
    mine = mine ? { forward: Math.max(mine.forward, a.forward), train: Math.max(mine.train, a.train) } : a;
    ref = ref ? { forward: Math.max(ref.forward, b.forward), train: Math.max(ref.train, b.train) } : b;
  }
  console.log(row(`${arch} ${input.size}px forward (eval)`, mine!.forward, ref!.forward, 'images/s'));
  console.log(row(`${arch} ${input.size}px phase-2 step`, mine!.train, ref!.train, 'images/s'));
}
