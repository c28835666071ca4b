// Issue 20's trust figures on the demo data: the test AUC with and without test-time augmentation (--tta flip),
// and the expected calibration error (and log loss) before and after temperature scaling, on validation (where T
// is fitted) and on the test split (held out). One run of the protocol with calibration: temperature, then one
// evaluation of its final model with --tta flip (which also reports the result without TTA and at T = 1).
//
//   npx tsx bench/trust.ts [--data demo-data] [--arch resnet18] [--size 64] [--epochs1 5] [--epochs2 3]
//        [--weights none|imagenet] [--threads N] [--device cpu|cuda] [--keep DIR] [--json FILE]
//
// Measured: see README ("Trust the model") and the figures printed below.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagArgs, repoRoot } from './common.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const a = flagArgs();
const data = path.resolve(a.data ?? path.join(repoRoot(here), 'demo-data'));
const keep = a.keep ? path.resolve(a.keep) : null;
const work = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-bench-trust-'));
const run = path.join(work, 'run');

const { train } = await import('../src/train/index.js');
const { resolveConfig } = await import('../src/train/config/index.js');
const { evaluate } = await import('../src/eval/index.js');
const { loadCheckpoint } = await import('../src/io/index.js');

type Summary = { auc: number | null; accuracy: number | null; log_loss: number | null; ece: number | null };
try {
  const config = resolveConfig({
    overrides: {
      data, arch: (a.arch ?? 'resnet18') as 'resnet18', weights: a.weights ?? 'none', imageSize: Number(a.size ?? 64),
      epochs1: Number(a.epochs1 ?? 5), epochs2: Number(a.epochs2 ?? 3), threads: Number(a.threads ?? 0), device: a.device ?? 'cpu',
      calibration: 'temperature', seed: Number(a.seed ?? 0),
    },
  });
  console.log(`trust benchmark: ${data}, ${config.model.arch} (${config.model.weights}), ${config.input.imageSize} px, epochs ` +
    `${config.phases.map((p) => p.epochs).join('+')}, ${config.device}, calibration temperature`);
  const t0 = performance.now();
  const r = await train(config, { out: run, handleSigint: false, quiet: true, skipEvaluation: true });
  const trainSeconds = (performance.now() - t0) / 1000;
  const meta = loadCheckpoint(r.bestModel!).metadata as { temperature: number; extra: { calibration: Record<string, number> } };
  const cal = meta.extra.calibration;
  const t1 = performance.now();
  const m = await evaluate({
    model: r.bestModel!, data, split: 'test', out: path.join(work, 'eval-tta'), tta: 'flip', threads: config.threads,
    device: config.device, log: () => {},
  }) as unknown as { n: number; tta: { without: Summary; with: Summary }; calibration: { before: Summary; after: Summary } };
  const evalSeconds = (performance.now() - t1) / 1000;
  const f = (v: number | null) => (v === null ? '   -   ' : v.toFixed(4));
  console.log(`trained in ${trainSeconds.toFixed(1)} s; T = ${meta.temperature.toFixed(4)}; test evaluation (${m.n} images, 2 views each) ${evalSeconds.toFixed(1)} s`);
  console.log(`validation  ECE      before ${f(cal.val_ece_before!)}  after ${f(cal.val_ece_after!)}   log loss before ${f(cal.val_log_loss_before!)}  after ${f(cal.val_log_loss_after!)}`);
  // The test split's calibration comparison is at the evaluation's TTA setting (flip): T = 1 vs T.
  console.log(`test (TTA)  ECE      before ${f(m.calibration.before.ece)}  after ${f(m.calibration.after.ece)}   log loss before ${f(m.calibration.before.log_loss)}  after ${f(m.calibration.after.log_loss)}`);
  console.log(`test        AUC      without TTA ${f(m.tta.without.auc)}  with TTA ${f(m.tta.with.auc)}   accuracy without ${f(m.tta.without.accuracy)}  with ${f(m.tta.with.accuracy)}`);
  if (a.json) {
    fs.writeFileSync(a.json, `${JSON.stringify({ settings: { data, arch: config.model.arch, weights: config.model.weights, size: config.input.imageSize, epochs: config.phases.map((p) => p.epochs) },
      trainSeconds, evalSeconds, temperature: meta.temperature, validation: cal, test: { tta: m.tta, calibration: m.calibration } }, null, 2)}\n`);
  }
} finally {
  if (!keep) fs.rmSync(work, { recursive: true, force: true });
}
