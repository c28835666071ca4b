// Command actions that run without the trainer: export (real conversion through src/io), weights (registry and
// cache of src/io/weights.ts), predict's input expansion and output formats, evaluate's summary, doctor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../src/cli/errors.js';
import { collectInputFiles, csvField, formatPredictions, type PredictRow } from '../src/cli/commands/predict.js';
import { formatMetricsSummary, metricsToJSON, type EvaluationMetrics } from '../src/cli/commands/evaluate.js';
import { fromTypedArray, loadCheckpoint, saveCheckpoint, WEIGHTS } from '../src/io/index.js';
import { binaryMetrics } from '../src/metrics/index.js';
import { multiclassEvaluation, multilabelEvaluation } from '../src/tasks/index.js';
import { runPython } from './helpers/python.js';
import { cliIn } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('tlearn-cli-cmd-');

const cli = cliIn(tmp);

/** Runs fn with some environment variables set, restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test('export converts safetensors <-> pth with tensors and metadata intact (PyTorch loads the .pth)', async () => {
  const src = path.join(tmp, 'model.safetensors');
  const w = new Float32Array([0.5, -1.25, 3, 4, 5, 6]);
  const tensors = new Map([
    ['fc.1.weight', fromTypedArray('float32', [1, 6], w)],
    ['fc.1.bias', fromTypedArray('float32', [1], new Float32Array([0.125]))],
    ['bn1.num_batches_tracked', fromTypedArray('int64', [], new BigInt64Array([7n]))],
  ]);
  const metadata = { classes: ['boot', 'sneaker'], imageSize: 112 };
  saveCheckpoint(src, tensors, metadata);

  const r = await cli(['export', 'model.safetensors', '--format', 'pth', '--out', 'out/model.pth']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /wrote .*out\/model\.pth \(3 tensors, pth; classes boot,sneaker, image size 112\)/);
  const pth = path.join(tmp, 'out/model.pth');
  const back = loadCheckpoint(pth);
  assert.equal(back.format, 'pth');
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual([...back.tensors.keys()].sort(), [...tensors.keys()].sort());
  for (const [k, t] of tensors) {
    assert.deepEqual(back.tensors.get(k)!.shape, t.shape, k);
    assert.deepEqual(Buffer.from(back.tensors.get(k)!.data), Buffer.from(t.data), k);
  }
  const py = runPython<{ keys: string[]; w: number[]; n: number }>(`
import torch
sd = torch.load(inp, weights_only=True)
out({'keys': sorted(sd.keys()), 'w': sd['fc.1.weight'].flatten().tolist(), 'n': int(sd['bn1.num_batches_tracked'])})
`, pth);
  assert.deepEqual(py, { keys: ['bn1.num_batches_tracked', 'fc.1.bias', 'fc.1.weight'], w: [...w], n: 7 });

  const again = await cli(['export', 'out/model.pth', '--format', 'safetensors', '--out', 'again.safetensors']);
  assert.equal(again.code, 0, again.err);
  const st = loadCheckpoint(path.join(tmp, 'again.safetensors'));
  assert.deepEqual(st.metadata, metadata);
  assert.deepEqual(Buffer.from(st.tensors.get('fc.1.weight')!.data), Buffer.from(w.buffer));

  for (const [args, re] of [
    [['export', 'model.safetensors', '--format', 'pth', '--out', 'x.safetensors'], /--out .*x\.safetensors must end in \.pth, \.pt or \.bin for --format pth/],
    [['export', 'model.safetensors', '--format', 'safetensors', '--out', 'model.safetensors'], /--out must differ from MODEL/],
    [['export', 'nothing.pth', '--format', 'safetensors', '--out', 'x.safetensors'], /the model file .*nothing\.pth does not exist/],
  ] as Array<[string[], RegExp]>) {
    const res = await cli(args);
    assert.equal(res.code, 2, args.join(' '));
    assert.match(res.err, re);
  }
  // A file that is not a checkpoint is bad input (exit 2) with the reader's message.
  fs.writeFileSync(path.join(tmp, 'junk.pth'), 'not a checkpoint at all');
  const junk = await cli(['export', 'junk.pth', '--format', 'safetensors', '--out', 'j.safetensors']);
  assert.equal(junk.code, 2);
  assert.match(junk.err, /^tlearn export: .*junk\.pth/);
  assert.equal(fs.existsSync(path.join(tmp, 'j.safetensors')), false);
});

test('weights list / path / fetch against an empty cache and a local server', async () => {
  const home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  const served: string[] = [];
  const server = http.createServer((req, res) => {
    served.push(req.url ?? '');
    res.writeHead(200, { 'content-length': '11' });
    res.end('not weights');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    await withEnv({ HOME: home, TLEARN_HOME: path.join(home, 'tl'), TORCH_HOME: path.join(home, 'torch'), XDG_CACHE_HOME: path.join(home, 'xdg'),
      HF_HUB_CACHE: path.join(home, 'hf'), HF_ENDPOINT: 'https://huggingface.co',
      TLEARN_WEIGHTS_URL: `http://127.0.0.1:${port}/models/` }, async () => {
      const list = await cli(['weights', 'list']);
      assert.equal(list.code, 0, list.err);
      const lines = list.out.trimEnd().split('\n');
      assert.match(lines[0], /^name +arch +version +top-1 +params +size +image +source +file +cached$/);
      assert.equal(lines.length, WEIGHTS.length + 1);
      assert.match(list.out, /\nimagenet +resnet50 +IMAGENET1K_V2 +80\.86 +25\.6M +~102MB +224\/232 +torchvision +resnet50-11ad3fa6\.pth +-\n/);
      assert.match(list.out, /\nimagenet-v1 +resnet50 +IMAGENET1K_V1 +76\.13 +25\.6M +~102MB +224\/256 +torchvision +resnet50-0676ba61\.pth +-\n/);
      assert.match(list.out, /\nresnet18 +resnet18 +IMAGENET1K_V1 +69\.76 +11\.7M +~47MB +224\/256 +torchvision +resnet18-f37072fd\.pth +-\n/);
      assert.match(list.out, /\nefficientnet_b3 +efficientnet_b3 +IMAGENET1K_V1 +82\.01 +12\.2M +~49MB +300\/320 +torchvision +efficientnet_b3_rwightman-cf984f9c\.pth +-\n/);

      // timm's names for the same weights: Hugging Face's safetensors files.
      assert.match(list.out, /\nresnet50\.tv_in1k +resnet50 +IMAGENET1K_V1 +76\.13 +25\.6M +~102MB +224\/256 +timm +resnet50\.tv_in1k\.safetensors +-\n/);
      assert.match(list.out, /\nregnety_004\.tv2_in1k +regnet_y_400mf +IMAGENET1K_V2 +75\.80 +4\.3M +~17MB +224\/232 +timm +regnety_004\.tv2_in1k\.safetensors +-\n/);

      const json = JSON.parse((await cli(['weights', 'list', '--json'])).out) as Array<{ name: string; filename: string; cached: string | null; url: string; source: string }>;
      assert.deepEqual(json.map((e) => e.name), WEIGHTS.map((e) => e.name));
      assert.ok(json.every((e) => e.cached === null));
      assert.equal(json.find((e) => e.name === 'resnet50.tv2_in1k')?.url, 'https://huggingface.co/timm/resnet50.tv2_in1k/resolve/main/model.safetensors');
      assert.equal(json.find((e) => e.name === 'resnet18')?.url, `http://127.0.0.1:${port}/models/resnet18-f37072fd.pth`);

      const p = await cli(['weights', 'path', 'imagenet']);
      assert.equal(p.code, 0);
      assert.equal(p.out, `${path.join(home, 'tl', 'weights', 'resnet50-11ad3fa6.pth')}\n`);
      assert.match(p.err, /not downloaded yet: tlearn weights fetch imagenet/);
      assert.deepEqual(JSON.parse((await cli(['weights', 'path', 'resnet50-v1', '--json'])).out),
        { name: 'imagenet-v1', path: path.join(home, 'tl', 'weights', 'resnet50-0676ba61.pth'), cached: false });

      const unknown = await cli(['weights', 'fetch', 'resnet51']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.err, /^tlearn weights fetch: unknown weights 'resnet51'/);

      // The server sends the wrong bytes: the hash check refuses them, nothing is left in the cache, exit 1.
      const bad = await cli(['weights', 'fetch', 'resnet18']);
      assert.equal(bad.code, 1, bad.err);
      assert.match(bad.err, /SHA-256 .* does not start with f37072fd/);
      assert.deepEqual(served, ['/models/resnet18-f37072fd.pth']);
      assert.deepEqual(fs.readdirSync(path.join(home, 'tl', 'weights')), []);
    });
  } finally {
    server.close();
  }
});

test('predict: inputs are expanded, missing ones are usage errors', async () => {
  const dir = path.join(tmp, 'imgs');
  for (const f of ['b/2.PNG', 'b/1.jpg', 'a.webp', '.hidden/x.png', '.y.png', 'notes.txt', 'c/d/e.tiff']) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), 'x');
  }
  fs.writeFileSync(path.join(tmp, 'single.dat'), 'x');
  assert.deepEqual((await collectInputFiles(['imgs', 'single.dat'], tmp)).map((f) => path.relative(tmp, f.path)),
    ['imgs/a.webp', 'imgs/b/1.jpg', 'imgs/b/2.PNG', 'imgs/c/d/e.tiff', 'single.dat']);
  await assert.rejects(collectInputFiles(['nope.png'], tmp), (e: Error) => e instanceof UsageError && /nope\.png does not exist/.test(e.message));
  fs.mkdirSync(path.join(tmp, 'empty'));
  await assert.rejects(collectInputFiles(['empty'], tmp), /the folder empty holds no images/);
});

test('predict: JSON, CSV and table output', async () => {
  const rows: PredictRow[] = [
    { path: path.join(tmp, 'a.png'), probability: 0.875, predicted: 1, label: 'sneaker' },
    { path: path.join(tmp, 'x,"y".png'), probability: 0.125, predicted: 0, label: 'ankle boot' },
    { path: '/elsewhere/bad.jpg', error: 'unsupported image format' },
  ];
  assert.deepEqual(JSON.parse(formatPredictions(rows, 'json', tmp)), [
    { path: 'a.png', probability: 0.875, predicted: 1, label: 'sneaker' },
    { path: 'x,"y".png', probability: 0.125, predicted: 0, label: 'ankle boot' },
    { path: '/elsewhere/bad.jpg', error: 'unsupported image format' },
  ]);
  assert.equal(formatPredictions(rows, 'csv', tmp),
    'path,probability,predicted,label\na.png,0.875,1,sneaker\n"x,""y"".png",0.125,0,ankle boot\n/elsewhere/bad.jpg,,,\n');
  assert.equal(formatPredictions(rows, 'table', tmp), [
    'probability  label       path',
    '0.8750       sneaker     a.png',
    '0.1250       ankle boot  x,"y".png',
    '-            error       /elsewhere/bad.jpg: unsupported image format',
  ].join('\n') + '\n');
  // One line per file whatever the name holds (control characters shown escaped); wide (CJK) labels keep the columns.
  const odd: PredictRow[] = [
    { path: path.join(tmp, 'a\nb\tc.png'), probability: 0.5, predicted: 1, label: '狗' },
    { path: path.join(tmp, 'd.png'), probability: 0.25, predicted: 0, label: 'cat' },
  ];
  assert.equal(formatPredictions(odd, 'table', tmp), [
    'probability  label  path',
    '0.5000       狗     a\\nb\\tc.png',
    '0.2500       cat    d.png',
  ].join('\n') + '\n');
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a\nb'), '"a\nb"');
  const missingModel = await cli(['predict', 'none.safetensors', 'a.png']);
  assert.equal(missingModel.code, 2);
  assert.match(missingModel.err, /the model file .*none\.safetensors does not exist/);
});

test('evaluate: the printed summary and metrics.json conventions', () => {
  const y = [0, 0, 0, 1, 1, 1, 1, 0];
  const p = [0.1, 0.4, 0.35, 0.8, 0.7, 0.2, 0.9, 0.6];
  const m = binaryMetrics(y, p, 0.5, { classes: ['boot', 'sneaker'] }) as unknown as EvaluationMetrics;
  const text = formatMetricsSummary(m);
  assert.match(text, /^n=8 {2}classes=boot,sneaker {2}positive=sneaker {2}threshold=0\.5000\n/);
  assert.match(text, /AUC 0\.8125 \(95% CI /); // 13 of the 16 positive-negative pairs are ordered right
  assert.match(text, /accuracy 0\.7500/);
  // 3 of 4 positives and 3 of 4 negatives right: scipy's binomtest(3, 4).proportion_ci(method='wilson') is 0.3006-0.9544.
  assert.match(text, /\n95% Wilson CI: sensitivity 0\.301-0\.954 {2}specificity 0\.301-0\.954 {2}PPV 0\.301-0\.954 {2}NPV 0\.301-0\.954\n/);
  assert.match(text, /confusion: tn=3 fp=1 fn=1 tp=3\n$/);
  assert.deepEqual(JSON.parse(metricsToJSON({ roc: { thresholds: [Infinity, 0.9, 0.5] }, auc: NaN })), { roc: { thresholds: [null, 0.9, 0.5] }, auc: null });
});

test('evaluate: a multi-class or multi-label summary gives the accuracy\'s interval and the least recalled class with its own', () => {
  // 8 of 10 right; class b recalled 2 of 4 times, the lowest. scipy's binomtest(k, n).proportion_ci(method='wilson'):
  // (8, 10) 0.490-0.943, (2, 4) 0.150-0.850.
  const y = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
  const pred = [0, 0, 0, 0, 1, 1, 0, 0, 2, 2];
  const probs = Float32Array.from(pred.flatMap((k) => [0, 1, 2].map((j) => (j === k ? 0.8 : 0.1))));
  const mc = formatMetricsSummary(multiclassEvaluation(y, probs, ['a', 'b', 'c']).metrics as unknown as EvaluationMetrics);
  assert.match(mc, /\naccuracy 0\.8000 \(95% CI 0\.490-0\.943\) {2}balanced accuracy/);
  assert.match(mc, /\nlowest recall: b 0\.5000 \(95% CI 0\.150-0\.850\) of 4 images\n$/);
  // Multi-label at 0.5: 3 of 5 images have every label right ((3, 5) 0.231-0.882); label y is found in 1 of its 2
  // images ((1, 2) 0.095-0.905); label z is on no image (no recall) and is passed over.
  const yl = Uint8Array.from([1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
  const pl = Float32Array.from([0.9, 0.1, 0, 0.8, 0.2, 0, 0.3, 0.7, 0, 0.6, 0.6, 0, 0.1, 0.1, 0]);
  const ml = formatMetricsSummary(multilabelEvaluation(yl, pl, ['x', 'y', 'z'], [0.5, 0.5, 0.5]).metrics as unknown as EvaluationMetrics);
  assert.match(ml, /\nsubset accuracy 0\.6000 \(95% CI 0\.231-0\.882\) {2}Hamming loss/);
  assert.match(ml, /\nlowest recall: y 0\.5000 \(95% CI 0\.095-0\.905\) of 2 images\n$/);
});

test('doctor reports every check, and exit 1 only when one fails', async () => {
  const r = await cli(['doctor', '--json']);
  const checks = JSON.parse(r.out) as Array<{ name: string; status: string; detail: string }>;
  const names = checks.map((c) => c.name);
  for (const n of ['node', 'platform', 'sharp', 'libtorch', 'weights', 'demo data']) assert.ok(names.includes(n), `doctor checks ${n}`);
  assert.ok(checks.every((c) => ['ok', 'warn', 'fail'].includes(c.status) && c.detail.length > 0));
  assert.equal(r.code, checks.some((c) => c.status === 'fail') ? 1 : 0);
  assert.equal(checks.find((c) => c.name === 'node')!.status, 'ok');
  assert.match(checks.find((c) => c.name === 'demo data')!.detail, /^700 images \(train 400, val 100, test 200\)/);
  const text = await cli(['doctor']);
  assert.match(text.out, /^(ok|warn|fail) +node +Node \d+/m);
});
