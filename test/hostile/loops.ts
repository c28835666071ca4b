// Symbolic link loops in the images tlearn is given: a link to itself, two links to each other (named like
// images), and two folder-named links to each other. Nothing may hang; a loop named like an image is an
// unreadable file named with the reason (a link loop), never dropped in silence or called missing. The
// links of loops through real folders (a/next -> ../b ...) are the walker's own cases (links-and-special-
// files.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { HostileCase } from './case.js';
import { dataFolder } from '../helpers/hostile-commands.js';
import { tinyModelFile } from '../helpers/model-files.js';

/** The reason given for a loop: it says loop in words (not only the errno ELOOP). */
const LOOP = /\bloop\b/i;

/** In `folder`: self.png -> self.png, and x.png -> y.png -> x.png. */
function imageLoops(folder: string): void {
  fs.mkdirSync(folder, { recursive: true });
  fs.symlinkSync('self.png', path.join(folder, 'self.png'));
  fs.symlinkSync('y.png', path.join(folder, 'x.png'));
  fs.symlinkSync('x.png', path.join(folder, 'y.png'));
}

async function goodPng(file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: 12, height: 10, channels: 3, background: '#4080c0' } }).png().toFile(file);
}

const TINY = ['--weights', 'none', '--arch', 'resnet18', '--image-size', '32', '--epochs1', '1', '--epochs2', '0', '--threads', '1'];

export const cases: HostileCase[] = [
  // Fixed by the walker (before it, the audit gave the raw "ELOOP: too many symbolic links encountered, stat '...'")
  {
    name: 'a class folder holding only a link to itself and a two-link loop named like images, to train',
    async setup(dir) {
      await dataFolder(dir);
      fs.rmSync(path.join(dir, 'data', 'val', 'dog'), { recursive: true });
      imageLoops(path.join(dir, 'data', 'val', 'dog'));
      return ['train', 'data', '--out', 'run', ...TINY];
    },
    code: 2,
    message: /split 'val' has no usable images of class 'dog' \(3 unreadable file\(s\) were skipped/,
    after(dir) {
      const audit = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'audit.json'), 'utf8')) as { unreadable: Array<{ path: string; reason: string }> };
      assert.deepEqual(audit.unreadable.map((u) => u.path), ['val/dog/self.png', 'val/dog/x.png', 'val/dog/y.png']);
      for (const u of audit.unreadable) assert.match(u.reason, LOOP, `${u.path}: ${u.reason}`);
    },
  },
  // Before the walker the links were dropped without a word; then they were rows with libvips' "Input file is
  // missing: ..." as the reason, until the decoder's check said why (src/io/regular-file.ts unopenableReason).
  {
    name: 'a folder holding a link to itself and a two-link loop named like images beside a good image, to predict',
    async setup(dir) {
      tinyModelFile(dir);
      await goodPng(path.join(dir, 'imgs', 'good.png'));
      imageLoops(path.join(dir, 'imgs'));
      return ['predict', 'model.safetensors', 'imgs', '--json'];
    },
    code: 0,
    message: /cannot predict imgs\/self\.png: .*\bloop\b/i,
    after(_dir, r) {
      const rows = JSON.parse(r.out) as Array<{ path: string; error?: string }>;
      assert.deepEqual(rows.map((x) => x.path), ['imgs/good.png', 'imgs/self.png', 'imgs/x.png', 'imgs/y.png']);
      for (const row of rows.slice(1)) assert.match(row.error ?? '', LOOP, row.path);
    },
  },
  // Before unopenableReason: "cannot predict x.png: does not exist".
  {
    name: 'a link of a two-link loop named on the command line beside a good image, to predict',
    async setup(dir) {
      tinyModelFile(dir);
      await goodPng(path.join(dir, 'good.png'));
      imageLoops(dir);
      return ['predict', 'model.safetensors', 'x.png', 'good.png', '--csv'];
    },
    code: 0,
    message: /cannot predict x\.png: .*\bloop\b/i,
    after(_dir, r) {
      assert.doesNotMatch(r.err, /does not exist/);
      assert.match(r.out, /^good\.png,[\d.e-]+,[01],(cat|dog)$/m);
    },
  },
  // Before unopenableReason: "skipped test/dog/x.png: Input file is missing: ...".
  {
    name: 'a two-link loop named like images beside good images of a class, to evaluate',
    async setup(dir) {
      tinyModelFile(dir);
      await dataFolder(dir);
      imageLoops(path.join(dir, 'data', 'test', 'dog'));
      return ['evaluate', 'model.safetensors', 'data', '--out', 'eval-out'];
    },
    code: 0,
    message: /skipped test\/dog\/x\.png: .*\bloop\b/i,
    after(_dir, r) { assert.doesNotMatch(r.err, /Input file is missing/); },
  },
  {
    name: 'two folder-named links to each other (d1 -> d2 -> d1) beside images, to predict the folder',
    async setup(dir) {
      tinyModelFile(dir);
      await goodPng(path.join(dir, 'imgs', 'good.png'));
      fs.symlinkSync('d2', path.join(dir, 'imgs', 'd1'));
      fs.symlinkSync('d1', path.join(dir, 'imgs', 'd2'));
      return ['predict', 'model.safetensors', 'imgs', '--csv'];
    },
    // Not named like images, they are ignored like any other non-image file; the walk ends.
    code: 0,
    message: /^imgs\/good\.png,[\d.e-]+,[01],(cat|dog)$/m,
    timeoutMs: 20_000,
  },
];
