// export: --format follows --out's extension when absent; --classes/--image-size give a plain seed .pth the
// metadata that evaluate/predict would take from the same flags, so the exported file carries them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModelFile } from '../src/models/index.js';
import { loadCheckpoint } from '../src/io/index.js';
import { cliIn } from './helpers/cli.js';
import { seedStateDictPth, tinyModelFile } from './helpers/model-files.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-cli-export-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cli = cliIn(tmp);

const model = tinyModelFile(tmp);

test('--format is inferred from the --out extension; an unknown extension needs --format', async () => {
  for (const [file, format] of [['a.pth', 'pth'], ['b.pt', 'pth'], ['c.safetensors', 'safetensors']] as const) {
    const r = await cli(['export', model, '--out', file]);
    assert.equal(r.code, 0, r.err);
    assert.equal(loadCheckpoint(path.join(tmp, file)).format, format, file);
    assert.match(r.out, new RegExp(`\\(\\d+ tensors, ${format}\\)`));
  }
  const u = await cli(['export', model, '--out', 'd.bin']);
  assert.equal(u.code, 2, u.err);
  assert.match(u.err, /--format.*\.safetensors, \.pth or \.pt/);
  assert.equal((await cli(['export', model, '--out', 'd.bin', '--format', 'pth'])).code, 0);
  // A contradiction between --format and the extension is still refused.
  assert.equal((await cli(['export', model, '--out', 'e.pth', '--format', 'safetensors'])).code, 2);
});

test('a seed .pth exported with --classes and --image-size carries that metadata', async () => {
  const seed = path.join(tmp, 'seed.pth');
  seedStateDictPth(seed);
  const r = await cli(['export', seed, '--out', 'seed.safetensors', '--classes', 'cat,dog', '--image-size', '64']);
  assert.equal(r.code, 0, r.err);
  const loaded = loadModelFile(path.join(tmp, 'seed.safetensors'));
  assert.equal(loaded.fromTlearn, true);
  assert.deepEqual(loaded.metadata.classes, ['cat', 'dog']);
  assert.equal(loaded.metadata.imageSize, 64);
  loaded.model.dispose();
  // The same tensors as the seed file.
  const a = loadCheckpoint(seed).tensors, b = loadCheckpoint(path.join(tmp, 'seed.safetensors')).tensors;
  assert.equal(a.size, b.size);
  // A tlearn model already says its classes: a contradiction is refused, the same values are fine.
  const c = await cli(['export', model, '--out', 'x.pth', '--classes', 'a,b']);
  assert.equal(c.code, 2, c.err);
  assert.match(c.err, /was trained with classes/);
  assert.equal((await cli(['export', model, '--out', 'y.pth', '--classes', 'cat,dog'])).code, 0);
  const help = (await cli(['export', '--help'])).out;
  assert.match(help, /--classes/);
  assert.match(help, /--image-size/);
});
