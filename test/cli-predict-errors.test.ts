// predict's errors are the same in every format: when no file can be predicted the reasons go to stderr
// and the exit code is 1; a missing path among several inputs is one error row (the others are predicted),
// only all inputs missing is a usage error.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { cliIn } from './helpers/cli.js';
import { seedStateDictPth, tinyModelFile } from './helpers/model-files.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('tlearn-cli-prederr-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cli = cliIn(tmp);

const model = tinyModelFile(tmp);
const good = path.join(tmp, 'good.png');
await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toFile(good);
const bad = path.join(tmp, 'bad.png');
fs.writeFileSync(bad, 'not an image');

test('no file predicted: every format says why on stderr and exits 1', async () => {
  for (const fmt of [[], ['--json'], ['--csv']]) {
    const r = await cli(['predict', model, 'bad.png', ...fmt]);
    assert.equal(r.code, 1, `${fmt}: ${r.err}`);
    assert.match(r.err, /cannot predict .*bad\.png: \S/, `${fmt}: the reason is on stderr`);
    assert.match(r.err, /no file could be predicted/, `${fmt}`);
  }
});

test('a missing path among several inputs is an error row; the others are predicted', async () => {
  const t = await cli(['predict', model, 'good.png', 'nothere.png', 'bad.png']);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /error\s+nothere\.png: does not exist/);
  assert.match(t.out, /^\d\.\d{4}\s+(cat|dog)\s+good\.png$/m);
  const j = await cli(['predict', model, 'good.png', 'nothere.png', '--json']);
  assert.equal(j.code, 0, j.err);
  const rows = JSON.parse(j.out);
  assert.equal(rows.length, 2);
  assert.equal(rows[0].path, 'good.png');
  assert.ok(typeof rows[0].probability === 'number');
  assert.deepEqual(rows[1], { path: 'nothere.png', error: 'does not exist' });
  assert.match(j.err, /cannot predict nothere\.png: does not exist/);
  const c = await cli(['predict', model, 'nothere.png', 'good.png', '--csv']);
  assert.equal(c.code, 0, c.err);
  assert.equal(c.out.split('\n')[1], 'nothere.png,,,');
  // Missing paths and unreadable files only: nothing predicted, exit 1.
  const none = await cli(['predict', model, 'nothere.png', 'bad.png']);
  assert.equal(none.code, 1, none.err);
  assert.match(none.err, /cannot predict nothere\.png: does not exist/);
});

test('every input missing is a usage error (exit 2)', async () => {
  const r = await cli(['predict', model, 'a.png', 'b.png']);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /a\.png does not exist/);
  assert.match(r.err, /b\.png does not exist/);
});

test('an empty folder among several inputs is an error row like a missing file; exit 2 only when no input yields a file', async () => {
  fs.mkdirSync(path.join(tmp, 'emptydir'), { recursive: true });
  const t = await cli(['predict', model, 'good.png', 'emptydir']);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /error\s+emptydir: holds no images/);
  assert.match(t.out, /good\.png$/m);
  const j = await cli(['predict', model, 'emptydir', 'good.png', '--json']);
  assert.equal(j.code, 0, j.err);
  const rows = JSON.parse(j.out);
  assert.equal(rows.length, 2);
  assert.equal(rows[0].path, 'emptydir');
  assert.match(rows[0].error, /holds no images/);
  // Nothing to predict at all: both reasons, one usage error.
  const none = await cli(['predict', model, 'nope.png', 'emptydir']);
  assert.equal(none.code, 2, none.err);
  assert.match(none.err, /nope\.png does not exist/);
  assert.match(none.err, /emptydir holds no images/);
});

test('a plain PyTorch state_dict: predict says which values it assumed (image size, classes) and how to give them', async () => {
  const seed = path.join(tmp, 'seed.pth');
  seedStateDictPth(seed);
  const r = await cli(['predict', seed, 'good.png']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /seed\.pth has no tlearn metadata: assuming image size 224 and classes 0,1 .*--image-size.*--classes/);
  assert.match(r.err, /squash|resized to/);
  const half = await cli(['predict', seed, 'good.png', '--image-size', '32']);
  assert.match(half.err, /assuming classes 0,1 /);
  assert.doesNotMatch(half.err, /image size 224/);
  const given = await cli(['predict', seed, 'good.png', '--image-size', '32', '--classes', 'cat,dog']);
  assert.equal(given.code, 0, given.err);
  assert.doesNotMatch(given.err, /assuming/);
  // A tlearn checkpoint records everything: no such note.
  assert.doesNotMatch((await cli(['predict', model, 'good.png'])).err, /assuming/);
});

test('--resize gives a plain state_dict its resize mode (as trained); a tlearn checkpoint must not be contradicted', async () => {
  const seed = path.join(tmp, 'seed-crop.pth');
  seedStateDictPth(seed);
  const crop = await cli(['predict', seed, 'good.png', '--image-size', '32', '--resize', 'crop']);
  assert.equal(crop.code, 0, crop.err);
  assert.match(crop.err, /resized and centre-cropped to 32/);
  const refused = await cli(['predict', model, 'good.png', '--resize', 'crop']);
  assert.equal(refused.code, 2, refused.err);
  assert.match(refused.err, /was trained with resize "squash"; "crop" was given/);
  const bad = await cli(['predict', seed, 'good.png', '--resize', 'stretch']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--resize.*squash, crop/);
});
