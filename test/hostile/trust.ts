// Issue 20's refusals: explain with a class the model does not have, an ONNX file (no gradients) or a stage that
// is not one; a --tta mode that is not one; a checkpoint whose calibration temperature is not a positive number, or
// whose conformal record is not one; a --conformal or --random-erasing value out of range.
import path from 'node:path';
import fs from 'node:fs';
import { writePng } from '../data-fixtures.js';
import { tinyModelFile } from '../helpers/model-files.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/index.js';
import type { HostileCase } from './case.js';

async function modelAndImage(dir: string): Promise<void> {
  tinyModelFile(dir);
  await writePng(path.join(dir, 'img.png'), 20, 16, 1);
}

export const cases: HostileCase[] = [
  {
    name: 'a --class the model does not have, to explain',
    setup: async (dir) => { await modelAndImage(dir); return ['explain', 'model.safetensors', 'img.png', '--out', 'cam', '--class', 'bird']; },
    code: 2,
    message: /--class "bird" is not one of the model's classes \(cat, dog\)/,
  },
  {
    name: 'an ONNX model, to explain',
    setup: async (dir) => { await modelAndImage(dir); fs.writeFileSync(path.join(dir, 'model.onnx'), 'x'); return ['explain', 'model.onnx', 'img.png', '--out', 'cam']; },
    code: 2,
    message: /explain needs the model's gradients: give its checkpoint/,
  },
  {
    name: 'a --layer that is not a feature-map stage of the model, to explain',
    setup: async (dir) => { await modelAndImage(dir); return ['explain', 'model.safetensors', 'img.png', '--out', 'cam', '--layer', 'fc']; },
    code: 2,
    message: /--layer "fc" is not a feature-map stage of resnet18; choose one of layer1, layer2, layer3, layer4/,
  },
  {
    name: 'a --tta mode that is not one, to serve',
    setup: async (dir) => { await modelAndImage(dir); return ['serve', 'model.safetensors', '--tta', 'rotate']; },
    code: 2,
    message: /--tta.*'rotate' is invalid\. Allowed choices are flip/,
  },
  {
    name: 'a checkpoint whose conformal q̂ is above 1, to serve',
    setup: async (dir) => {
      tinyModelFile(dir);
      const file = path.join(dir, 'model.safetensors');
      const ckpt = loadCheckpoint(file);
      saveCheckpoint(file, ckpt.tensors, { ...ckpt.metadata, conformal: { alpha: 0.1, qhat: 7, n: 50 } });
      return ['serve', 'model.safetensors'];
    },
    code: 2,
    message: /checkpoint metadata conformal\.qhat 7 is out of range \(\[0, 1\]\): .*model\.safetensors/,
  },
  {
    name: 'a --conformal of 1, to train',
    setup: async (dir) => { await modelAndImage(dir); return ['train', dir, '--out', 'run', '--conformal', '1']; },
    code: 2,
    message: /--conformal.*expected a number from 0 to 1 \(1 excluded\)/,
  },
  {
    name: 'a --random-erasing of 0, to train',
    setup: async (dir) => { await modelAndImage(dir); return ['train', dir, '--out', 'run', '--random-erasing', '0']; },
    code: 2,
    message: /--random-erasing \(config\.randomErasing\.p\).*0/,
  },
  ...([0, -1.5, 'NaN'] as const).map((t): HostileCase => ({
    name: `a checkpoint with temperature ${JSON.stringify(t)}, to predict`,
    setup: async (dir) => {
      tinyModelFile(dir);
      await writePng(path.join(dir, 'img.png'), 20, 16, 1);
      const file = path.join(dir, 'model.safetensors');
      // Written by the io layer, which stores metadata as given: only the model reader checks it.
      const ckpt = loadCheckpoint(file);
      saveCheckpoint(file, ckpt.tensors, { ...ckpt.metadata, temperature: t });
      return ['predict', 'model.safetensors', 'img.png'];
    },
    code: 2,
    message: new RegExp(`checkpoint metadata temperature ${t === 'NaN' ? '"NaN" must be a positive number, or null' : `${t} is out of range \\(> 0\\)`}`),
  })),
];
