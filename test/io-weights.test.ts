import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { serializeSafetensors } from '../src/io/safetensors.js';
import { huggingFaceHubCache } from '../src/io/timm-weights.js';
import {
  expectedSha256, weightsUrl, fetchWeights, findWeights, hashPrefixOf, listWeights, locateWeights, tlearnCacheDir, torchHubCheckpointDirs,
  weightsCacheDir, WeightsDownloadError, type WeightsEntry,
} from '../src/io/weights.js';
import { tempDir } from './io-helpers.js';

const root = tempDir('weights');
after(() => fs.rmSync(root, { recursive: true, force: true }));

const payload = crypto.randomBytes(300_000);
const sha = crypto.createHash('sha256').update(payload).digest('hex');
const good: WeightsEntry = { ...findWeights('imagenet'), name: 'test', aliases: [], filename: `fake-${sha.slice(0, 8)}.pth` };
const badHash: WeightsEntry = { ...good, filename: `bad-${'0'.repeat(8)}.pth` };

// A timm-style file: 12 parameters (w [3, 4]) and a BatchNorm buffer, which the parameter count leaves out.
const timmFile = Buffer.concat(serializeSafetensors(new Map([
  ['w', { dtype: 'float32', shape: [3, 4], data: new Uint8Array(48).fill(1) }],
  ['bn.running_mean', { dtype: 'float32', shape: [3], data: new Uint8Array(12) }],
])));
const timmSha = crypto.createHash('sha256').update(timmFile).digest('hex');
const timmEntry = (name: string, more: Partial<WeightsEntry> = {}): WeightsEntry =>
  ({ ...findWeights('resnet50.tv2_in1k'), name, filename: `${name}.safetensors`, numParams: 12, ...more });

let requests: string[] = [];
const server = http.createServer((req, res) => {
  requests.push(req.url ?? '');
  if (req.url === `/models/${good.filename}` || req.url === `/models/${badHash.filename}`) {
    res.writeHead(200, { 'content-length': payload.length });
    res.end(payload);
  } else if (req.url?.startsWith('/hf/timm/')) {
    // Hugging Face's layout: /timm/<name>/resolve/<revision>/model.safetensors; 'cut' sends half of the file.
    const m = /^\/hf\/timm\/([^/]+)\/resolve\/main\/model\.safetensors$/.exec(req.url);
    const body = m?.[1].startsWith('cut') ? timmFile.subarray(0, timmFile.length - 5) : timmFile;
    res.writeHead(m ? 200 : 404, { 'content-length': m ? body.length : 0 });
    res.end(m ? body : undefined);
  } else if (req.url === '/moved/' + good.filename) {
    res.writeHead(302, { location: `/models/${good.filename}` });
    res.end();
  } else if (req.url === `/cut/${good.filename}`) {
    // Claims the full length, sends half, then drops the connection.
    res.writeHead(200, { 'content-length': payload.length });
    res.write(payload.subarray(0, payload.length / 2), () => setTimeout(() => res.socket?.destroy(), 20));
  } else {
    res.writeHead(404);
    res.end('not found');
  }
});
const ready = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
after(() => server.close());

test('weights registry: torchvision file names, names and per-architecture defaults', () => {
  assert.equal(findWeights('imagenet').filename, 'resnet50-11ad3fa6.pth');
  assert.equal(findWeights('imagenet-v1').filename, 'resnet50-0676ba61.pth');
  assert.equal(findWeights('ImageNet').version, 'IMAGENET1K_V2');
  assert.equal(findWeights('resnet18').filename, 'resnet18-f37072fd.pth');
  assert.equal(findWeights('resnet34').filename, 'resnet34-b627a593.pth');
  assert.equal(findWeights('resnet101').filename, 'resnet101-cd907fc2.pth');
  assert.equal(findWeights('resnet101-v1').filename, 'resnet101-63fe2227.pth');
  assert.equal(findWeights('resnet152').filename, 'resnet152-f82ba261.pth');
  assert.equal(findWeights('resnet152-v1').filename, 'resnet152-394f9c45.pth');
  assert.equal(findWeights('imagenet', 'resnet18').filename, 'resnet18-f37072fd.pth');
  assert.equal(findWeights('imagenet-v1', 'resnet101').filename, 'resnet101-63fe2227.pth');
  assert.equal(findWeights('imagenet', 'resnet50').resizeSize, 232);
  assert.equal(findWeights('imagenet-v1').resizeSize, 256);
  assert.throws(() => findWeights('imagenet-v2', 'resnet18'), /no IMAGENET1K_V2 weights for resnet18/);
  assert.throws(() => findWeights('vgg16'), /unknown weights 'vgg16'; known: imagenet, imagenet-v1/);
  assert.throws(() => findWeights('resnet18', 'resnet50'), /are for resnet18, not resnet50/);
  // Every architecture of the zoo has torchvision's ImageNet file, its transform's sizes and its documented top-1.
  assert.equal(listWeights().filter((w) => w.source === 'torchvision').length, 26);
  assert.equal(findWeights('imagenet', 'efficientnet_b3').filename, 'efficientnet_b3_rwightman-cf984f9c.pth');
  assert.deepEqual([findWeights('imagenet', 'efficientnet_b3').cropSize, findWeights('imagenet', 'efficientnet_b3').resizeSize], [300, 320]);
  assert.equal(findWeights('imagenet', 'efficientnet_b1').version, 'IMAGENET1K_V2');
  assert.equal(findWeights('imagenet-v1', 'mobilenet_v3_large').filename, 'mobilenet_v3_large-8738ca79.pth');
  assert.equal(findWeights('mobilenet_v3_small').acc1, 67.668);
  assert.equal(findWeights('efficientnet_v2_s').cropSize, 384);
  for (const w of listWeights().filter((e) => e.source === 'torchvision')) assert.match(hashPrefixOf(w.filename), /^[0-9a-f]{8}$/);
});

test('weights cache folders follow TLEARN_HOME, XDG_CACHE_HOME, HOME; torch hub folders TORCH_HOME', () => {
  assert.equal(tlearnCacheDir({ TLEARN_HOME: '/a/b', XDG_CACHE_HOME: '/x', HOME: '/h' }), '/a/b');
  assert.equal(tlearnCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/tlearn');
  assert.equal(tlearnCacheDir({ HOME: '/h' }), '/h/.cache/tlearn');
  assert.equal(weightsCacheDir({ HOME: '/h' }), '/h/.cache/tlearn/weights');
  assert.deepEqual(torchHubCheckpointDirs({ TORCH_HOME: '/t', HOME: '/h' }), ['/t/hub/checkpoints', '/h/.cache/torch/hub/checkpoints']);
});

test('weights download: verified, atomic, reused; redirects followed; progress reported', async () => {
  const base = await ready;
  const env = { HOME: path.join(root, 'home1') };
  const progress: Array<[number, number | undefined]> = [];
  const p = await fetchWeights(good, { env, baseUrl: `${base}/models/`, onProgress: (r, t) => progress.push([r, t]) });
  assert.equal(p, path.join(root, 'home1', '.cache', 'tlearn', 'weights', good.filename));
  assert.ok(fs.readFileSync(p).equals(payload));
  assert.deepEqual(progress[progress.length - 1], [payload.length, payload.length]);
  assert.deepEqual(fs.readdirSync(path.dirname(p)), [good.filename], 'no temp files');
  requests = [];
  assert.equal(await fetchWeights(good, { env, baseUrl: `${base}/models/` }), p);
  assert.deepEqual(requests, [], 'second call uses the cache');

  const env2 = { HOME: path.join(root, 'home2') };
  const p2 = await fetchWeights(good, { env: env2, baseUrl: `${base}/moved` });
  assert.ok(fs.readFileSync(p2).equals(payload));
});

test('weights download: a bad hash or an interrupted transfer leaves no file and explains', async () => {
  const base = await ready;
  const env = { HOME: path.join(root, 'home3') };
  const cache = weightsCacheDir(env);
  await assert.rejects(fetchWeights(badHash, { env, baseUrl: `${base}/models/` }), (e: Error) => {
    assert.ok(e instanceof WeightsDownloadError);
    assert.match(e.message, new RegExp(`SHA-256 ${sha.slice(0, 16)}… does not start with 00000000`));
    return true;
  });
  assert.deepEqual(fs.readdirSync(cache), []);
  await assert.rejects(fetchWeights(good, { env, baseUrl: `${base}/cut/` }), (e: Error) => {
    assert.match(e.message, /could not download fake-[0-9a-f]{8}\.pth .*(closed|incomplete|aborted)/);
    assert.match(e.message, /--weights PATH/);
    assert.match(e.message, /--weights none/);
    assert.ok(e.message.includes(path.join(cache, good.filename)), 'names where to place the file');
    return true;
  });
  assert.deepEqual(fs.readdirSync(cache), [], 'no partial file');
  await assert.rejects(fetchWeights(good, { env, baseUrl: `${base}/nowhere/` }), /HTTP 404/);
  // Offline: nothing listens on this port.
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await assert.rejects(fetchWeights(good, { env, baseUrl: `http://127.0.0.1:${port}/` }), /ECONNREFUSED[\s\S]*place it at/);
  assert.deepEqual(fs.readdirSync(cache), []);
});

test('weights: a file in the PyTorch hub cache is reused; a damaged one is ignored', async () => {
  const env = { HOME: path.join(root, 'home4'), TORCH_HOME: path.join(root, 'torchhome') };
  const hub = path.join(root, 'torchhome', 'hub', 'checkpoints');
  fs.mkdirSync(hub, { recursive: true });
  fs.writeFileSync(path.join(hub, good.filename), payload);
  assert.equal(await locateWeights(good, { env }), path.join(hub, good.filename));
  assert.equal(await fetchWeights(good, { env, baseUrl: 'http://127.0.0.1:9/' }), path.join(hub, good.filename));
  fs.writeFileSync(path.join(hub, good.filename), Buffer.from('damaged'));
  assert.equal(await locateWeights(good, { env }), undefined);
  assert.equal(await locateWeights(good, { env, verify: false }), path.join(hub, good.filename));
});

test('timm\'s names of torchvision\'s weights: the same arch, version, metrics and transform; Hugging Face URLs', () => {
  const timm = listWeights().filter((w) => w.source === 'timm');
  const want: Record<string, [string, string]> = {
    'resnet18.tv_in1k': ['resnet18', 'IMAGENET1K_V1'], 'resnet34.tv_in1k': ['resnet34', 'IMAGENET1K_V1'],
    'resnet50.tv_in1k': ['resnet50', 'IMAGENET1K_V1'], 'resnet50.tv2_in1k': ['resnet50', 'IMAGENET1K_V2'],
    'resnet101.tv_in1k': ['resnet101', 'IMAGENET1K_V1'], 'resnet101.tv2_in1k': ['resnet101', 'IMAGENET1K_V2'],
    'resnet152.tv_in1k': ['resnet152', 'IMAGENET1K_V1'], 'resnet152.tv2_in1k': ['resnet152', 'IMAGENET1K_V2'],
    'regnety_004.tv2_in1k': ['regnet_y_400mf', 'IMAGENET1K_V2'], 'regnety_016.tv2_in1k': ['regnet_y_1_6gf', 'IMAGENET1K_V2'],
    'regnety_032.tv2_in1k': ['regnet_y_3_2gf', 'IMAGENET1K_V2'],
  };
  assert.deepEqual(timm.map((w) => w.name), Object.keys(want));
  for (const w of timm) {
    assert.deepEqual([w.arch, w.version], want[w.name], w.name);
    assert.equal(w.filename, `${w.name}.safetensors`);
    const tv = listWeights().find((e) => e.source === 'torchvision' && e.arch === w.arch && e.version === w.version)!;
    assert.deepEqual([w.acc1, w.acc5, w.numParams, w.cropSize, w.resizeSize], [tv.acc1, tv.acc5, tv.numParams, tv.cropSize, tv.resizeSize], w.name);
  }
  assert.equal(findWeights('RegNetY_004.tv2_in1k', 'regnet_y_400mf').source, 'timm');
  assert.throws(() => findWeights('regnety_004.tv2_in1k', 'resnet50'), /are for regnet_y_400mf, not resnet50/);
  assert.equal(findWeights('imagenet', 'regnet_y_400mf').filename, 'regnet_y_400mf-e6988f5f.pth', 'the generic names stay torchvision\'s');
  assert.equal(weightsUrl(findWeights('regnety_016.tv2_in1k'), { env: {} }), 'https://huggingface.co/timm/regnety_016.tv2_in1k/resolve/main/model.safetensors');
  assert.equal(weightsUrl(findWeights('resnet50.tv_in1k'), { env: { HF_ENDPOINT: 'https://mirror.example/' } }),
    'https://mirror.example/timm/resnet50.tv_in1k/resolve/78f3ecfdb38e06d9b8397f662e7ab8fee96026fa/model.safetensors');
  assert.equal(expectedSha256(findWeights('resnet18.tv_in1k')), '694f673df6520a3158624e8a89af086f59923ee4cd7436fe5bc3bc71d295ad81');
  assert.equal(expectedSha256(findWeights('resnet152.tv2_in1k')), undefined);
  assert.equal(expectedSha256(findWeights('resnet152')), 'f82ba261');
  assert.equal(huggingFaceHubCache({ HOME: '/h' }), '/h/.cache/huggingface/hub');
  assert.equal(huggingFaceHubCache({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/huggingface/hub');
  assert.equal(huggingFaceHubCache({ HF_HOME: '/f', XDG_CACHE_HOME: '/x' }), '/f/hub');
  assert.equal(huggingFaceHubCache({ HF_HUB_CACHE: '/c', HF_HOME: '/f' }), '/c');
});

test('timm download: checked by SHA-256 where known, else a complete safetensors file of the arch\'s parameter count', async () => {
  const base = await ready;
  const env = { HOME: path.join(root, 'home5'), HF_ENDPOINT: `${base}/hf`, HF_HUB_CACHE: path.join(root, 'hf') };
  const cache = weightsCacheDir(env);
  const kept = await fetchWeights(timmEntry('tiny.tv_in1k'), { env });
  assert.equal(kept, path.join(cache, 'tiny.tv_in1k.safetensors'));
  assert.ok(fs.readFileSync(kept).equals(timmFile));
  assert.ok(await fetchWeights(timmEntry('hashed.tv_in1k', { sha256: timmSha }), { env }));
  const refused: Array<[WeightsEntry, RegExp]> = [
    [timmEntry('cut.tv_in1k'), /downloaded cut\.tv_in1k\.safetensors from .*\/hf\/timm\/cut\.tv_in1k\/resolve\/main\/model\.safetensors but it is not a valid safetensors file: .*truncated/],
    [timmEntry('other.tv_in1k', { numParams: 13 }), /but it holds 12 parameters, other\.tv_in1k \(torchvision resnet50 IMAGENET1K_V2\) has 13: .*discarded/],
    [timmEntry('wrong.tv_in1k', { sha256: '0'.repeat(64) }), new RegExp(`SHA-256 ${timmSha.slice(0, 16)}… does not start with 0{16}`)],
  ];
  for (const [entry, message] of refused) await assert.rejects(fetchWeights(entry, { env }), message);
  assert.deepEqual(fs.readdirSync(cache).sort(), ['hashed.tv_in1k.safetensors', 'tiny.tv_in1k.safetensors'], 'nothing refused is kept');
  // Offline: the message says where the file may be placed by hand, in either cache.
  await assert.rejects(fetchWeights(timmEntry('gone.tv_in1k'), { env: { ...env, HF_ENDPOINT: 'http://127.0.0.1:9' }, timeoutMs: 2000 }),
    /could not download gone\.tv_in1k\.safetensors from http:\/\/127\.0\.0\.1:9\/timm\/gone\.tv_in1k\/resolve\/main\/model\.safetensors: [\s\S]*place it at .*gone\.tv_in1k\.safetensors \(or in Hugging Face's hub cache, .*models--timm--gone\.tv_in1k\/snapshots\/<revision>\/model\.safetensors\)/);
  // A copy in Hugging Face's hub cache (timm.create_model(..., pretrained=True)) is reused when it passes the same check.
  const snap = path.join(root, 'hf', 'models--timm--cached.tv_in1k', 'snapshots', 'abc');
  fs.mkdirSync(snap, { recursive: true });
  fs.writeFileSync(path.join(snap, 'model.safetensors'), timmFile);
  assert.equal(await locateWeights(timmEntry('cached.tv_in1k'), { env }), path.join(snap, 'model.safetensors'));
  assert.equal(await locateWeights(timmEntry('cached.tv_in1k', { numParams: 5 }), { env }), undefined);
  assert.equal(await locateWeights(timmEntry('cached.tv_in1k'), { env, useTorchHub: false }), undefined);
});
