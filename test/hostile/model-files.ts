// Non-finite models and forged checkpoint metadata: a tlearn checkpoint whose weights hold NaN or inf, whose
// finite weights overflow in the forward pass, or whose metadata holds values training would never accept,
// given to predict, evaluate, export and train --weights. Each is refused with exit 2 and a message naming
// the tensor (by its state_dict key) or the metadata key and value; nothing is written.
import fs from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './case.js';
import { forgeModelFile, OVERFLOWING, type Forgery } from '../helpers/forged-models.js';
import { tinyModelFile } from '../helpers/model-files.js';
import { readingModel, wroteNothing, type ModelCommand } from '../helpers/hostile-commands.js';

function forged(name: string, command: ModelCommand, file: string, f: Forgery, gist: RegExp): HostileCase {
  return {
    name: `${name}, to ${command}`,
    async setup(dir) {
      forgeModelFile(tinyModelFile(dir), path.join(dir, file), f);
      fs.rmSync(path.join(dir, 'model.safetensors'));
      return readingModel(dir, command, file);
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
    /checkpoint metadata toolVersion "x{50,}…x{30,}" \(100002 characters\) must be a version of at most 100 characters/),
];
