// CUDA check, run on a GPU machine with a CUDA libtorch (see shared/DEVICE.md): device round trip, ops on
// cuda equal the CPU ones (outputs and gradients), a loader batch converted on the GPU equals the CPU
// conversion (H100, 2026-11-26: max |diff| 8.3e-7 in normalised units), and a ResNet50 training step on cuda
// with bf16 autocast and channels-last, timed beside the same step in Python PyTorch on the same GPU. Prints one JSON object
// and exits 1 when a difference or the speed ratio is past its limit in cuda-limits.ts (the object's `failures`).
// Run: npm run build && node dist/bench/cuda-check.js
import * as torch from '../src/torch/index.js';
import { F } from '../src/torch/index.js';
import { BinaryClassifier } from '../src/models/index.js';
import { Adam } from '../src/optim/index.js';
import { runPythonBench, time } from './common.js';
import { batchVsCpu, opsMaxRelDiffVsCpu } from './cuda-compare.js';
import { cudaCheckFailures } from './cuda-limits.js';

const report: Record<string, unknown> = { version: torch.info().version, cuda: torch.cuda.isAvailable(), devices: torch.cuda.deviceCount() };
if (!torch.cuda.isAvailable()) {
  console.log(JSON.stringify({ ...report, error: 'CUDA is not available to this libtorch build' }));
  process.exit(1);
}

// 1. Round trip.
torch.scope(() => {
  const x = torch.randn([3, 5]);
  report.roundTrip = x.to('cuda').cpu().equal(x);
  report.cudaDevice = x.to('cuda').device;
});

// 2. Ops on cuda against the CPU, with gradients.
report.opsMaxRelDiff = opsMaxRelDiffVsCpu('cuda');

// 2b. A loader batch becomes its tensor on the GPU (uint8 travels, flip/jitter/normalise run there): same values as on the CPU.
const batchCheck = batchVsCpu('cuda');
report.batchTensorDevice = batchCheck.device;
report.batchTensorMaxAbsDiff = batchCheck.maxAbsDiff;

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
// Exit 1 when a figure is over its limit (cuda-limits.ts says why each limit is where it is).
report.failures = cudaCheckFailures(report);
console.log(JSON.stringify(report, null, 2));
for (const f of report.failures as string[]) console.error(`cuda-check: FAILED: ${f}`);
if ((report.failures as string[]).length > 0) process.exitCode = 1;
