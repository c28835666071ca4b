// --tta flip and dihedral on every engine: onnxruntime's views graph moves the pixels exactly as libtorch's flips and
// turns do; the ONNX engine gives the libtorch engine's TTA probabilities within 1e-4 in predict and evaluate
// (metrics.json's result without TTA included); `tlearn serve --tta MODE` answers, on both engines, the mean of the
// plain answers of the image's mirrored (and turned) files, and says that TTA was used.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { orient } from '../src/data/orientation.js';
import { ttaViewsGraph } from '../src/deploy/tta.js';
import { ttaViews, TTA_MODES } from '../src/eval/tta.js';
import { exportOnnx } from '../src/export/onnx/index.js';
import { onnxRuntime } from '../src/onnx/index.js';
import { scope, tensor } from '../src/torch/index.js';
import { loadModelFile, saveModelFile } from '../src/models/index.js';
import { cliIn } from './helpers/cli.js';
import { tinyModelFile } from './helpers/model-files.js';
import { maxAbsDiff, tinyClassifier } from './helpers/onnx-models.js';
import { get, postJson, testImage, withServer } from './helpers/serve.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';

after(removeTempDirs);

const dir = tempDir();
// tinyModelFile's binary resnet18 (32 px) as a checkpoint and its ONNX export; a multi-class one beside it.
const ckpt = tinyModelFile(dir);
const onnx = path.join(dir, 'model.onnx');
{
  const { model, metadata } = loadModelFile(ckpt);
  try {
    model.eval();
    fs.writeFileSync(onnx, exportOnnx(model, metadata).bytes);
  } finally {
    model.dispose();
  }
  const multi = tinyClassifier('multiclass', 'resnet18', 32);
  try {
    const saved = saveModelFile(path.join(dir, 'multi.safetensors'), multi.model, multi.metadata);
    multi.model.eval();
    fs.writeFileSync(path.join(dir, 'multi.onnx'), exportOnnx(multi.model, saved).bytes);
  } finally {
    multi.model.dispose();
  }
}
// Images of other sizes than the model's (resized), and a test split of 3 + 3 for evaluate.
const images = await Promise.all([1, 2, 3, 4].map((s) => testImage(s, 40 + s, 30 + 2 * s)));
const files = images.map((b, i) => { const f = path.join(dir, `img${i}.png`); fs.writeFileSync(f, b); return f; });
for (const [cls, seeds] of [['cat', [5, 6, 7]], ['dog', [8, 9, 10]]] as const) {
  fs.mkdirSync(path.join(dir, 'data', 'test', cls), { recursive: true });
  for (const s of seeds) fs.writeFileSync(path.join(dir, 'data', 'test', cls, `${s}.png`), await testImage(s, 36, 32));
}
const cli = cliIn(dir);

/** `tlearn predict MODEL FILES --json [ARGS]`: each row's probabilities (binary: [p]). */
async function predicted(model: string, args: string[] = []): Promise<number[][]> {
  const r = await cli(['predict', model, ...files, '--json', ...args]);
  assert.equal(r.code, 0, r.err);
  return (JSON.parse(r.out) as { probability: number; probabilities?: Record<string, number> }[])
    .map((row) => (row.probabilities ? Object.values(row.probabilities) : [row.probability]));
}

test('the views graph of each mode moves the uint8 NHWC pixels exactly as libtorch\'s flips and turns of the NCHW images do', async () => {
  const ort = await onnxRuntime();
  const [n, size] = [2, 5];
  const pixels = Uint8Array.from({ length: n * size * size * 3 }, (_, i) => (i * 37 + (i >> 4)) % 256);
  for (const mode of TTA_MODES) {
    const graph = await ort.InferenceSession.create(ttaViewsGraph(size, mode));
    const out = (await graph.run({ [graph.inputNames[0]!]: new ort.Tensor('uint8', pixels, [n, size, size, 3]) }))[graph.outputNames[0]!]!;
    const views = ttaViews(mode);
    assert.deepEqual(out.dims, [views.length * n, size, size, 3]);
    const expected = scope(() => {
      const x = tensor(pixels, { shape: [n, size, size, 3] }).permute(0, 3, 1, 2);
      return views.map((o) => orient(x, o).permute(0, 2, 3, 1).contiguous().data<'uint8'>());
    });
    const got = out.data as Uint8Array, chunk = n * size * size * 3;
    for (const [v, want] of expected.entries()) assert.deepEqual(got.subarray(v * chunk, (v + 1) * chunk), want, `${mode}: view ${v} ${JSON.stringify(views[v])}`);
    assert.equal(new Set(expected.map((e) => e.join())).size, views.length, `${mode}: ${views.length} different views`);
    await graph.release();
  }
});

test('predict and evaluate --tta flip (predict: dihedral too): the ONNX engine gives the libtorch engine\'s probabilities within 1e-4', async () => {
  for (const [c, o] of [[ckpt, onnx], [path.join(dir, 'multi.safetensors'), path.join(dir, 'multi.onnx')]] as const) {
    for (const mode of TTA_MODES) {
      const torchTta = (await predicted(c, ['--tta', mode])).flat(), onnxTta = (await predicted(o, ['--tta', mode])).flat();
      assert.ok(maxAbsDiff(onnxTta, torchTta) < 1e-4, `${path.basename(o)} ${mode}: ${maxAbsDiff(onnxTta, torchTta)}`);
    }
  }
  const evaluated = async (model: string, out: string) => {
    const r = await cli(['evaluate', model, 'data', '--out', out, '--tta', 'flip']);
    assert.equal(r.code, 0, r.err);
    const m = JSON.parse(fs.readFileSync(path.join(dir, out, 'metrics.json'), 'utf8'));
    const p = fs.readFileSync(path.join(dir, out, 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
    return { m, p, html: fs.readFileSync(path.join(dir, out, 'report.html'), 'utf8') };
  };
  const t = await evaluated(ckpt, 'eval-torch'), o = await evaluated(onnx, 'eval-onnx');
  assert.equal(o.p.length, 6);
  assert.ok(maxAbsDiff(o.p, t.p) < 1e-4, `predictions.csv: ${maxAbsDiff(o.p, t.p)}`);
  assert.equal(o.m.tta.method, 'flip');
  for (const k of ['log_loss', 'brier']) {
    assert.ok(Math.abs(o.m.tta.with[k] - t.m.tta.with[k]) < 1e-4, `with TTA, ${k}`);
    assert.ok(Math.abs(o.m.tta.without[k] - t.m.tta.without[k]) < 1e-4, `without TTA, ${k}`);
  }
  assert.ok(Math.abs(o.m.tta.with.log_loss - o.m.tta.without.log_loss) > 1e-4, 'the mirror changes the probabilities');
  assert.match(o.html, /Test-time augmentation[\s\S]*Without TTA[\s\S]*With TTA \(flip\)/);
});

test('serve --tta flip: each answer is the mean of two plain answers, the image\'s and its mirror\'s, on both engines; the answer and the metadata say so', async () => {
  const mirrored = await Promise.all(images.map((b) => sharp(b).flop().png().toBuffer()));
  const b64 = (list: Buffer[]) => ({ images: list.map((b) => b.toString('base64')) });
  for (const [model, engine] of [[ckpt, 'libtorch'], [onnx, 'onnx']] as const) {
    const plain = await withServer(model, { engine }, async (s) => {
      const r = await postJson(`${s.url}/v1/predict`, b64([...images, ...mirrored]));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.tta, undefined);
      assert.equal((await get(`${s.url}/v1/models/model`)).body.tta, null);
      return (r.body.predictions as { probability: number }[]).map((p) => p.probability);
    });
    const tta = await withServer(model, { engine, tta: 'flip' }, async (s) => {
      const r = await postJson(`${s.url}/v1/predict`, b64(images));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.tta, 'flip', 'the answer says TTA was used');
      assert.equal((await get(`${s.url}/v1/models/model`)).body.tta, 'flip');
      return (r.body.predictions as { probability: number }[]).map((p) => p.probability);
    });
    const n = images.length;
    const mean = tta.map((_, i) => (plain[i]! + plain[n + i]!) / 2);
    // The mirrored file resized equals the resized file mirrored (squash resize: the same weights from either side).
    assert.ok(maxAbsDiff(tta, mean) < 1e-5, `${engine}: ${tta} vs ${mean}`);
    assert.ok(maxAbsDiff(tta, plain.slice(0, n)) > 1e-4, `${engine}: the mirror changes the answers`);
  }
});

test('serve --tta dihedral: each answer is the mean of the plain answers of the image\'s 8 symmetries (files sharp turned and mirrored), on both engines', async () => {
  // Square images of the model's 32 px: no resize comes between the turn and the model.
  const squares = await Promise.all([11, 12].map((seed) => testImage(seed, 32, 32)));
  const symmetries = await Promise.all(squares.flatMap((b) => [false, true].flatMap((mirrored) => [0, 90, 180, 270].map((angle) =>
    (mirrored ? sharp(b).flop() : sharp(b)).rotate(angle).png().toBuffer()))));
  const b64 = (list: Buffer[]) => ({ images: list.map((b) => b.toString('base64')) });
  for (const [model, engine] of [[ckpt, 'libtorch'], [onnx, 'onnx']] as const) {
    const plain = await withServer(model, { engine }, async (s) => {
      const r = await postJson(`${s.url}/v1/predict`, b64(symmetries));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return (r.body.predictions as { probability: number }[]).map((p) => p.probability);
    });
    const tta = await withServer(model, { engine, tta: 'dihedral' }, async (s) => {
      const r = await postJson(`${s.url}/v1/predict`, b64(squares));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.tta, 'dihedral', 'the answer says TTA was used');
      assert.equal((await get(`${s.url}/v1/models/model`)).body.tta, 'dihedral');
      return (r.body.predictions as { probability: number }[]).map((p) => p.probability);
    });
    const mean = tta.map((_, i) => plain.slice(8 * i, 8 * i + 8).reduce((a, b) => a + b, 0) / 8);
    assert.ok(maxAbsDiff(tta, mean) < 1e-5, `${engine}: ${tta} vs ${mean}`);
    assert.ok(maxAbsDiff(tta, [plain[0]!, plain[8]!]) > 1e-4, `${engine}: the symmetries change the answers`);
  }
});
