// Checkpoint metadata is validated like a configuration: every field of a forged file is checked on load with
// the bounds training itself uses (one definition, src/models/bounds.ts), and the message names the key and
// the bad value (at most ~100 characters of it) and the file.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModelFile } from '../src/models/index.js';
import { buildConfig } from '../src/train/config/validate.js';
import { forgeModelFile } from './helpers/forged-models.js';
import { tinyModelFile } from './helpers/model-files.js';
import { runPython } from './helpers/python.js';
import { PY_MODELS, tempDir } from './models-helpers.js';

const dir = tempDir('meta');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const good = tinyModelFile(dir);
let n = 0;

/** The message loadModelFile gives for `good` with `metadata` forged into it (as .safetensors or .pth). */
function refusal(metadata: Record<string, unknown>, ext = 'safetensors', raw?: Record<string, string>): string {
  const file = forgeModelFile(good, path.join(dir, `forged${n++}.${ext}`), { metadata, rawMetadata: raw });
  try {
    loadModelFile(file).model.dispose();
  } catch (e) {
    const message = (e as Error).message;
    assert.ok(message.endsWith(file), `the file is named at the end: ${message}`);
    return message;
  }
  return assert.fail(`${JSON.stringify(metadata ?? raw)} was accepted`);
}

const long = 'v'.repeat(5000);
// [forged metadata, the message's gist]
const CASES: [Record<string, unknown>, RegExp][] = [
  [{ imageSize: 100000 }, /^checkpoint metadata imageSize 100000 is out of range \(32-4096\): /],
  [{ imageSize: 16 }, /^checkpoint metadata imageSize 16 is out of range \(32-4096\): /],
  [{ imageSize: 224.5 }, /^checkpoint metadata imageSize 224\.5 must be an integer ≥ 32 and ≤ 4096: /],
  [{ imageSize: 'big' }, /^checkpoint metadata imageSize "big" must be an integer ≥ 32 and ≤ 4096: /],
  [{ imageSize: null }, /^checkpoint metadata imageSize null must be an integer/],
  [{ formatVersion: 2 }, /^checkpoint metadata formatVersion 2 is newer than this tlearn reads \(1\); update tlearn: /],
  [{ formatVersion: 0 }, /^checkpoint metadata formatVersion 0 is out of range \(≥ 1\): /],
  [{ arch: 'resnet9000' }, /^checkpoint metadata arch "resnet9000" must be a known architecture \(resnet18 … [a-z0-9_]+: tlearn weights list shows them all\): /],
  [{ dropout: 1 }, /^checkpoint metadata dropout 1 is out of range \(\[0, 1\)\): /],
  [{ dropout: '0.5' }, /^checkpoint metadata dropout "0\.5" must be a number ≥ 0 and < 1: /],
  [{ classes: ['a', 'a'] }, /^checkpoint metadata classes \["a","a"\] must be two different non-empty class names/],
  [{ classes: 'cat,dog' }, /^checkpoint metadata classes "cat,dog" must be two different/],
  [{ classes: ['cat', 'dog'], positiveClass: 7 }, /^checkpoint metadata positiveClass 7 must be a string: /],
  [{ classes: ['cat', 'dog'], positiveClass: 'cat' }, /^checkpoint metadata positiveClass "cat" must be the second of classes \["cat","dog"\]: /],
  [{ resize: 'stretch' }, /^checkpoint metadata resize "stretch" must be "squash" or "crop": /],
  [{ mean: [0.5, 'x', 0.4] }, /^checkpoint metadata mean \[0\.5,"x",0\.4\] must be three finite numbers: /],
  [{ std: [0.2, 0, 0.2] }, /^checkpoint metadata std \[0\.2,0,0\.2\] must be three positive numbers: /],
  [{ threshold: -0.1 }, /^checkpoint metadata threshold -0\.1 is out of range \(\[0, 1\]\): /],
  [{ phase: 5 }, /^checkpoint metadata phase 5 must be a phase name/],
  [{ phase: 'p'.repeat(101) }, /^checkpoint metadata phase "p{20,}…p{20,}" \(103 characters\) must be a phase name of at most 100 bytes, or null: /],
  [{ epoch: -1 }, /^checkpoint metadata epoch -1 is out of range \(≥ 0\): /],
  [{ epoch: '3' }, /^checkpoint metadata epoch "3" must be an integer ≥ 0, or null: /],
  [{ metrics: { val_auc: 'high' } }, /^checkpoint metadata metrics\.val_auc "high" must be a number or null: /],
  [{ metrics: [0.9] }, /^checkpoint metadata metrics \[0\.9\] must be an object of numbers/],
  [{ weights: 5 }, /^checkpoint metadata weights 5 must be a string, or null: /],
  [{ toolVersion: long }, /^checkpoint metadata toolVersion "v{20,}…v{20,}" \(5002 characters\) must be a version of at most 100 characters: /],
  [{ createdAt: 'yesterday' }, /^checkpoint metadata createdAt "yesterday" must be a date and time \(ISO 8601\), or null: /],
  [{ extra: 'x' }, /^checkpoint metadata extra "x" must be an object: /],
  [{ extra: { seed: -1 } }, /^checkpoint metadata extra\.seed -1 is out of range \(0-4294967295\): /],
  [{ extra: { val_fraction: 1.5 } }, /^checkpoint metadata extra\.val_fraction 1\.5 is out of range \(\[0, 1\)\): /],
  [{ extra: { test_fraction: 'x' } }, /^checkpoint metadata extra\.test_fraction "x" must be a number ≥ 0 and < 1: /],
  [{ extra: { val_fraction: 0.6, test_fraction: 0.5 } }, /^checkpoint metadata extra\.val_fraction \+ extra\.test_fraction 0\.6 \+ 0\.5 must be below 1: /],
  [{ extra: { pos_weight: 0 } }, /^checkpoint metadata extra\.pos_weight 0 is out of range \(> 0\): /],
];

test('every metadata field of a forged safetensors checkpoint is checked: the key, the value and the file are named', () => {
  for (const [metadata, gist] of CASES) {
    const message = refusal(metadata);
    assert.match(message, gist, JSON.stringify(metadata).slice(0, 100));
    // At most ~100 characters of a value are quoted.
    assert.ok(message.length < 100 + 150 + dir.length, `short: ${message}`);
  }
});

test('values only JSON text can hold (1e999 is read as Infinity) are refused', () => {
  assert.match(refusal({}, 'safetensors', { threshold: '1e999' }), /^checkpoint metadata threshold Infinity must be a number ≥ 0 and ≤ 1: /);
  assert.match(refusal({}, 'safetensors', { mean: '[0.4,-1e999,0.4]' }), /^checkpoint metadata mean \[0\.4,-Infinity,0\.4\] must be three finite numbers: /);
});

test('forged .pth metadata (tlearn\'s writer, and a PyTorch-written file) is checked the same way', () => {
  assert.match(refusal({ imageSize: 100000 }, 'pth'), /^checkpoint metadata imageSize 100000 is out of range \(32-4096\): /);
  const file = path.join(dir, 'python.pth');
  runPython(PY_MODELS + `
import json
sd = seed_model('resnet18').state_dict()
sd.tlearn_metadata = '{"kind": "tlearn.binary-classifier", "arch": "resnet18", "classes": ["cat", "dog"], "imageSize": 32, "threshold": 1e999}'
torch.save(sd, inp)
`, file);
  assert.throws(() => loadModelFile(file), /checkpoint metadata threshold Infinity must be a number ≥ 0 and ≤ 1: .*python\.pth$/);
});

test('the metadata and the configuration share their bounds: what training accepts, a checkpoint may hold', () => {
  const config = (imageSize: number) => buildConfig({ data: { path: '/d' }, input: { imageSize } }).issues.map((i) => i.message);
  for (const size of [32, 4096]) {
    assert.deepEqual(config(size), []);
    loadModelFile(forgeModelFile(good, path.join(dir, `ok${size}.safetensors`), { metadata: { imageSize: size } })).model.dispose();
  }
  for (const size of [31, 4097]) {
    assert.equal(config(size).length, 1);
    assert.match(refusal({ imageSize: size }), /out of range \(32-4096\)/);
  }
  // Good files still load: the defaults and every value tlearn writes pass.
  const { model, metadata } = loadModelFile(good);
  model.dispose();
  assert.equal(metadata.imageSize, 32);
});
