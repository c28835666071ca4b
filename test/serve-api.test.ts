// tlearn serve's endpoints and request shapes: multipart, a raw image body, JSON base64 and KServe V1 instances
// all answer as `tlearn predict --json` does on the same files; concurrent requests share forward passes; the API
// key and CORS.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tinyModelFile } from './helpers/model-files.js';
import { tempDir } from './helpers/temp.js';
import { assertSamePredictions, blob, get, metric, metrics, modelFile, post, postJson, predictJson, testImage, withServer } from './helpers/serve.js';

const dir = tempDir('tlearn-serve-api-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const model = tinyModelFile(dir);
const images = await Promise.all(Array.from({ length: 6 }, (_, i) => testImage(i, 40 + i * 3, 30 + i * 5, i % 2 ? 'jpeg' : 'png')));
const files = images.map((b, i) => {
  const f = path.join(dir, `img${i}.${i % 2 ? 'jpg' : 'png'}`);
  fs.writeFileSync(f, b);
  return f;
});
const big = modelFile(dir, 'r50', 'resnet50', 224);
const withoutPath = (rows: Array<Record<string, unknown>>) => rows.map(({ path: _p, ...r }) => r);

// A request of the six images is one batch, as predict's: bit-identical. One image alone is a batch of one, which
// libtorch may sum in another order: equal up to float32 rounding (assertSamePredictions).
test('every request shape answers as tlearn predict --json on the same files', async () => {
  const expected = withoutPath(await predictJson(model, files));
  assert.equal(new Set(expected.map((r) => r.probability)).size, images.length, 'the images predict differently');
  await withServer(model, {}, async (s) => {
    const fd = new FormData();
    images.forEach((b, i) => fd.append('image', blob(b), `img${i}`));
    const multipart = await post(`${s.url}/v1/predict`, fd);
    assert.equal(multipart.status, 200, JSON.stringify(multipart.body));
    assert.deepEqual(multipart.body.predictions, expected);

    const b64 = images.map((b) => b.toString('base64'));
    const json = await postJson(`${s.url}/v1/predict`, { images: b64 });
    assert.deepEqual(json.body.predictions, expected);

    const kserve = await postJson(`${s.url}/v1/models/model:predict`, { instances: b64.map((b) => ({ b64: b })) });
    assert.equal(kserve.status, 200, JSON.stringify(kserve.body));
    assert.deepEqual(kserve.body.predictions, expected);

    const alone = [];
    for (const [i, b] of images.entries()) alone.push((await post(`${s.url}/v1/predict`, b, i % 2 ? 'image/jpeg' : 'image/png')).body.predictions[0]);
    assertSamePredictions(alone, expected);
    // A data: URL is base64 too (what a browser's FileReader gives).
    const dataUrl = await postJson(`${s.url}/v1/predict`, { images: [`data:image/png;base64,${b64[0]}`] });
    assert.deepEqual(dataUrl.body.predictions, [alone[0]]);
    const octets = await post(`${s.url}/v1/predict`, images[2]!, 'application/octet-stream');
    assert.deepEqual(octets.body.predictions, [alone[2]]);
  });
});

test('metadata, probes, metrics; a wrong model name is 404', async () => {
  await withServer(model, { name: 'pets' }, async (s) => {
    const meta = await get(`${s.url}/v1/models/pets`);
    assert.equal(meta.status, 200);
    assert.deepEqual(
      { name: meta.body.name, classes: meta.body.classes, image_size: meta.body.image_size, threshold: meta.body.threshold, task: meta.body.task, arch: meta.body.arch },
      { name: 'pets', classes: ['cat', 'dog'], image_size: 32, threshold: 0.5, task: 'binary', arch: 'resnet18' });
    assert.equal((await get(`${s.url}/v1/models/cats`)).status, 404);
    const wrong = await postJson(`${s.url}/v1/models/cats:predict`, { instances: [{ b64: images[0]!.toString('base64') }] });
    assert.equal(wrong.status, 404);
    assert.match(wrong.body.error, /no model 'cats': this server serves 'pets'/);
    assert.equal((await postJson(`${s.url}/v1/models/pets:explain`, {})).status, 404);
    assert.deepEqual((await get(`${s.url}/healthz`)).body, { status: 'ok' });
    assert.deepEqual((await get(`${s.url}/readyz`)).body, { ready: true });
    assert.equal((await get(`${s.url}/nowhere`)).status, 404);
    await post(`${s.url}/v1/predict`, images[0]!, 'image/png');
    const text = await metrics(s);
    assert.equal(metric(text, 'tlearn_serve_requests_total', 'route="/v1/predict",status="200"'), 1);
    assert.equal(metric(text, 'tlearn_serve_images_decoded_total'), 1);
    assert.equal(metric(text, 'tlearn_serve_batch_size_count'), 1);
    assert.equal(metric(text, 'tlearn_serve_queue_depth'), 0);
    assert.ok(metric(text, 'tlearn_serve_request_duration_seconds_count', 'route="/v1/predict"') === 1);
    assert.ok(metric(text, 'process_resident_memory_bytes') > 0);
  });
});

test('concurrent requests share forward passes and get what each would get alone', async () => {
  const alone = await withServer(model, { maxWaitMs: 0 }, async (s) => {
    const out = [];
    for (const b of images) out.push((await post(`${s.url}/v1/predict`, b, 'image/png')).body.predictions[0]);
    assert.equal(metric(await metrics(s), 'tlearn_serve_batch_size_count'), images.length);
    return out;
  });
  // A wait long enough that all six single-image requests meet in one batch even on a loaded machine.
  await withServer(model, { maxWaitMs: 400, maxBatch: 32 }, async (s) => {
    const together = await Promise.all(images.map((b) => post(`${s.url}/v1/predict`, b, 'image/png')));
    for (const r of together) assert.equal(r.status, 200);
    assertSamePredictions(together.map((r) => r.body.predictions[0]), alone);
    const text = await metrics(s);
    const passes = metric(text, 'tlearn_serve_batch_size_count');
    assert.ok(passes < images.length, `${images.length} requests took ${passes} forward passes`);
    assert.equal(metric(text, 'tlearn_serve_batch_size_sum'), images.length);
  });
  // --max-batch caps a batch: 6 images of one request in batches of at most 4.
  await withServer(model, { maxBatch: 4 }, async (s) => {
    const r = await postJson(`${s.url}/v1/predict`, { images: images.map((b) => b.toString('base64')) });
    assertSamePredictions(r.body.predictions, alone);
    const text = await metrics(s);
    assert.equal(metric(text, 'tlearn_serve_batch_size_count'), 2);
    assert.equal(metric(text, 'tlearn_serve_batch_size_bucket', 'le="4"'), 2);
  });
});

test('at the default --max-wait-ms 5, concurrent requests to a slow model meet in few forward passes', async () => {
  // The images are decoded in the model's thread, between forward passes: a batch that left with the first image
  // decoded stalled the decodes of the others, which then left one or two at a time (5 to 8 passes for 8 requests).
  // A batch now waits for the images already being decoded.
  const eight = await Promise.all(Array.from({ length: 8 }, (_, i) => testImage(i + 20)));
  await withServer(big, {}, async (s) => {
    const r = await Promise.all(eight.map((b) => post(`${s.url}/v1/predict`, b, 'image/png')));
    assert.deepEqual(r.map((x) => x.status), new Array(8).fill(200));
    const passes = metric(await metrics(s), 'tlearn_serve_batch_size_count');
    assert.ok(passes <= 2, `8 concurrent requests took ${passes} forward passes`);
  });
});

test('a 224-px resnet50 (channels-last, crop resize) answers as tlearn predict on JPEG and PNG files', async () => {
  const few = files.slice(0, 3);
  const expected = withoutPath(await predictJson(big, few));
  await withServer(big, { maxWaitMs: 200 }, async (s) => {
    const got = await Promise.all(few.map((f, i) => post(`${s.url}/v1/predict`, fs.readFileSync(f), i % 2 ? 'image/jpeg' : 'image/png')));
    assert.deepEqual(got.map((r) => r.body.predictions[0]), expected);
  });
});

test('--api-key-file: Bearer required except on the probes; --cors adds the headers and answers preflights', async () => {
  const key = 'k3y-0123456789abcdef';
  await withServer(model, { apiKey: key }, async (s) => {
    const png = images[0]!;
    const none = await post(`${s.url}/v1/predict`, png, 'image/png');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    assert.match(none.body.error, /Authorization: Bearer/);
    for (const wrong of [`Bearer ${key}x`, `Bearer ${key.slice(0, -1)}`, key, `Basic ${key}`, 'Bearer ']) {
      assert.equal((await post(`${s.url}/v1/predict`, png, 'image/png', { authorization: wrong })).status, 401, wrong);
    }
    assert.equal((await post(`${s.url}/v1/predict`, png, 'image/png', { authorization: `Bearer ${key}` })).status, 200);
    assert.equal((await get(`${s.url}/v1/models/model`)).status, 401);
    assert.equal((await get(`${s.url}/metrics`)).status, 401);
    assert.equal((await get(`${s.url}/healthz`)).status, 200);
    assert.equal((await get(`${s.url}/readyz`)).status, 200);
    // No CORS unless asked for.
    assert.equal((await get(`${s.url}/healthz`, { origin: 'https://app.example.org' })).headers.get('access-control-allow-origin'), null);
  });
  await withServer(model, { cors: 'https://app.example.org' }, async (s) => {
    const pre = await fetch(`${s.url}/v1/predict`, { method: 'OPTIONS', headers: { origin: 'https://app.example.org', 'access-control-request-method': 'POST' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example.org');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/);
    const r = await post(`${s.url}/v1/predict`, images[0]!, 'image/png', { origin: 'https://app.example.org' });
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example.org');
  });
});
