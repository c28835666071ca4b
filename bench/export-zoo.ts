// Full-size ONNX export of the zoo's families (issue 21, item 4): each architecture at its default image size with
// random weights and the binary task's head is exported by src/export/onnx (tlearn export's graph, float32 NCHW
// input, BatchNorm folded), checked by the onnx package's checker (Debian's python3-onnx, full_check: shape
// inference included), and run by onnxruntime-node on a batch of random images against libtorch's
// probabilities (predictProba). The tests check small networks of each family; this checks the real depth and
// widths (e.g. ViT-B/16's 12 layers of 768 wide attention, a graph of about 330 MB).
//
// Random weights would saturate the sigmoid (every probability 1.00) or barely vary between images, hiding any
// difference: the head's Linear is rescaled (and its bias zeroed) so that the batch's largest |logit| is 1; the
// table gives the probabilities' spread, so that an output constant over the images would show.
//
// Run: npx tsc -p tsconfig.json && node dist/bench/export-zoo.js [--archs convnext_tiny,vit_b_16] [--size N]
//      [--batch 2] [--threads 2] [--keep DIR] [--json FILE]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as torch from '../src/torch/index.js';
import { ARCH_INFO, ImageClassifier, familyInfo, seedMetadata, type Arch, type ModelMetadata } from '../src/models/index.js';
import { exportOnnx } from '../src/export/onnx/index.js';
import { cpuSessionOptions, onnxRuntime, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../src/onnx/index.js';
import { flagArgs, PYTHON } from './common.js';

const DEFAULT_ARCHS: Arch[] = ['convnext_tiny', 'vit_b_16', 'efficientnet_b0', 'mobilenet_v3_large', 'regnet_y_400mf'];

export interface ExportFigures {
  arch: Arch; size: number; parameters: number; onnxMB: number; exportSeconds: number;
  checker: string; checkerSeconds: number; maxAbsDiff: number; probabilities: [number, number]; ortSeconds: number;
}

/** The head's Linear rescaled so that x's largest |logit| is 1 (bias 0): probabilities within [0.27, 0.73]. */
function unsaturate(model: ImageClassifier, arch: Arch, x: torch.Tensor): void {
  torch.noGrad(() => torch.scope(() => {
    const head = familyInfo(arch).headPath;
    const sd = model.stateDict({ keepVars: true });
    sd.get(`${head}.1.bias`)!.zero_();
    const peak = model.forward(x).abs().max().item();
    if (peak > 0) sd.get(`${head}.1.weight`)!.mul_(1 / peak);
  }));
}

/** onnx.checker.check_model(full_check=True) of the file: 'ok' or the checker's last line. */
function onnxChecker(file: string): { verdict: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(PYTHON, ['-c', 'import sys, onnx\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\nprint("ok")', file],
    { encoding: 'utf8', maxBuffer: 16 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status === 0 && r.stdout.trim() === 'ok') return { verdict: 'ok', seconds };
  const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').at(-1)!;
  return { verdict: `FAILED: ${why}`, seconds };
}

async function exportOne(arch: Arch, size: number, batch: number, threads: number, dir: string): Promise<ExportFigures> {
  torch.manualSeed(0);
  const model = new ImageClassifier({ arch, outputs: 1, activation: 'sigmoid' });
  const metadata: ModelMetadata = { ...seedMetadata(arch), imageSize: size, classes: ['neg', 'pos'], positiveClass: 'pos', weights: 'none' };
  const x = torch.randn([batch, 3, size, size]);
  try {
    model.eval();
    unsaturate(model, arch, x);
    let t0 = performance.now();
    const { bytes } = exportOnnx(model, metadata);
    const exportSeconds = (performance.now() - t0) / 1000;
    const file = path.join(dir, `${arch}_${size}.onnx`);
    fs.writeFileSync(file, bytes);
    const checked = onnxChecker(file);
    const expected = torch.noGrad(() => torch.scope(() => model.probabilities(x)));
    const ort = await onnxRuntime();
    t0 = performance.now();
    const session = await ort.InferenceSession.create(file, cpuSessionOptions(threads));
    let actual: Float32Array;
    try {
      const out = await session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', x.toFloat32Array(), [batch, 3, size, size]) });
      actual = out[ONNX_OUTPUT_NAME]!.data as Float32Array;
    } finally {
      await session.release();
    }
    const ortSeconds = (performance.now() - t0) / 1000;
    if (actual.length !== expected.length) throw new Error(`${arch}: the graph gave ${actual.length} probabilities for ${expected.length}`);
    let worst = 0;
    for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    if (Number.isNaN(worst)) worst = Infinity;
    return {
      arch, size, parameters: model.parameters().reduce((n, p) => n + p.numel, 0), onnxMB: bytes.byteLength / 1e6, exportSeconds,
      checker: checked.verdict, checkerSeconds: checked.seconds, maxAbsDiff: worst,
      probabilities: [Math.min(...expected), Math.max(...expected)], ortSeconds,
    };
  } finally {
    x.dispose();
    model.dispose();
  }
}

export function markdownTable(rows: ExportFigures[]): string {
  const lines = [
    '| arch | size | parameters (binary head) | .onnx | export | onnx.checker (full) | onnxruntime run | max abs diff of the probabilities vs libtorch | probabilities of the batch |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.arch} | ${r.size} | ${(r.parameters / 1e6).toFixed(1)} M | ${r.onnxMB.toFixed(1)} MB | ${r.exportSeconds.toFixed(1)} s | ` +
      `${r.checker} (${r.checkerSeconds.toFixed(1)} s) | ${r.ortSeconds.toFixed(1)} s | ${r.maxAbsDiff.toExponential(1)} | ` +
      `${r.probabilities[0].toFixed(3)}–${r.probabilities[1].toFixed(3)} |`);
  }
  return lines.join('\n');
}

const args = flagArgs();
const archs = (args.archs ? args.archs.split(',') : DEFAULT_ARCHS) as Arch[];
for (const a of archs) if (!(a in ARCH_INFO)) throw new Error(`--archs: unknown architecture ${a} (expected one of ${Object.keys(ARCH_INFO).join(', ')})`);
const batch = Number(args.batch ?? 2);
const threads = Number(args.threads ?? 2);
const dir = args.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-export-zoo-'));
fs.mkdirSync(dir, { recursive: true });
console.log(`ONNX export of the zoo at full size: random weights, binary head, batch ${batch}, onnxruntime ${threads} threads, libtorch ${torch.info().version}`);
const rows: ExportFigures[] = [];
let failed = 0;
try {
  for (const arch of archs) {
    // --size, except for a network that takes only its own (ViT's position embedding).
    const info = ARCH_INFO[arch];
    const size = args.size && !('fixedImageSize' in info && info.fixedImageSize) ? Number(args.size) : info.imageSize;
    const r = await exportOne(arch, size, batch, threads, dir);
    rows.push(r);
    const pass = r.checker === 'ok' && r.maxAbsDiff <= 1e-4;
    if (!pass) failed++;
    console.log(`${arch} ${size}px: ${r.onnxMB.toFixed(1)} MB in ${r.exportSeconds.toFixed(1)} s, checker ${r.checker}, max |onnxruntime - libtorch| ${r.maxAbsDiff.toExponential(2)} ` +
      `(probabilities ${r.probabilities[0].toFixed(3)}-${r.probabilities[1].toFixed(3)}) ${pass ? 'PASS' : 'FAIL'}`);
  }
} finally {
  if (!args.keep) fs.rmSync(dir, { recursive: true, force: true });
}
console.log('\n' + markdownTable(rows));
if (args.json) fs.writeFileSync(args.json, JSON.stringify({ batch, threads, rows }, null, 2) + '\n');
process.exit(failed ? 1 : 0);
