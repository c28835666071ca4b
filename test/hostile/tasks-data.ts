// Data that no task can learn from, or that cannot be split for its task (issue 16): each is refused before
// training with exit 2 and a message naming what was found.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { tinyModelFile } from '../helpers/model-files.js';
import type { HostileCase } from './case.js';

/** A small PNG whose colour depends on `k` (distinct files, no duplicates in the audit). */
async function png(file: string, k: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: 12, height: 10, channels: 3, background: { r: (37 * k) % 256, g: (91 * k) % 256, b: (13 * k) % 256 } } })
    .png().toFile(file);
}

/** DIR/data/<class>/<i>.png for each class and count. */
async function classFolders(dir: string, counts: Record<string, number>): Promise<void> {
  let k = 0;
  for (const [c, n] of Object.entries(counts)) for (let i = 0; i < n; i++) await png(path.join(dir, 'data', c, `${i}.png`), k++);
}

/** DIR/data/labels.csv listing one PNG per row: `path,labels[,split]` with the rows' label lists. */
async function labelsCsv(dir: string, rows: Array<[string, string?]>): Promise<void> {
  const lines = [`path,labels${rows[0]![1] !== undefined ? ',split' : ''}`];
  for (const [i, [labels, split]] of rows.entries()) {
    await png(path.join(dir, 'data', `im${i}.png`), i);
    lines.push(`im${i}.png,"${labels}"${split !== undefined ? `,${split}` : ''}`);
  }
  fs.writeFileSync(path.join(dir, 'data', 'labels.csv'), lines.join('\n') + '\n');
}

const train = (data = 'data') => ['train', data, '--out', 'run', '--weights', 'none', '--epochs1', '1', '--epochs2', '0', '--image-size', '32'];

export const cases: HostileCase[] = [
  {
    name: 'a data folder with one class folder, to train',
    async setup(dir) {
      await classFolders(dir, { cats: 3 });
      return train();
    },
    code: 2,
    message: /1 class found: cats \(3 images\); at least 2 are needed/,
  },
  {
    name: 'three class folders and --positive, to train',
    async setup(dir) {
      await classFolders(dir, { a: 4, b: 4, c: 4 });
      return [...train(), '--positive', 'b'];
    },
    code: 2,
    message: /positive class 'b' is given, but the task is multiclass \(3 classes found: a, b, c \(4, 4 and 4 images\)\): a positive class belongs to a binary task only/,
  },
  {
    name: 'a multilabel CSV with a label on only two images, to train',
    async setup(dir) {
      await labelsCsv(dir, [['x;y'], ['x'], ['y'], ['x;rare'], ['y;rare'], ['x;y'], ['']].map(([l]) => [l!]));
      return train('data/labels.csv');
    },
    code: 2,
    message: /label 'rare' has only 2 images; it needs at least 3 images \(one for each of train, val, test\)/,
  },
  {
    name: 'a multilabel CSV whose given val split lacks a label, to train',
    async setup(dir) {
      await labelsCsv(dir, [['x', 'train'], ['y', 'train'], ['x;y', 'train'], ['x', 'val'], ['x', 'val']]);
      return train('data/labels.csv');
    },
    code: 2,
    message: /split 'val' has no usable images of label 'y' \(train 2, val 0, test 0\)/,
  },
  {
    name: 'three class folders for a two-class model, to evaluate',
    async setup(dir) {
      tinyModelFile(dir);
      await classFolders(dir, { cat: 2, dog: 2, emu: 2 });
      return ['evaluate', 'model.safetensors', 'data', '--out', 'eval-out'];
    },
    code: 2,
    message: /3 classes found: cat, dog, emu \(2, 2 and 2 images\); \S*model\.safetensors is a binary model of cat, dog/,
  },
];
