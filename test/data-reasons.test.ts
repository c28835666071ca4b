// Decode failure reasons must be libvips' own message, also when many files are probed at once.
// sharp builds its error from libvips' process-wide error buffer, which every other job in flight
// clears when it ends; concurrent probes therefore used to report "Unknown error" (or another file's
// message twice) for a truncated JPEG that alone reports "VipsJpeg: premature end of JPEG image".
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DataLoader, loadSource, probeDataset } from '../src/data/index.js';
import { rawSharp, smoothRgb, tempDir, writePng } from './data-fixtures.js';

/** A CMYK JPEG cut in half, as QA made it (sharp → toColourspace('cmyk') → jpeg, first half of the bytes). */
async function truncatedCmykJpeg(file: string): Promise<void> {
  const jpg = await rawSharp(smoothRgb(40, 40), 40, 40).toColourspace('cmyk').jpeg().toBuffer();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, jpg.subarray(0, Math.floor(jpg.length / 2)));
}

async function messyFolder(): Promise<string> {
  const root = tempDir();
  for (let i = 0; i < 8; i++) await truncatedCmykJpeg(path.join(root, 'a', `trunc${i}.jpg`));
  for (let i = 0; i < 8; i++) await writePng(path.join(root, 'a', `ok${i}.png`), 64, 48, i);
  for (let i = 0; i < 8; i++) await writePng(path.join(root, 'b', `ok${i}.png`), 64, 48, 20 + i);
  return root;
}

test('truncated CMYK JPEGs probed concurrently keep the decoder message', async () => {
  const root = await messyFolder();
  const ds = await loadSource(root);
  for (let round = 0; round < 4; round++) {
    const probes = await probeDataset(ds, { concurrency: 8 });
    ds.items.forEach((it, i) => {
      const p = probes[i]!;
      if (it.relPath.includes('trunc')) {
        assert.equal(p.error, 'VipsJpeg: premature end of JPEG image', `${it.relPath} (round ${round})`);
      } else {
        assert.equal(p.error, undefined, it.relPath);
      }
    });
  }
});

test('the DataLoader reports the decoder message for a file skipped during an epoch', async () => {
  const root = await messyFolder();
  const ds = await loadSource(root);
  const items = ds.items.map((it) => ({ path: it.path, label: it.label }));
  const loader = new DataLoader(items, { imageSize: 16, batchSize: 24, train: false, concurrency: 8, cache: null });
  for await (const _ of loader.epoch(0)) { /* consume */ }
  assert.equal(loader.skipped.length, 8);
  for (const s of loader.skipped) assert.equal(s.reason, 'VipsJpeg: premature end of JPEG image', s.path);
});
