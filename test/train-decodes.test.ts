// How often a training run decodes each image file. The data check before training has to decode every
// file anyway; it decodes straight to the eval transform and keeps the result in the run's image cache,
// so the first epoch (train and val) and the final test evaluation read them from there: once per file
// in all. Random-resized-crop presets decode the training originals in every epoch, as torchvision does;
// their val and test images are still decoded once.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeCount } from '../src/data/index.js';
import { train } from '../src/train/index.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

const T = { timeout: 600_000 };
const counts = { train: 8, val: 4, test: 2 };
const files = 2 * (counts.train + counts.val + counts.test);
const data = await makeStripes(tempDir(), counts);

async function decodesOfRun(augment: string): Promise<number> {
  const before = decodeCount();
  await train(tinyConfig(data, [], { augment }), { out: tempDir('tlearn-decodes-'), quiet: true, handleSigint: false });
  return decodeCount() - before;
}

test('a run with the flip preset decodes every file once: the check decode feeds the first epoch and the test evaluation', T, async () => {
  assert.equal(await decodesOfRun('flip'), files);
});

test('with random-resized crops, training images are decoded in every epoch, val and test images once', T, async () => {
  const epochs = 4; // tinyConfig: 2 + 2
  assert.equal(await decodesOfRun('light'), files + epochs * 2 * counts.train);
});

test('the data check reports its progress per file to onEvent with batchEvents (the printed forms are throttled)', T, async () => {
  const checks: Array<{ done: number; total: number }> = [];
  await train(tinyConfig(data, [], { epochs1: 1, epochs2: 0 }), {
    out: tempDir('tlearn-decodes-'), quiet: true, handleSigint: false, batchEvents: true, skipEvaluation: true,
    onEvent: (e) => { if (e.type === 'check') checks.push({ done: e.done, total: e.total }); },
  });
  assert.equal(checks.length, files);
  assert.deepEqual(checks.at(-1), { done: files, total: files });
  assert.ok(checks.every((c, i) => c.done === i + 1 && c.total === files));
});

test('images beyond imageCache.memoryMB go to RUN/.image-cache, so they are still decoded once; the folder goes with the run', T, async () => {
  const before = decodeCount();
  const out = tempDir('tlearn-decodes-');
  let spilled = 0;
  await train(tinyConfig(data, ['imageCache.memoryMB=0']), {
    out, quiet: true, handleSigint: false,
    onEvent: (e) => { if (e.type === 'start' && fs.existsSync(path.join(out, '.image-cache'))) spilled = fs.readdirSync(path.join(out, '.image-cache')).length; },
  });
  assert.equal(decodeCount() - before, files);
  assert.equal(spilled, files, 'every image was on disk when training started');
  assert.equal(fs.existsSync(path.join(out, '.image-cache')), false);
});

test('with input.presize, random crops come from a cached copy: each training image is decoded once more, not once per epoch', T, async () => {
  const before = decodeCount();
  await train(tinyConfig(data, [], { augment: 'light', presize: 40 }), { out: tempDir('tlearn-decodes-'), quiet: true, handleSigint: false });
  assert.equal(decodeCount() - before, files + 2 * counts.train);
});

test('a training image that stops decoding during the run is left out from then on, with one warning naming it and why', T, async () => {
  // Random-resized crops decode the originals in every epoch, so a file replaced after epoch 1 is met again.
  const own = await makeStripes(tempDir(), counts);
  const victim = path.join(own, 'train', 'stripes_v', '003.png');
  const warnings: string[] = [];
  const r = await train(tinyConfig(own, [], { augment: 'light' }), {
    out: tempDir('tlearn-decodes-'), quiet: true, handleSigint: false, skipEvaluation: true,
    onEvent: (e) => {
      if (e.type === 'epoch' && e.phase === 'phase1' && e.epoch === 1) fs.writeFileSync(victim, 'not an image any more');
      if (e.type === 'warning') warnings.push(e.message);
    },
  });
  assert.equal(r.history.length, 4);
  const told = warnings.filter((w) => w.includes(victim));
  assert.equal(told.length, 1, warnings.join('\n'));
  assert.match(told[0]!, /^training image .*003\.png could not be decoded \(.+\); it was readable when the data was checked, so it changed during the run: it is left out of training from now on$/);
});
