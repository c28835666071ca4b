// ConvNeXt / RegNet / ViT CLI inputs: ViT-B/16 at another image size than the 224 px its position embedding fixes
// (refused before anything is written, naming the size), and an unknown variant of the new families.
import { dataFolder, wroteNothing } from '../helpers/hostile-commands.js';
import type { HostileCase } from './case.js';

const trainArgs = ['--out', 'run', '--epochs1', '1', '--epochs2', '0', '--batch-size', '4', '--threads', '1'];

export const cases: HostileCase[] = [
  {
    name: 'vit_b_16 with --image-size 64 (its position embedding fixes 224), to train',
    async setup(dir) {
      await dataFolder(dir);
      return ['train', 'data', '--arch', 'vit_b_16', '--image-size', '64', ...trainArgs];
    },
    code: 2,
    message: /imageSize[\s\S]*vit_b_16 takes 224×224 images only[\s\S]*got 64/,
    after: wroteNothing,
  },
  {
    name: 'an unknown RegNet variant (regnet_y_800mf), to train',
    async setup(dir) {
      await dataFolder(dir);
      return ['train', 'data', '--arch', 'regnet_y_800mf', '--image-size', '32', ...trainArgs];
    },
    code: 2,
    message: /regnet_y_800mf[\s\S]*regnet_y_400mf[\s\S]*vit_b_16/,
    after: wroteNothing,
  },
];
