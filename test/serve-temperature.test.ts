// tlearn serve applies a checkpoint's calibration temperature (libtorch engine) and its ONNX export's (the graph
// divides by T): both answer what `tlearn predict` answers for the same images, and differ from the same weights
// without T.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tinyClassifier } from './helpers/onnx-models.js';
import { tempDir } from './helpers/temp.js';
import { assertSamePredictions, postJson, testImage, withServer } from './helpers/serve.js';
import { cliIn } from './helpers/cli.js';
import { exportOnnx } from '../src/export/onnx/index.js';
import { saveModelFile } from '../src/models/index.js';

const dir = tempDir('tlearn-serve-t-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('serve answers with the temperature applied, on the libtorch and the ONNX engine, as predict does', async () => {
  const { model, metadata } = tinyClassifier('binary', 'resnet18', 32);
  const files = { t: path.join(dir, 't.safetensors'), plain: path.join(dir, 'plain.safetensors'), onnx: path.join(dir, 't.onnx') };
  try {
    saveModelFile(files.t, model, { ...metadata, temperature: 0.3 });
    saveModelFile(files.plain, model, metadata);
    fs.writeFileSync(files.onnx, exportOnnx(model, { ...metadata, temperature: 0.3 }).bytes);
  } finally {
    model.dispose();
  }
  const images = await Promise.all([1, 2, 3].map((s) => testImage(s)));
  const paths = images.map((b, i) => { const p = path.join(dir, `${i}.png`); fs.writeFileSync(p, b); return p; });
  const predictJson = async (model: string) => {
    const r = await cliIn(dir)(['predict', model, ...paths, '--json']);
    assert.equal(r.code, 0, r.err);
    return (JSON.parse(r.out) as Record<string, unknown>[]).map(({ path: _p, ...row }) => row);
  };
  const expected = await predictJson(files.t);
  const plain = await predictJson(files.plain);
  assert.ok(expected.some((r, i) => Math.abs((r.probability as number) - (plain[i]!.probability as number)) > 1e-3), 'T changes the answers');
  const b64 = images.map((b) => b.toString('base64'));
  for (const [file, engine] of [[files.t, 'libtorch'], [files.onnx, 'onnx']] as const) {
    const answer = await withServer(file, { engine }, async (s) => postJson(`${s.url}/v1/predict`, { images: b64 }));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assertSamePredictions(answer.body.predictions, expected, 2e-6);
  }
});
