// Non-finite models and forged checkpoint metadata: a tlearn checkpoint whose weights hold NaN or inf, whose
// finite weights overflow in the forward pass, or whose metadata holds values training would never accept,
// given to predict, evaluate, export and train --weights. Each is refused with exit 2 and a message naming
// the tensor (by its state_dict key) or the metadata key and value; nothing is written.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { HostileCase } from './case.js';
import { forgeModelFile, OVERFLOWING, type Forgery } from '../helpers/forged-models.js';
import { tinyModelFile } from '../helpers/model-files.js';

type Command = 'predict' | 'evaluate' | 'export' | 'export --classes' | 'train --weights';

async function png(file: string, shade: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: 12, height: 10, channels: 3, background: { r: shade, g: 90, b: 200 - shade } } }).png().toFile(file);
}

/** data/{train,val,test}/{cat,dog}: two small images each (the tiny model's classes). */
async function dataFolder(dir: string): Promise<void> {
  for (const split of ['train', 'val', 'test']) {
    for (const [c, base] of [['cat', 10], ['dog', 150]] as const) {
      for (let i = 0; i < 2; i++) await png(path.join(dir, 'data', split, c, `${i}.png`), base + 9 * i);
    }
  }
}

/** tlearn's arguments for `command` reading `model` (in dir); writes the images it needs. */
async function args(dir: string, command: Command, model: string): Promise<string[]> {
  switch (command) {
    case 'predict':
      await png(path.join(dir, 'photo.png'), 60);
      return ['predict', model, 'photo.png'];
    case 'evaluate':
      await dataFolder(dir);
      return ['evaluate', model, 'data', '--out', 'eval-out'];
    case 'export':
      return ['export', model, '--out', model.endsWith('.pth') ? 'exported.safetensors' : 'exported.pth'];
    case 'export --classes':
      return ['export', model, '--classes', 'cat,dog', '--image-size', '32', '--out', 'exported.safetensors'];
    case 'train --weights':
      await dataFolder(dir);
      return ['train', 'data', '--out', 'run', '--weights', path.join(dir, model), '--arch', 'resnet18', '--image-size', '32',
        '--epochs1', '1', '--epochs2', '0', '--batch-size', '4', '--threads', '1'];
  }
}

/** Nothing written: no export, no evaluation folder, no trained model (train's data check may stay). */
function wroteNothing(dir: string): void {
  for (const out of ['eval-out', 'exported.pth', 'exported.safetensors']) {
    assert.equal(fs.existsSync(path.join(dir, out)), false, `${out} was written although the model was refused`);
  }
  const run = path.join(dir, 'run');
  if (fs.existsSync(run)) {
    const left = fs.readdirSync(run).filter((f) => !['config.json', 'audit.json', 'manifest.csv'].includes(f));
    assert.deepEqual(left, [], 'train went beyond its start although the weights were refused');
  }
}

/** A case: the tiny cat/dog checkpoint forged as `f`, saved as `file` and given to `command`. */
function forged(name: string, command: Command, file: string, f: Forgery, gist: RegExp): HostileCase {
  return {
    name: `${name}, to ${command}`,
    async setup(dir) {
      forgeModelFile(tinyModelFile(dir), path.join(dir, file), f);
      fs.rmSync(path.join(dir, 'model.safetensors'));
      return args(dir, command, file);
    },
    code: 2,
    message: gist,
    after: wroteNothing,
  };
}

const nanAt = (key: string, i = 3): Forgery['tensors'] => ({ [key]: (v: Float32Array) => { v[i] = Number.NaN; } });
const infAt = (key: string, i = 0): Forgery['tensors'] => ({ [key]: (v: Float32Array) => { v[i] = Number.POSITIVE_INFINITY; } });
const OVERFLOW = /m\.safetensors: the model's output is NaN for \d+ of \d+ images \(the first: .*\); its weights are finite, so the forward pass overflowed/;

export const cases: HostileCase[] = [
  forged('a checkpoint with a NaN weight', 'predict', 'm.safetensors', { tensors: nanAt('layer4.1.conv2.weight') },
    /m\.safetensors: weights contain NaN: layer4\.1\.conv2\.weight\b/),
  forged('a .pth checkpoint with an inf running variance', 'evaluate', 'm.pth', { tensors: infAt('bn1.running_var') },
    /m\.pth: weights contain inf: bn1\.running_var\b/),
  forged('a checkpoint with a NaN bias', 'export', 'm.safetensors', { tensors: nanAt('fc.1.bias', 0) },
    /m\.safetensors: weights contain NaN: fc\.1\.bias\b/),
  forged('a plain state_dict with -inf weights', 'export --classes', 'm.pth', { plain: true, tensors: { 'layer1.0.conv1.weight': Number.NEGATIVE_INFINITY } },
    /m\.pth: weights contain inf: layer1\.0\.conv1\.weight\b/),
  forged('pretrained weights with a NaN', 'train --weights', 'm.pth', { tensors: nanAt('layer2.1.bn2.weight') },
    /m\.pth: weights contain NaN: layer2\.1\.bn2\.weight\b/),
  forged('finite weights that overflow float32 in the forward pass', 'predict', 'm.safetensors', { tensors: OVERFLOWING }, OVERFLOW),
  forged('finite weights that overflow float32 in the forward pass', 'evaluate', 'm.safetensors', { tensors: OVERFLOWING }, OVERFLOW),
  forged('metadata imageSize 100000', 'predict', 'm.safetensors', { metadata: { imageSize: 100000 } },
    /checkpoint metadata imageSize 100000 is out of range \(32-4096\): .*m\.safetensors/),
  forged('metadata imageSize 100000', 'export', 'm.pth', { metadata: { imageSize: 100000 } },
    /checkpoint metadata imageSize 100000 is out of range \(32-4096\): .*m\.pth/),
  forged('metadata threshold 1e999 (Infinity)', 'evaluate', 'm.safetensors', { rawMetadata: { threshold: '1e999' } },
    /checkpoint metadata threshold Infinity must be a number ≥ 0 and ≤ 1: .*m\.safetensors/),
  forged('metadata std with a zero', 'predict', 'm.pth', { metadata: { std: [0.229, 0, 0.225] } },
    /checkpoint metadata std \[0\.229,0,0\.225\] must be three positive numbers: /),
  forged('metadata classes of one name twice', 'export', 'm.safetensors', { metadata: { classes: ['cat', 'cat'], positiveClass: 'cat' } },
    /checkpoint metadata classes \["cat","cat"\] must be two different non-empty class names/),
  forged('metadata from a newer format', 'predict', 'm.safetensors', { metadata: { formatVersion: 7 } },
    /checkpoint metadata formatVersion 7 is newer than this tlearn reads \(1\); update tlearn/),
  forged('metadata extra.seed -1 (the split evaluate redraws)', 'evaluate', 'm.safetensors', { metadata: { extra: { seed: -1 } } },
    /checkpoint metadata extra\.seed -1 is out of range \(0-4294967295\)/),
  forged('metadata toolVersion of 100 kB', 'evaluate', 'm.safetensors', { metadata: { toolVersion: 'x'.repeat(100_000) } },
    /checkpoint metadata toolVersion "x{90,}\.\.\. must be a version of at most 100 characters/),
];
