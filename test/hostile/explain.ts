// `tlearn explain` refusals (issue 20): a class the model does not have, an ONNX file (no gradients), a missing layer.
import path from 'node:path';
import fs from 'node:fs';
import { writePng } from '../data-fixtures.js';
import { tinyModelFile } from '../helpers/model-files.js';
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
    name: 'a --layer that is not a ResNet stage, to explain',
    setup: async (dir) => { await modelAndImage(dir); return ['explain', 'model.safetensors', 'img.png', '--out', 'cam', '--layer', 'fc']; },
    code: 2,
    message: /--layer.*'fc' is invalid/,
  },
];
