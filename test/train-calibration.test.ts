// calibration: temperature: the final checkpoint stores the T that minimises the NLL of its own validation logits
// (recomputed here from the saved weights), the threshold is chosen on the calibrated probabilities, and the
// test evaluation reports the metrics before and after; the phases' checkpoints stay uncalibrated.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadCheckpoint } from '../src/io/index.js';
import { loadModelFile } from '../src/models/index.js';
import { batchTensors } from '../src/data/tensor.js';
import { predictionLoader } from '../src/eval/predict.js';
import { fitTemperature, temperedProbabilities } from '../src/tasks/index.js';
import { noGrad, scope } from '../src/torch/index.js';
import { train } from '../src/train/index.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

test('train with calibration temperature: T fitted on the validation logits, threshold after it, before/after in the test evaluation', { timeout: 600_000 }, async () => {
  const root = tempDir('tlearn-calib-');
  const data = await makeStripes(path.join(root, 'data'), { train: 8, val: 6, test: 4 });
  const out = path.join(root, 'run');
  const config = tinyConfig(data, [], { epochs1: 2, epochs2: 0, threads: 1, calibration: 'temperature', thresholdMethod: 'youden' });
  const lines: string[] = [];
  const r = await train(config, { out, handleSigint: false, log: (l) => lines.push(l) });
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).calibration, 'temperature');

  const meta = loadCheckpoint(r.bestModel!).metadata as { temperature: number; threshold: number; extra: { calibration: Record<string, number> } };
  const t = meta.temperature;
  assert.ok(t > 0 && Number.isFinite(t), `temperature ${t}`);
  assert.equal(meta.extra.calibration.temperature, t);
  assert.ok(meta.extra.calibration.val_log_loss_after! <= meta.extra.calibration.val_log_loss_before!);
  assert.ok(lines.some((l) => /temperature scaling: T = /.test(l)), lines.join('\n'));
  assert.equal((loadCheckpoint(path.join(out, 'best_model_phase1.safetensors')).metadata as { temperature?: unknown }).temperature, undefined);

  // The validation logits of the saved weights, at T = 1: their NLL minimiser is the stored T.
  const loaded = loadModelFile(r.bestModel!);
  loaded.model.temperature = 1;
  const valItems = ['stripes_h', 'stripes_v'].flatMap((cls, label) =>
    fs.readdirSync(path.join(data, 'val', cls)).sort().map((f) => ({ path: path.join(data, 'val', cls, f), label })));
  const logits: number[] = [];
  for await (const batch of predictionLoader(loaded.metadata, valItems, { batchSize: 8, channelsLast: false }).epoch(0)) {
    const z = scope(() => noGrad(() => loaded.model.forward(batchTensors(batch).x).toFloat32Array()));
    batch.indices.forEach((_, k) => logits.push(z[k]!));
  }
  loaded.model.dispose();
  const labels = Float32Array.from(valItems, (it) => it.label);
  const refit = fitTemperature('binary', Float32Array.from(logits), labels, 1);
  assert.ok(Math.abs(refit.temperature - t) / t < 1e-4, `stored T ${t}, refitted ${refit.temperature}`);
  // Youden's threshold is one of the calibrated validation probabilities (it would be an uncalibrated one otherwise).
  const calibrated = temperedProbabilities('binary', Float32Array.from(logits), 1, t);
  assert.ok([...calibrated].some((p) => Math.abs(p - meta.threshold) < 1e-6), `threshold ${meta.threshold} among ${[...calibrated]}`);

  const metrics = JSON.parse(fs.readFileSync(path.join(out, 'eval', 'metrics.json'), 'utf8'));
  assert.equal(metrics.calibration.temperature, t);
  assert.equal(metrics.calibration.after.log_loss, metrics.log_loss);
  assert.match(fs.readFileSync(path.join(out, 'report.html'), 'utf8'), /<h2>Temperature scaling<\/h2>/);
});
