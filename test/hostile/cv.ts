// `tlearn cv` refusing what it cannot use (issue #20): too few folds, a pool too small for the folds, a resume
// of a folder without a cross-validation; nothing is written.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { writePng } from '../data-fixtures.js';
import type { HostileCase } from './case.js';

/** DIR/data/{train,val}/{a,b}/: `perClass` training and one validation image of each class. */
async function smallData(dir: string, perClass: number): Promise<string> {
  for (const cls of ['a', 'b']) {
    for (let i = 0; i < perClass; i++) await writePng(path.join(dir, 'data', 'train', cls, `${i}.png`), 12, 10, i);
    await writePng(path.join(dir, 'data', 'val', cls, 'v.png'), 12, 10, 7);
  }
  return path.join(dir, 'data');
}

const noRun = (dir: string) => assert.equal(fs.existsSync(path.join(dir, 'run')), false, 'run/ was created');

export const cases: HostileCase[] = [
  {
    name: 'cv with --folds 1',
    setup: async (dir) => ['cv', await smallData(dir, 2), '--out', 'run', '--folds', '1'],
    code: 2,
    message: /--folds/,
    after: noRun,
  },
  {
    name: 'cv with more folds than a class has images in train + val',
    setup: async (dir) => ['cv', await smallData(dir, 2), '--out', 'run', '--folds', '4', '--arch', 'resnet18', '--weights', 'none', '--image-size', '32'],
    code: 2,
    message: /too few images for 4 stratified folds[\s\S]*class 'a' has 3 images/,
    after: noRun,
  },
  {
    name: 'cv --resume of a folder without a cross-validation',
    setup: async (dir) => { fs.mkdirSync(path.join(dir, 'run')); return ['cv', '--out', 'run', '--folds', '3', '--resume']; },
    code: 2,
    message: /holds no cross-validation/,
  },
];
