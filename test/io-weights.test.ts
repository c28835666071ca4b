import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import {
  fetchWeights, findWeights, hashPrefixOf, listWeights, locateWeights, tlearnCacheDir, torchHubCheckpointDirs,
  weightsCacheDir, WeightsDownloadError, type WeightsEntry,
} from '../src/io/weights.js';
import { tempDir } from './io-helpers.js';

const root = tempDir('weights');
after(() => fs.rmSync(root, { recursive: true, force: true }));

const payload = crypto.randomBytes(300_000);
const sha = crypto.createHash('sha256').update(payload).digest('hex');
const good: WeightsEntry = { ...findWeights('imagenet'), name: 'test', aliases: [], filename: `fake-${sha.slice(0, 8)}.pth` };
const badHash: WeightsEntry = { ...good, filename: `bad-${'0'.repeat(8)}.pth` };

let requests: string[] = [];
const server = http.createServer((req, res) => {
  requests.push(req.url ?? '');
  if (req.url === `/models/${good.filename}` || req.url === `/models/${badHash.filename}`) {
    res.writeHead(200, { 'content-length': payload.length });
    res.end(payload);
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
  assert.equal(listWeights().length, 26);
  assert.equal(findWeights('imagenet', 'efficientnet_b3').filename, 'efficientnet_b3_rwightman-cf984f9c.pth');
  assert.deepEqual([findWeights('imagenet', 'efficientnet_b3').cropSize, findWeights('imagenet', 'efficientnet_b3').resizeSize], [300, 320]);
  assert.equal(findWeights('imagenet', 'efficientnet_b1').version, 'IMAGENET1K_V2');
  assert.equal(findWeights('imagenet-v1', 'mobilenet_v3_large').filename, 'mobilenet_v3_large-8738ca79.pth');
  assert.equal(findWeights('mobilenet_v3_small').acc1, 67.668);
  assert.equal(findWeights('efficientnet_v2_s').cropSize, 384);
  for (const w of listWeights()) assert.match(hashPrefixOf(w.filename), /^[0-9a-f]{8}$/);
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
