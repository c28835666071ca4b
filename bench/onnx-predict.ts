// Prediction speed of an exported graph: onnxruntime-node on the .onnx that `tlearn export --format onnx` writes,
// tlearn's libtorch predictProba, and Python PyTorch eager (torchvision, eval, no_grad) on the same random
// weights and the same input, with the same threads, at batch 1 and batch 32. The three outputs are compared
// too, so a fast but wrong graph cannot pass for a result. Issue 17's goal: onnxruntime-node >= 1.0x libtorch.
// The browser page's images/s (onnxruntime-web in headless Chromium) belongs to the web export's benchmark:
// WEB_BENCH below is its hook, left empty here.
// Run: npm run build && node dist/bench/onnx-predict.js [--arch resnet50] [--size 224] [--threads 2]
//      [--batches 1,32] [--iters 20,5] [--warmup 2]   (iters: timed iterations per batch size, after warm-up)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as torch from '../src/torch/index.js';
import { BinaryClassifier, channelsLastPays, saveModelFile, type ResNetArch } from '../src/models/index.js';
import { exportOnnx } from '../src/export/onnx/index.js';
import { cpuSessionOptions, onnxRuntime } from '../src/onnx/index.js';
import { flagArgs, runPythonBench } from './common.js';

const args = flagArgs();
const cfg = {
  arch: (args.arch ?? 'resnet50') as ResNetArch,
  size: Number(args.size ?? 224),
  threads: Number(args.threads ?? 2),
  batches: (args.batches ?? '1,32').split(',').map(Number),
  iters: (args.iters ?? '20,5').split(',').map(Number),
  warmup: Number(args.warmup ?? 2),
};

/** The browser page's measurement (the web export's part of issue 17); null: not measured by this benchmark. */
export const WEB_BENCH: ((onnxFile: string, batch: number) => Promise<number>) | null = null;

/** Median and best seconds of `iters` timed calls after `warmup` untimed ones. */
async function timed(fn: () => unknown, warmup: number, iters: number): Promise<{ median: number; best: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  t.sort((a, b) => a - b);
  return { median: t[Math.floor(t.length / 2)]!, best: t[0]! };
}

const PY = `
import time, torch, torchvision, numpy as np
torch.set_num_threads(inp['threads'])
state = torch.load(inp['pth'], weights_only=True)
m = torchvision.models.__dict__[inp['arch']]()
m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(m.fc.in_features, 1), torch.nn.Sigmoid())
m.load_state_dict(state)
m.eval()
x = torch.from_numpy(np.fromfile(inp['input'], dtype=np.float32).reshape(-1, 3, inp['size'], inp['size']))
res = {}
for b, n in zip(inp['batches'], inp['iters']):
    xb = x[:b].contiguous()
    with torch.no_grad():
        for _ in range(inp['warmup']): m(xb)
        t = []
        for _ in range(n):
            t0 = time.perf_counter(); p = m(xb); t.append(time.perf_counter() - t0)
    t.sort()
    res[str(b)] = {'median': t[len(t) // 2], 'best': t[0], 'p': p.flatten().tolist()}
print(json.dumps(res))
`;

/**
 * Random weights saturate a ResNet50's sigmoid (every probability 1.00), which would hide any difference between
 * the engines: the head is scaled so that the logits of the input lie in [-1, 1]. Done before the model is saved
 * and exported, so all three run the same weights; the amount of computation does not change.
 */
function unsaturate(model: BinaryClassifier, x: torch.Tensor): void {
  torch.noGrad(() => torch.scope(() => {
    model.eval();
    const sd = model.stateDict({ keepVars: true });
    sd.get('fc.1.bias')!.zero_();
    const peak = model.forward(x).abs().max().item();
    if (peak > 0) sd.get('fc.1.weight')!.mul_(1 / peak);
  }));
}

type Timing = { median: number; best: number; p: number[] };

async function main(): Promise<void> {
  torch.setNumThreads(cfg.threads);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-bench-onnx-'));
  try {
    torch.manualSeed(0);
    const model = new BinaryClassifier({ arch: cfg.arch });
    const maxBatch = Math.max(...cfg.batches);
    // Normalised-looking input: the same floats for all three (Python reads them from the file).
    const x = torch.randn([maxBatch, 3, cfg.size, cfg.size]);
    const xData = x.toFloat32Array();
    unsaturate(model, x);
    const metadata = saveModelFile(path.join(dir, 'model.pth'), model, { classes: ['neg', 'pos'], imageSize: cfg.size, threshold: 0.5 }, { format: 'pth' });
    const { bytes } = exportOnnx(model, metadata);
    const onnxFile = path.join(dir, 'model.onnx');
    fs.writeFileSync(onnxFile, bytes);
    fs.writeFileSync(path.join(dir, 'input.f32'), xData);

    const ort = await onnxRuntime();
    const session = await ort.InferenceSession.create(onnxFile, cpuSessionOptions(cfg.threads));
    const ours: Record<number, { lib: Timing; ort: Timing }> = {};
    for (const [k, b] of cfg.batches.entries()) {
      const n = cfg.iters[k] ?? cfg.iters[cfg.iters.length - 1]!;
      // As tlearn predict feeds libtorch: channels-last where that is faster (CPU, 96 px and more).
      const xb = x.narrow(0, 0, b).contiguous(channelsLastPays('cpu', cfg.size));
      const feed = { input: new ort.Tensor('float32', xData.subarray(0, b * 3 * cfg.size * cfg.size), [b, 3, cfg.size, cfg.size]) };
      let libP: Float32Array = new Float32Array(0), ortP: Float32Array = new Float32Array(0);
      const lib = await timed(() => { libP = model.probabilities(xb); }, cfg.warmup, n);
      const onnx = await timed(async () => { ortP = (await session.run(feed)).probabilities!.data as Float32Array; }, cfg.warmup, n);
      ours[b] = { lib: { ...lib, p: [...libP] }, ort: { ...onnx, p: [...ortP] } };
      xb.dispose();
    }
    await session.release();
    const py = runPythonBench<Record<string, Timing>>(PY, {
      pth: path.join(dir, 'model.pth'), input: path.join(dir, 'input.f32'), arch: cfg.arch, size: cfg.size,
      threads: cfg.threads, batches: cfg.batches, iters: cfg.batches.map((_, k) => cfg.iters[k] ?? cfg.iters[cfg.iters.length - 1]), warmup: cfg.warmup,
    }, cfg.threads);
    x.dispose();
    model.dispose();

    const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    const ips = (b: number, t: Timing) => b / t.median;
    console.log(`ONNX prediction benchmark: ${cfg.arch} at ${cfg.size} px, ${cfg.threads} threads, random weights (seed 0), ` +
      `median of the timed iterations after ${cfg.warmup} warm-up; libtorch input ${channelsLastPays('cpu', cfg.size) ? 'channels-last (as tlearn predict)' : 'NCHW'}; onnxruntime-node ${ort.env.versions?.common}, libtorch ${torch.info().version}`);
    for (const [k, b] of cfg.batches.entries()) {
      const { lib, ort: o } = ours[b]!;
      const p = py[String(b)]!;
      const n = cfg.iters[k] ?? cfg.iters[cfg.iters.length - 1];
      console.log(`batch ${String(b).padStart(2)} (${n} iterations): onnxruntime-node ${ips(b, o).toFixed(2).padStart(7)} images/s, ` +
        `tlearn libtorch ${ips(b, lib).toFixed(2).padStart(7)} images/s, PyTorch eager ${ips(b, p).toFixed(2).padStart(7)} images/s; ` +
        `onnxruntime/libtorch ${(ips(b, o) / ips(b, lib)).toFixed(2)}x, onnxruntime/PyTorch ${(ips(b, o) / ips(b, p)).toFixed(2)}x, ` +
        `libtorch/PyTorch ${(ips(b, lib) / ips(b, p)).toFixed(2)}x [goal onnxruntime/libtorch >= 1.0x]`);
      console.log(`  same probabilities: max |onnxruntime - libtorch| ${maxDiff(o.p, lib.p).toExponential(1)}, ` +
        `max |libtorch - PyTorch| ${maxDiff(lib.p, p.p).toExponential(1)} (probabilities from ${Math.min(...lib.p).toPrecision(3)} to ${Math.max(...lib.p).toPrecision(3)}); ` +
        `best times ${(o.best * 1e3).toFixed(1)} / ${(lib.best * 1e3).toFixed(1)} / ${(p.best * 1e3).toFixed(1)} ms`);
    }
    // Other work on the machine changes every figure: the load says how quiet it was.
    console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(', ')} on ${os.cpus().length} cores`);
    if (WEB_BENCH) for (const b of cfg.batches) console.log(`browser (onnxruntime-web): ${(await WEB_BENCH(onnxFile, b)).toFixed(2)} images/s at batch ${b}`);
    else console.log('browser page (onnxruntime-web in headless Chromium): not measured here (the web export\'s benchmark; WEB_BENCH hook)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
