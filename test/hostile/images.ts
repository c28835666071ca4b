// Images that lie: decompression bombs (a few-KB PNG declaring 30 000 × 30 000 or 100 000 × 100 000 pixels, a
// JPEG whose frame header declares 60 000 × 60 000), and files cut short. libvips reads the header first and
// refuses more than 0x3FFF² pixels before allocating anything; a truncated file is a decoder error. predict
// names each such file with its reason and goes on with the others; a training folder whose split has no
// readable image of a class is refused before training.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { HostileCase } from './case.js';
import { jpegDeclaring, pngDeclaring, smallPng } from '../helpers/hostile-bytes.js';
import { tinyModelFile } from '../helpers/model-files.js';

/** The size the header declares and the limit, in words (libvips alone said "Input image exceeds pixel limit"). */
const bomb = (w: number, h: number) => new RegExp(`declares ${w}×${h} pixels \\(${Math.round((w * h) / 1e6)} megapixels\\), more than the 268 megapixels tlearn decodes`);

async function goodPng(file: string, shade = 90): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: 12, height: 10, channels: 3, background: { r: shade, g: 120, b: 60 } } }).png().toFile(file);
}

/** predict on the file `make` writes as `name`, beside a good image unless `alone`. */
function predicted(what: string, name: string, make: () => Buffer | Promise<Buffer>, reason: RegExp, alone = false): HostileCase {
  return {
    name: `${what}, to predict${alone ? ' alone' : ' beside a good image'}`,
    async setup(dir) {
      tinyModelFile(dir);
      fs.writeFileSync(path.join(dir, name), await make());
      if (alone) return ['predict', 'model.safetensors', name];
      await goodPng(path.join(dir, 'good.png'));
      return ['predict', 'model.safetensors', 'good.png', name, '--json'];
    },
    // Nothing predicted is a failed run (exit 1), as for any unreadable file; else the error is one row.
    code: alone ? 1 : 0,
    message: new RegExp(`cannot predict ${name.replace('.', '\\.')}: .*${reason.source}`, 'i'),
    after(_dir, r) {
      if (alone) return assert.match(r.err, /no file could be predicted/);
      const rows = JSON.parse(r.out) as Array<{ path: string; error?: string; probability?: number }>;
      assert.equal(rows.length, 2);
      assert.equal(typeof rows[0]!.probability, 'number', 'the good image is predicted');
      assert.deepEqual(Object.keys(rows[1]!).sort(), ['error', 'path']);
      assert.match(rows[1]!.error!, reason);
    },
    timeoutMs: 30_000,
  };
}

export const cases: HostileCase[] = [
  predicted('a 4 KB PNG declaring 30000×30000 pixels', 'bomb.png', () => pngDeclaring(30_000, 30_000), bomb(30000, 30000), true),
  predicted('a PNG declaring 100000×100000 pixels', 'bomb.png', () => pngDeclaring(100_000, 100_000), bomb(100000, 100000)),
  predicted('a JPEG whose frame header declares 60000×60000 pixels', 'lying.jpg', () => jpegDeclaring(60_000, 60_000), bomb(60000, 60000)),
  predicted('a PNG cut in half', 'cut.png', async () => { const b = await smallPng(); return b.subarray(0, b.length >> 1); }, /\S/),
  predicted('a JPEG cut in half', 'cut.jpg', async () => {
    const b = await sharp(await smallPng()).jpeg().toBuffer();
    return b.subarray(0, b.length >> 1);
  }, /\S/),
  {
    name: 'a training folder whose test images of one class are all PNG bombs, to train',
    async setup(dir) {
      for (const split of ['train', 'val', 'test']) {
        for (let i = 0; i < 3; i++) await goodPng(path.join(dir, 'data', split, 'cat', `${i}.png`), 20 * i);
        for (let i = 0; i < 3; i++) {
          const f = path.join(dir, 'data', split, 'dog', `${i}.png`);
          if (split !== 'test') await goodPng(f, 150 + 20 * i);
          else { fs.mkdirSync(path.dirname(f), { recursive: true }); fs.writeFileSync(f, pngDeclaring(30_000 + i, 30_000)); }
        }
      }
      return ['train', 'data', '--out', 'run', '--weights', 'none', '--arch', 'resnet18', '--image-size', '32', '--epochs1', '1', '--epochs2', '0', '--threads', '1'];
    },
    code: 2,
    message: /split 'test' has no usable images of class 'dog' \(3 unreadable file\(s\) were skipped/,
    after(dir) {
      // The data check stays for the retry; it names each bomb and why it was skipped.
      const audit = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'audit.json'), 'utf8')) as { unreadable: Array<{ path: string; reason: string }> };
      assert.deepEqual(audit.unreadable.map((u) => u.path), ['test/dog/0.png', 'test/dog/1.png', 'test/dog/2.png']);
      for (const [i, u] of audit.unreadable.entries()) assert.match(u.reason, bomb(30_000 + i, 30_000));
    },
    timeoutMs: 30_000,
  },
];
