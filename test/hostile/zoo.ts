// The backbone zoo's CLI inputs: an unknown architecture, and pretrained weights of another family (a resnet18
// checkpoint given to an EfficientNet / MobileNetV3 run). Each is refused with exit 2 and a message naming the
// problem (the allowed architectures; the missing/unexpected keys and the architecture the file holds).
import { tinyModelFile } from '../helpers/model-files.js';
import { dataFolder, wroteNothing } from '../helpers/hostile-commands.js';
import type { HostileCase } from './case.js';

const trainArgs = ['--out', 'run', '--image-size', '32', '--epochs1', '1', '--epochs2', '0', '--batch-size', '4', '--threads', '1'];

export const cases: HostileCase[] = [
  {
    name: 'an unknown architecture (efficientnet_b9), to train',
    async setup(dir) {
      await dataFolder(dir);
      return ['train', 'data', '--arch', 'efficientnet_b9', ...trainArgs];
    },
    code: 2,
    message: /efficientnet_b9[\s\S]*efficientnet_b0[\s\S]*mobilenet_v3_large/,
    after: wroteNothing,
  },
  ...(['mobilenet_v3_small', 'efficientnet_b0'] as const).map((arch): HostileCase => ({
    name: `resnet18 weights given to a ${arch} run, to train --weights`,
    async setup(dir) {
      await dataFolder(dir);
      tinyModelFile(dir);
      return ['train', 'data', '--arch', arch, '--weights', 'model.safetensors', ...trainArgs];
    },
    code: 2,
    message: new RegExp(`model\\.safetensors: cannot load these weights into the ${arch} backbone:[\\s\\S]*missing key\\(s\\)[\\s\\S]*the file holds resnet18 weights; use --arch resnet18`),
    after: wroteNothing,
  })),
];
