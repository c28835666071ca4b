// CUDA check, run on a GPU machine with a CUDA libtorch (see shared/DEVICE.md): device round trip, ops on
// cuda equal the CPU ones (outputs and gradients), a loader batch converted on the GPU equals the CPU
// conversion (H100, 2026-11-26: max |diff| 8.3e-7 in normalised units), and a ResNet50 training step on cuda
// with bf16 autocast and channels-last, timed beside the same step in Python PyTorch on the same GPU. Prints one JSON object.
// Run: npm run build && node dist/bench/cuda-check.js
import * as torch from '../src/torch/index.js';
import { F, type Tensor } from '../src/torch/index.js';
import { BinaryClassifier } from '../src/models/index.js';
import { Adam } from '../src/optim/index.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../src/data/index.js';
import { imagesTensor } from '../src/data/tensor.js';
import { runPythonBench, time } from './common.js';

const report: Record<string, unknown> = { version: torch.info().version, cuda: torch.cuda.isAvailable(), devices: torch.cuda.deviceCount() };
if (!torch.cuda.isAvailable()) {
  console.log(JSON.stringify({ ...report, error: 'CUDA is not available to this libtorch build' }));
  process.exit(1);
}

const maxRel = (a: Tensor, b: Tensor): number =>
  torch.scope(() => a.cpu().float().sub(b.cpu().float()).abs().max().item() / Math.max(1e-6, b.cpu().float().abs().max().item()));

// 1. Round trip.
torch.scope(() => {
  const x = torch.randn([3, 5]);
  report.roundTrip = x.to('cuda').cpu().equal(x);
  report.cudaDevice = x.to('cuda').device;
});

// 2. Ops on cuda against the CPU, with gradients.
torch.scope(() => {
  torch.manualSeed(0);
  const x = torch.randn([4, 3, 16, 16]);
  const w = torch.randn([8, 3, 3, 3]).mul_(0.2);
  const g = torch.ones([8]);
  const b = torch.zeros([8]);
  const lw = torch.randn([1, 8]).mul_(0.3);
  const y = torch.rand([4, 1]).gt(0.5).float();
  const run = (dev: string) =>
    torch.scope(() => {
      const [xd, wd, gd, bd, lwd, yd] = [x, w, g, b, lw, y].map((t) => t.detach().to(dev));
      for (const t of [wd, gd, bd, lwd]) t.requiresGrad_();
      const rm = torch.zeros([8]).to(dev);
      const rv = torch.ones([8]).to(dev);
      let h = F.conv2d(xd, wd, undefined, { padding: 1 });
      h = F.batchNorm(h, rm, rv, gd, bd, true).relu();
      h = F.maxPool2d(h, 2);
      h = F.adaptiveAvgPool2d(h, 1).flatten(1);
      const loss = F.binaryCrossEntropyWithLogits(F.linear(h, lwd), yd);
      loss.backward();
      return [loss.detach(), wd.grad!, lwd.grad!, rm].map((t) => t.cpu());
    });
  const cpu = run('cpu');
  const gpu = run('cuda');
  report.opsMaxRelDiff = Object.fromEntries(['loss', 'conv grad', 'linear grad', 'running mean'].map((k, i) => [k, maxRel(gpu[i], cpu[i])]));
});

// 2b. A loader batch becomes its tensor on the GPU (uint8 travels, flip/jitter/normalise run there): same values as on the CPU.
torch.scope(() => {
  const n = 4, size = 32;
  const pixels = new Uint8Array(n * size * size * 3).map((_, i) => (i * 2654435761) >>> 24);
  const b = {
    pixels, shape: [n, 3, size, size] as [number, number, number, number], layout: 'nchw' as const,
    views: [{ flip: false }, { flip: true }, { flip: false }, { flip: true }],
    jitter: [null, null, { order: [2, 0, 1], brightness: 1.1, contrast: 0.9, saturation: 1.2 }, { order: [0, 1, 2], brightness: 0.85, contrast: 1.15, saturation: 0.8 }],
    mean: IMAGENET_MEAN, std: IMAGENET_STD,
  };
  const onGpu = imagesTensor(b, 'cuda');
  report.batchTensorDevice = onGpu.device;
  report.batchTensorMaxAbsDiff = onGpu.cpu().sub(imagesTensor(b, 'cpu')).abs().max().item();
});

// 3. ResNet50 training step (all layers trainable), bf16 autocast + channels-last, batch 64 at 224.
const batch = Number(process.env.CUDA_BATCH ?? 64);
const steps = 10;
const model = new BinaryClassifier({ arch: 'resnet50' });
model.to('cuda');
for (const p of model.parameters()) if (p.ndim === 4) p.setData_(torch.keep(p.contiguous(true)));
const opt = new Adam(model.parameters(), { lr: 1e-4 });
const x = torch.keep(torch.randn([batch, 3, 224, 224]).to('cuda').contiguous(true));
const y = torch.keep(torch.rand([batch, 1]).gt(0.5).float().to('cuda'));
model.train();
const step = () =>
  torch.scope(() => {
    opt.zeroGrad();
    const loss = torch.autocast(() => F.binaryCrossEntropyWithLogits(model.forward(x), y), { device: 'cuda', dtype: 'bfloat16' });
    loss.backward();
    opt.step();
  });
for (let i = 0; i < 3; i++) step();
torch.cuda.synchronize();
const secs = time(() => {
  for (let i = 0; i < steps; i++) step();
  torch.cuda.synchronize();
});
report.resnet50TrainImagesPerSecond = (steps * batch) / secs;

const ref = runPythonBench<{ imagesPerSecond: number; torch: string }>(`
import time, torch, torchvision
m = torchvision.models.resnet50()
m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(2048, 1))
m = m.cuda().to(memory_format=torch.channels_last).train()
opt = torch.optim.Adam(m.parameters(), lr=1e-4)
B = inp['batch']
x = torch.randn(B, 3, 224, 224, device='cuda').contiguous(memory_format=torch.channels_last)
y = (torch.rand(B, 1, device='cuda') > 0.5).float()
def step():
    opt.zero_grad()
    with torch.autocast('cuda', dtype=torch.bfloat16):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(m(x), y)
    loss.backward()
    opt.step()
for _ in range(3): step()
torch.cuda.synchronize()
t0 = time.perf_counter()
for _ in range(inp['steps']): step()
torch.cuda.synchronize()
print(json.dumps({'imagesPerSecond': inp['steps'] * B / (time.perf_counter() - t0), 'torch': torch.__version__}))
`, { batch, steps }, 16);
report.pytorchResnet50TrainImagesPerSecond = ref.imagesPerSecond;
report.pytorchVersion = ref.torch;
report.ratio = (report.resnet50TrainImagesPerSecond as number) / ref.imagesPerSecond;
console.log(JSON.stringify(report, null, 2));
