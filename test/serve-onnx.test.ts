// tlearn serve with the ONNX engine (an .onnx file run by onnxruntime-node in a worker thread, decoding in another
// with onnxruntime's resampling): every request shape answers as `tlearn predict model.onnx --json` on the same files
// (images up- and downsampled), concurrent requests share forward passes, the metadata endpoint names the engine,
// each hostile request gets its status, the server runs where the native addon cannot load, /healthz answers while
// a batch runs (onnxruntime's session.run is synchronous: the model runs in a worker thread), SIGTERM drains, and a
// missing onnxruntime-node is named with how to install it. Also: the libtorch engine decodes alike in a decode
// worker (onnxruntime's resampling, the default where it is installed) and in its model worker.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tinyClassifier } from './helpers/onnx-models.js';
import { packageWithout } from './helpers/package-without.js';
import { tempDir } from './helpers/temp.js';
import { assertSamePredictions, blob, get, metric, metrics, post, postJson, predictJson, testImage, TLEARN, withServer } from './helpers/serve.js';
import { hostileRequests } from './helpers/serve-hostile-requests.js';
import { exportOnnx } from '../src/export/onnx/index.js';
import { saveModelFile, type ResNetArch, type TaskKind } from '../src/models/index.js';
import { ORT_INSTALL_HINT } from '../src/onnx/index.js';

const dir = tempDir('tlearn-serve-onnx-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A seeded classifier saved as a checkpoint and exported to .onnx beside it. */
function onnxModel(name: string, task: TaskKind, arch: ResNetArch, size: number): { ckpt: string; onnx: string } {
  const { model, metadata } = tinyClassifier(task, arch, size);
  try {
    const ckpt = path.join(dir, `${name}.safetensors`), onnx = path.join(dir, `${name}.onnx`);
    const saved = saveModelFile(ckpt, model, metadata);
    model.eval();
    fs.writeFileSync(onnx, exportOnnx(model, saved).bytes);
    return { ckpt, onnx };
  } finally {
    model.dispose();
  }
}

const { ckpt, onnx } = onnxModel('tiny', 'multiclass', 'resnet18', 32);
// Smaller and larger than 32 px: the upsampled axes go through the resample engine (onnxruntime's here).
const sizes = [[20, 27], [45, 38], [32, 32], [16, 50], [61, 24], [28, 28]] as const;
const images = await Promise.all(sizes.map(([w, h], i) => testImage(i, w, h, i % 2 ? 'jpeg' : 'png')));
const files = images.map((b, i) => {
  const f = path.join(dir, `img${i}.${i % 2 ? 'jpg' : 'png'}`);
  fs.writeFileSync(f, b);
  return f;
});
const type = (i: number) => (i % 2 ? 'image/jpeg' : 'image/png');
const withoutPath = (rows: Array<Record<string, unknown>>) => rows.map(({ path: _p, ...r }) => r);

test('--engine onnx: every request shape answers as tlearn predict model.onnx --json; concurrent requests share passes', async () => {
  const expected = withoutPath(await predictJson(onnx, files));
  assert.equal(new Set(expected.map((r) => r.probability)).size, images.length, 'the images predict differently');
  await withServer(onnx, { engine: 'onnx' }, async (s) => {
    const fd = new FormData();
    images.forEach((b, i) => fd.append('image', blob(b), `img${i}`));
    const multipart = await post(`${s.url}/v1/predict`, fd);
    assert.equal(multipart.status, 200, JSON.stringify(multipart.body));
    assert.deepEqual(multipart.body.predictions, expected);
    const b64 = images.map((b) => b.toString('base64'));
    assert.deepEqual((await postJson(`${s.url}/v1/predict`, { images: b64 })).body.predictions, expected);
    const kserve = await postJson(`${s.url}/v1/models/model:predict`, { instances: b64.map((b) => ({ b64: b })) });
    assert.deepEqual(kserve.body.predictions, expected);
    const alone = [];
    for (const [i, b] of images.entries()) alone.push((await post(`${s.url}/v1/predict`, b, type(i))).body.predictions[0]);
    assertSamePredictions(alone, expected);
    const text = await metrics(s);
    assert.equal(metric(text, 'tlearn_serve_batch_size_count'), 3 + images.length);
  });
  await withServer(onnx, { engine: 'onnx', maxWaitMs: 400 }, async (s) => {
    const together = await Promise.all(images.map((b, i) => post(`${s.url}/v1/predict`, b, type(i))));
    assert.deepEqual(together.map((r) => r.status), new Array(images.length).fill(200));
    assertSamePredictions(together.map((r) => r.body.predictions[0]), expected);
    const passes = metric(await metrics(s), 'tlearn_serve_batch_size_count');
    assert.ok(passes < images.length, `${images.length} concurrent requests took ${passes} forward passes`);
  });
});

test('--engine onnx: the metadata endpoint names the engine; each hostile request gets its status and the next is served', async () => {
  await withServer(onnx, { engine: 'onnx', name: 'pets' }, async (s) => {
    const meta = await get(`${s.url}/v1/models/pets`);
    assert.equal(meta.status, 200);
    assert.deepEqual(
      { engine: meta.body.engine, arch: meta.body.arch, task: meta.body.task, classes: meta.body.classes, image_size: meta.body.image_size },
      { engine: 'onnx', arch: 'resnet18', task: 'multiclass', classes: ['ant', 'bee', 'cow', 'dog'], image_size: 32 });
    const png = images[0]!;
    // The list's KServe cases name the model 'model'.
    for (const h of hostileRequests(png, images[1]!).filter((x) => !x.name.includes('KServe'))) {
      const r = await h.send(s.url);
      assert.equal(r.status, h.status, `${h.name}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error, h.message, h.name);
      assert.equal((await post(`${s.url}/v1/predict`, png, 'image/png')).status, 200, `after ${h.name}`);
    }
    assert.equal(metric(await metrics(s), 'tlearn_serve_queue_depth'), 0, 'every admitted image was released');
  });
});

test('the libtorch engine decodes alike in a decode worker (onnxruntime resampling) and in its model worker', async () => {
  const expected = withoutPath(await predictJson(ckpt, files));
  for (const decodeIn of ['thread', 'model'] as const) {
    await withServer(ckpt, { decodeIn }, async (s) => {
      const r = await postJson(`${s.url}/v1/predict`, { images: images.map((b) => b.toString('base64')) });
      assert.deepEqual(r.body.predictions, expected, decodeIn);
    });
  }
});

test('tlearn serve model.onnx without libtorch: /healthz answers while a batch runs; SIGTERM lets it finish and exits 0', { timeout: 240_000 }, async () => {
  // ResNet50: 32 images at 224 px take seconds on one thread even on a fast, idle machine (ResNet18's took about
  // 1.3 s there, so the batch could end before SIGTERM and the test failed for want of work).
  const big = onnxModel('r50', 'binary', 'resnet50', 224);
  const many = { images: await Promise.all(Array.from({ length: 32 }, (_, i) => testImage(i + 30, 240, 200).then((b) => b.toString('base64')))) };
  const proc = spawn(process.execPath, [TLEARN, 'serve', big.onnx, '--port', '0', '--threads', '1', '--max-batch', '32'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TLEARN_NATIVE: '/nonexistent' }, // the native addon cannot load
  });
  let out = '', err = '';
  proc.stderr!.on('data', (d) => { err += d; });
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      proc.stdout!.on('data', (d) => { out += d; const u = /listening on (\S+)/.exec(out)?.[1]; if (u) resolve(u); });
      void exit.then((code) => reject(new Error(`tlearn serve exited ${code}: ${err}`)));
    });
    assert.match(err, /with the onnx engine/);
    const t0 = performance.now();
    const long = postJson(`${url}/v1/predict`, many);
    let done = false;
    void long.then(() => { done = true; });
    // Probes while the batch runs (its decoding first, then its forward pass), from 0.3 s (before, this process is still sending the 4 MB body) to 1.5 s; then SIGTERM, the batch
    // still running (32 images through a ResNet50 at 224 px on one thread take seconds).
    await new Promise((r) => setTimeout(r, 300));
    const probes: number[] = [];
    while (!done && performance.now() - t0 < 1500) {
      probes.push((await get(`${url}/healthz`)).ms);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(!done, 'the request was still running at SIGTERM');
    proc.kill('SIGTERM');
    const r = await long;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.predictions.length, 32);
    assert.equal(await exit, 0, err);
    assert.match(err, /SIGTERM: draining \(up to 30 s\)\n.*stopped\n$/s);
    const seconds = (performance.now() - t0) / 1000;
    // A blocked event loop would hold the probes until the batch is done (see serve-hostile's bounds).
    const sorted = [...probes].sort((a, b) => a - b);
    if (process.env.TLEARN_SERVE_PROBES) console.log(`probes: ${probes.map((p) => p.toFixed(0)).join(', ')} ms; ${seconds.toFixed(1)} s`);
    assert.ok(probes.length >= 10 && sorted[Math.floor(sorted.length * 0.9)]! < 50 && sorted.at(-1)! < 500,
      `/healthz during a ${seconds.toFixed(1)} s request: ${probes.map((p) => p.toFixed(0)).join(', ')} ms`);
  } finally {
    proc.kill('SIGKILL');
  }
});

test('without onnxruntime-node, tlearn serve model.onnx says how to install it (exit 1)', () => {
  const pkg = packageWithout(dir, 'onnxruntime-node');
  const script = `const { runCli } = await import(${JSON.stringify(pathToFileURL(path.join(pkg, 'dist/src/cli/main.js')).href)});
let err = ''; const code = await runCli(['serve', ${JSON.stringify(onnx)}, '--port', '0'], { out: () => {}, err: (t) => { err += t; }, cwd: process.cwd() });
console.log(JSON.stringify({ code, err }));`;
  const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8', timeout: 60_000 })) as { code: number; err: string };
  assert.equal(r.code, 1, r.err);
  assert.ok(r.err.includes('onnxruntime-node, which is not installed') && r.err.includes(ORT_INSTALL_HINT), r.err);
});
