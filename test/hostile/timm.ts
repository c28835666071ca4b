// timm's files and names: a RegNet file in timm's key layout with a key outside the one-to-one renaming (to predict
// and as start weights), and timm's name of one architecture's weights given for another. Each is refused with
// exit 2 naming the key or the names; nothing is written.
import path from 'node:path';
import { writePth, type StateDictRecords } from '../../src/io/index.js';
import { dataFolder, readingModel, wroteNothing } from '../helpers/hostile-commands.js';
import type { HostileCase } from './case.js';

/** A RegNet state_dict in timm's layout (stem.conv, s1.b1...) whose third key has no torchvision counterpart. */
function badTimmRegNet(file: string): void {
  const t = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) });
  const records: StateDictRecords = new Map([
    ['stem.conv.weight', t([32, 3, 3, 3])],
    ['s1.b1.conv1.conv.weight', t([48, 32, 1, 1])],
    ['s1.b1.attn.qkv.weight', t([4, 4])],
  ]);
  writePth(file, records);
}

const BAD_KEY = /timm\.pth: a timm RegNet state_dict .*its key 's1\.b1\.attn\.qkv\.weight' has no torchvision counterpart/;

export const cases: HostileCase[] = [
  {
    name: 'a timm RegNet file with a key outside the renaming, to predict',
    async setup(dir) {
      badTimmRegNet(path.join(dir, 'timm.pth'));
      return readingModel(dir, 'predict', 'timm.pth');
    },
    code: 2,
    message: BAD_KEY,
    after: wroteNothing,
  },
  {
    name: 'a timm RegNet file with a key outside the renaming, to train --weights (regnet_y_400mf)',
    async setup(dir) {
      badTimmRegNet(path.join(dir, 'timm.pth'));
      await dataFolder(dir);
      return ['train', 'data', '--out', 'run', '--weights', 'timm.pth', '--arch', 'regnet_y_400mf', '--image-size', '32',
        '--epochs1', '1', '--epochs2', '0', '--batch-size', '4', '--threads', '1'];
    },
    code: 2,
    message: BAD_KEY,
    after: wroteNothing,
  },
  {
    name: 'timm\'s regnety_004.tv2_in1k for the default resnet50, to train',
    async setup(dir) {
      await dataFolder(dir);
      return ['train', 'data', '--out', 'run', '--weights', 'regnety_004.tv2_in1k', '--epochs1', '1', '--epochs2', '0'];
    },
    code: 2,
    message: /weights 'regnety_004\.tv2_in1k' are for regnet_y_400mf, not resnet50/,
    after: wroteNothing,
  },
];
