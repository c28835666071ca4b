// Settings that do not fit the run's task, and models whose task metadata does not add up (issue 16): each is
// refused with exit 2 and a message that names the key (or flag) and what the data or the file holds, before
// anything is trained or written.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { saveModelFile, ImageClassifier } from '../../src/models/index.js';
import type { HostileCase } from './case.js';

async function classFolders(dir: string, counts: Record<string, number>): Promise<void> {
  let k = 0;
  for (const [c, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) {
      const file = path.join(dir, 'data', c, `${i}.png`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      k++;
      await sharp({ create: { width: 12, height: 10, channels: 3, background: { r: (37 * k) % 256, g: (91 * k) % 256, b: (13 * k) % 256 } } }).png().toFile(file);
    }
  }
}

const train = (...extra: string[]) => ['train', 'data', '--out', 'run', '--arch', 'resnet18', '--weights', 'none', '--epochs1', '1', '--epochs2', '0', '--image-size', '32', ...extra];
const nothingWritten = (dir: string) => {
  if (fs.existsSync(path.join(dir, 'run', 'config.json'))) throw new Error('config.json was written');
};

/** A 3-output resnet18 checkpoint whose metadata is `meta` (saved as tlearn writes it). */
function threeOutputModel(dir: string, meta: Record<string, unknown>): string {
  const file = path.join(dir, 'model.safetensors');
  const model = new ImageClassifier({ arch: 'resnet18', outputs: 3, activation: 'softmax' });
  try {
    saveModelFile(file, model, { task: 'multiclass', classes: ['a', 'b', 'c'], positiveClass: null, imageSize: 32, ...meta });
  } finally {
    model.dispose();
  }
  return file;
}

export const cases: HostileCase[] = [
  {
    name: '--label-smoothing on two classes (a binary run)',
    async setup(dir) { await classFolders(dir, { cat: 3, dog: 3 }); return train('--label-smoothing', '0.1'); },
    code: 2, message: /labelSmoothing is for multiclass tasks.*task is binary/, after: nothingWritten,
  },
  {
    name: '--class-weights auto on two classes (a binary run)',
    async setup(dir) { await classFolders(dir, { cat: 3, dog: 3 }); return train('--class-weights', 'auto'); },
    code: 2, message: /classWeights is for multiclass tasks/, after: nothingWritten,
  },
  {
    name: '--pos-weight auto on three classes (a multiclass run)',
    async setup(dir) { await classFolders(dir, { a: 3, b: 3, c: 3 }); return train('--pos-weight', 'auto'); },
    code: 2, message: /posWeight is for binary and multilabel tasks/, after: nothingWritten,
  },
  {
    name: '--focal-loss beside --label-smoothing on three classes (the focal loss replaces cross-entropy)',
    async setup(dir) { await classFolders(dir, { a: 3, b: 3, c: 3 }); return train('--focal-loss', '--label-smoothing', '0.1'); },
    code: 2, message: /labelSmoothing smooths the targets of cross-entropy, which focalLoss replaces/, after: nothingWritten,
  },
  {
    name: '--sampler balanced on a multi-label CSV',
    async setup(dir) {
      await classFolders(dir, { all: 12 });
      const sets = ['x', 'y', 'x;y', ''];
      const rows = Array.from({ length: 12 }, (_, i) => `data/all/${i}.png,${sets[i % 4]},${i < 6 ? 'train' : i < 9 ? 'val' : 'test'}`);
      fs.writeFileSync(path.join(dir, 'labels.csv'), ['path,label,split', ...rows].join('\n') + '\n');
      return ['train', 'labels.csv', ...train('--sampler', 'balanced').slice(2)];
    },
    code: 2, message: /config\.sampler.*a multilabel image has several labels: weigh each label's positives with posWeight/, after: nothingWritten,
  },
  {
    name: 'two class weights for three classes',
    async setup(dir) { await classFolders(dir, { a: 3, b: 3, c: 3 }); return train('--set', 'classWeights=[1, 2]'); },
    code: 2, message: /classWeights has 2 values; the data has 3 classes/, after: nothingWritten,
  },
  {
    name: '--task binary on three class folders',
    async setup(dir) { await classFolders(dir, { a: 3, b: 3, c: 3 }); return train('--task', 'binary'); },
    code: 2, message: /3 classes found: a, b, c.*binary needs exactly 2/, after: nothingWritten,
  },
  {
    name: 'an unknown --task',
    async setup(dir) { await classFolders(dir, { a: 3, b: 3 }); return train('--task', 'regression'); },
    code: 2, message: /--task.*regression.*(binary|choices)/, after: nothingWritten,
  },
  {
    name: 'a multilabel checkpoint with two thresholds for three labels, to predict',
    async setup(dir) {
      const file = threeOutputModel(dir, {});
      const { loadCheckpoint, saveCheckpoint } = await import('../../src/io/index.js');
      const ckpt = loadCheckpoint(file);
      saveCheckpoint(file, ckpt.tensors, { ...ckpt.metadata, task: 'multilabel', thresholds: [0.5, 0.5] });
      await classFolders(dir, { x: 1 });
      return ['predict', file, 'data/x/0.png'];
    },
    code: 2, message: /thresholds \[0\.5,0\.5\] must hold one threshold per class \(3\)/,
  },
  {
    name: 'a multiclass checkpoint with a positive class, to predict',
    async setup(dir) {
      const file = threeOutputModel(dir, {});
      // Forged after writing: the writer itself refuses a positive class beyond binary.
      const { loadCheckpoint, saveCheckpoint } = await import('../../src/io/index.js');
      const ckpt = loadCheckpoint(file);
      saveCheckpoint(file, ckpt.tensors, { ...ckpt.metadata, positiveClass: 'b' });
      await classFolders(dir, { x: 1 });
      return ['predict', file, 'data/x/0.png'];
    },
    code: 2, message: /positiveClass "b" must be null: a multiclass model has no positive class/,
  },
  {
    name: 'a 3-class model evaluated on data with a class it does not know',
    async setup(dir) {
      const model = threeOutputModel(dir, {});
      await classFolders(dir, { a: 2, b: 2, zebra: 2 });
      return ['evaluate', model, 'data', '--split', 'all', '--out', 'eval'];
    },
    code: 2, message: /zebra/,
  },
  {
    name: 'a binary checkpoint whose head has 3 outputs, to predict',
    async setup(dir) {
      const file = threeOutputModel(dir, {});
      const { loadCheckpoint, saveCheckpoint } = await import('../../src/io/index.js');
      const ckpt = loadCheckpoint(file);
      saveCheckpoint(file, ckpt.tensors, { ...ckpt.metadata, task: 'binary', classes: ['a', 'b'], positiveClass: 'b' });
      await classFolders(dir, { x: 1 });
      return ['predict', file, 'data/x/0.png'];
    },
    code: 2, message: /'fc\.1\.weight' has 3 outputs; a binary model of 2 classes has 1/,
  },
];
