// Symbolic links and special files (FIFOs, sockets, devices) given to train, evaluate and predict. One walker
// (src/data/walk.ts) decides for every command: links to files are followed; a folder link is followed only
// to a folder outside the data's class and split folders that nothing else leads to, otherwise the command
// stops and names the link and where it leads. Only regular files are opened: a FIFO would wait for a
// writer for ever. FIFOs here are makeFifo's, which let a wrongly waiting reader go after 4 s (a failure,
// not a hang).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './case.js';
import { writePng } from '../data-fixtures.js';
import { tinyModelFile } from '../helpers/model-files.js';
import { makeFifo, makeSocket, type Fifo } from '../helpers/special-files.js';

const TINY = ['--weights', 'none', '--arch', 'resnet18', '--image-size', '32', '--batch-size', '8', '--threads', '1', '--epochs1', '1', '--epochs2', '0'];

/** n small distinct PNGs in dir (seeds from `seed`). */
async function pngs(dir: string, n: number, seed: number): Promise<void> {
  for (let i = 0; i < n; i++) await writePng(path.join(dir, `${i}.png`), 12, 10, seed + i);
}

/** DIR/{train,val}/{boot,sneaker}/ with a few images each. */
async function splitData(root: string): Promise<string> {
  let seed = 0;
  for (const split of ['train', 'val']) for (const cls of ['boot', 'sneaker']) await pngs(path.join(root, split, cls), split === 'train' ? 4 : 2, (seed += 10));
  return root;
}

const fifos = new Map<string, Fifo>();
function fifoIn(dir: string, name: string): string {
  const file = path.join(dir, name);
  fifos.set(dir, makeFifo(file));
  return file;
}
const releaseFifo = async (dir: string) => { await fifos.get(dir)?.release(); fifos.delete(dir); };

/** The message says the link tlearn refused and where it leads, and the run wrote no model. */
const noModel = (dir: string) => assert.ok(!fs.existsSync(path.join(dir, 'run', 'best_model_final.safetensors')), 'no model is written');

export const cases: HostileCase[] = [
  {
    name: 'a folder link to the data folder inside a class folder (train/sneaker/up -> ../..), to train',
    async setup(dir) {
      await splitData(path.join(dir, 'data'));
      fs.symlinkSync('../..', path.join(dir, 'data', 'train', 'sneaker', 'up'));
      return ['train', 'data', '--out', 'run', ...TINY];
    },
    code: 2,
    message: /train\/sneaker\/up -> \.\.\/\.\. leads to the data folder itself/,
    after: noModel,
  },
  {
    name: 'a folder link to the sibling class (train/sneaker/boots -> ../boot), to train',
    async setup(dir) {
      await splitData(path.join(dir, 'data'));
      fs.symlinkSync('../boot', path.join(dir, 'data', 'train', 'sneaker', 'boots'));
      return ['train', 'data', '--out', 'run', ...TINY];
    },
    code: 2,
    message: /train\/sneaker\/boots -> \.\.\/boot leads into train\/boot\//,
    after: noModel,
  },
  {
    name: 'a split folder that is a link to another split (val -> train), to train',
    async setup(dir) {
      await splitData(path.join(dir, 'data'));
      fs.rmSync(path.join(dir, 'data', 'val'), { recursive: true });
      fs.symlinkSync('train', path.join(dir, 'data', 'val'));
      return ['train', 'data', '--out', 'run', ...TINY];
    },
    code: 2,
    message: /link val -> train leads into train\//,
    after: noModel,
  },
  {
    name: 'two class folders linked to one folder outside the data (train/boot and val/boot -> ../../shoes), to train',
    async setup(dir) {
      await splitData(path.join(dir, 'data'));
      await pngs(path.join(dir, 'shoes'), 4, 100);
      for (const split of ['train', 'val']) {
        fs.rmSync(path.join(dir, 'data', split, 'boot'), { recursive: true });
        fs.symlinkSync('../../shoes', path.join(dir, 'data', split, 'boot'));
      }
      return ['train', 'data', '--out', 'run', ...TINY];
    },
    code: 2,
    message: /val\/boot -> \.\.\/\.\.\/shoes leads to .*shoes, which the scan already reached as train\/boot/,
    after: noModel,
  },
  {
    name: 'a loop of folder links outside the data (a/next -> ../b, b/next -> ../a), to train',
    async setup(dir) {
      await splitData(path.join(dir, 'data'));
      await pngs(path.join(dir, 'a'), 2, 200);
      await pngs(path.join(dir, 'b'), 2, 300);
      fs.symlinkSync('../b', path.join(dir, 'a', 'next'));
      fs.symlinkSync('../a', path.join(dir, 'b', 'next'));
      fs.symlinkSync('../../../a', path.join(dir, 'data', 'train', 'boot', 'more'));
      return ['train', 'data', '--out', 'run', ...TINY];
    },
    code: 2,
    message: /train\/boot\/more\/next\/next -> \.\.\/a leads to .*\ba, a folder that holds the link \(a loop\)/,
    after: noModel,
  },
  {
    name: 'a folder link to the folder itself, to predict',
    async setup(dir) {
      tinyModelFile(dir);
      await pngs(path.join(dir, 'imgs', 'sub'), 2, 0);
      fs.symlinkSync('..', path.join(dir, 'imgs', 'sub', 'up'));
      return ['predict', 'model.safetensors', 'imgs'];
    },
    code: 2,
    message: /sub\/up -> \.\. leads to the folder itself/,
  },
  {
    name: 'a folder with a file link and a folder link to outside it, to predict: both followed, as train follows them',
    async setup(dir) {
      tinyModelFile(dir);
      await pngs(path.join(dir, 'imgs'), 1, 0);
      await pngs(path.join(dir, 'elsewhere'), 2, 10);
      fs.symlinkSync('../elsewhere/1.png', path.join(dir, 'imgs', 'linked.png'));
      fs.symlinkSync('../elsewhere', path.join(dir, 'imgs', 'more'));
      return ['predict', 'model.safetensors', 'imgs', '--csv'];
    },
    code: 0,
    message: /imgs\/linked\.png,[\d.e-]+,[01],(cat|dog)\nimgs\/more\/0\.png,[\d.e-]+,[01],(cat|dog)\nimgs\/more\/1\.png,[\d.e-]+,/,
  },
  {
    name: 'a FIFO named as an image, to predict',
    setup(dir) {
      tinyModelFile(dir);
      fifoIn(dir, 'pipe.png');
      return ['predict', 'model.safetensors', 'pipe.png'];
    },
    code: 2,
    message: /pipe\.png: not a regular file \(a FIFO\)/,
    after: releaseFifo,
  },
  {
    name: '/dev/zero named as an image, to predict',
    setup(dir) {
      tinyModelFile(dir);
      return ['predict', 'model.safetensors', '/dev/zero'];
    },
    code: 2,
    message: /\/dev\/zero: not a regular file \(a character device\)/,
  },
  {
    name: 'a unix socket named as an image, to predict',
    async setup(dir) {
      tinyModelFile(dir);
      await makeSocket(path.join(dir, 'sock.png'));
      return ['predict', 'model.safetensors', 'sock.png'];
    },
    code: 2,
    message: /sock\.png: not a regular file \(a socket\)/,
  },
  {
    name: 'a FIFO named like an image inside a folder given to predict',
    async setup(dir) {
      tinyModelFile(dir);
      await pngs(path.join(dir, 'imgs'), 1, 0);
      fifoIn(path.join(dir, 'imgs'), 'pipe.png');
      return ['predict', 'model.safetensors', 'imgs', '--csv'];
    },
    code: 0,
    message: /cannot predict imgs\/pipe\.png: not a regular file \(a FIFO\)/,
    after: (dir) => releaseFifo(path.join(dir, 'imgs')),
  },
  {
    name: 'a FIFO listed in a CSV, to evaluate',
    async setup(dir) {
      tinyModelFile(dir);
      await pngs(path.join(dir, 'imgs'), 2, 0);
      fifoIn(path.join(dir, 'imgs'), 'pipe.png');
      fs.writeFileSync(path.join(dir, 'data.csv'), 'path,label\nimgs/0.png,cat\nimgs/pipe.png,dog\nimgs/1.png,dog\n');
      return ['evaluate', 'model.safetensors', 'data.csv', '--split', 'all', '--out', 'ev'];
    },
    code: 2,
    message: /line 3: imgs\/pipe\.png \(not a regular file: a FIFO\)/,
    after: (dir) => releaseFifo(path.join(dir, 'imgs')),
  },
  {
    name: 'a FIFO and a link to /dev/zero named like images in a class folder, to evaluate: skipped and named',
    async setup(dir) {
      tinyModelFile(dir);
      await pngs(path.join(dir, 'data', 'test', 'cat'), 2, 0);
      await pngs(path.join(dir, 'data', 'test', 'dog'), 2, 10);
      fifoIn(path.join(dir, 'data', 'test', 'cat'), 'pipe.png');
      fs.symlinkSync('/dev/zero', path.join(dir, 'data', 'test', 'dog', 'zero.png'));
      return ['evaluate', 'model.safetensors', 'data', '--split', 'test', '--out', 'ev'];
    },
    code: 0,
    message: /skipped test\/cat\/pipe\.png: not a regular file \(a FIFO\)[\s\S]*skipped test\/dog\/zero\.png: not a regular file \(a character device\)/,
    after: (dir) => releaseFifo(path.join(dir, 'data', 'test', 'cat')),
  },
  {
    name: 'a FIFO as --config FILE, to train',
    async setup(dir) {
      await splitData(path.join(dir, 'data'));
      fifoIn(dir, 'pipe.yaml');
      return ['train', 'data', '--out', 'run', '--config', 'pipe.yaml', ...TINY];
    },
    code: 2,
    message: /pipe\.yaml[\s\S]*not a regular file \(a FIFO\)/,
    after: async (dir) => { await releaseFifo(dir); noModel(dir); },
  },
  {
    name: 'a FIFO as the data CSV, to train',
    setup(dir) {
      fifoIn(dir, 'data.csv');
      return ['train', 'data.csv', '--out', 'run', ...TINY];
    },
    code: 2,
    message: /data\.csv: not a regular file \(a FIFO\)/,
    after: releaseFifo,
  },
  {
    name: 'a FIFO as MODEL, to predict',
    async setup(dir) {
      await pngs(dir, 1, 0);
      fifoIn(dir, 'model.safetensors');
      return ['predict', 'model.safetensors', '0.png'];
    },
    code: 2,
    message: /model\.safetensors: not a regular file \(a FIFO\)/,
    after: releaseFifo,
  },
  {
    name: "a FIFO as the model's metadata sidecar (MODEL.json), to predict",
    async setup(dir) {
      tinyModelFile(dir);
      await pngs(dir, 1, 0);
      fifoIn(dir, 'model.safetensors.json');
      return ['predict', 'model.safetensors', '0.png'];
    },
    code: 2,
    message: /model\.safetensors\.json: not a regular file \(a FIFO\)/,
    after: releaseFifo,
  },
];
