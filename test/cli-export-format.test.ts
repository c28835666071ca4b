// export: --format follows --out's extension when absent; --classes/--image-size give a plain seed .pth the
// metadata that evaluate/predict would take from the same flags, so the exported file carries them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelFile } from '../src/models/index.js';
import { loadCheckpoint } from '../src/io/index.js';
import { cliIn } from './helpers/cli.js';
import { seedStateDictPth, tinyModelFile } from './helpers/model-files.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('tlearn-cli-export-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cli = cliIn(tmp);

const model = tinyModelFile(tmp);

test('--format is inferred from the --out extension (.bin is pth); the messages list exactly the accepted names', async () => {
  for (const [file, format] of [['a.pth', 'pth'], ['b.pt', 'pth'], ['c.safetensors', 'safetensors'], ['d.bin', 'pth']] as const) {
    const r = await cli(['export', model, '--out', file]);
    assert.equal(r.code, 0, r.err);
    assert.equal(loadCheckpoint(path.join(tmp, file)).format, format, file);
    // One shape for every success line: tensors, format, then the metadata.
    assert.equal(r.out, `wrote ${path.join(tmp, file)} (122 tensors, ${format}; classes cat,dog, image size 32)\n`);
  }
  // No known extension: --format alone would not help (it needs the extension too), so the message says the names.
  const u = await cli(['export', model, '--out', 'noext']);
  assert.equal(u.code, 2, u.err);
  assert.match(u.err, /--out .*noext: the file name must end in \.safetensors \(safetensors\), \.pth, \.pt or \.bin \(pth\) or \.onnx \(onnx\)/);
  const f = await cli(['export', model, '--out', 'noext', '--format', 'pth']);
  assert.equal(f.code, 2, f.err);
  assert.match(f.err, /must end in \.pth, \.pt or \.bin for --format pth/);
  assert.equal((await cli(['export', model, '--out', 'f.bin', '--format', 'pth'])).code, 0);
  // A contradiction between --format and the extension is still refused.
  const c = await cli(['export', model, '--out', 'e.pth', '--format', 'safetensors']);
  assert.equal(c.code, 2);
  assert.match(c.err, /must end in \.safetensors for --format safetensors/);
  assert.match((await cli(['export', '--help'])).out, /\.pth, \.pt or \.bin/);
});

test('a file without tlearn metadata: --classes and --image-size both or neither (no placeholder stored silently)', async () => {
  const seed = path.join(tmp, 'seed-half.pth');
  seedStateDictPth(seed);
  for (const [flags, given] of [[['--image-size', '32'], '--image-size'], [['--classes', 'cat,dog'], '--classes']] as const) {
    const r = await cli(['export', seed, '--out', 'half.safetensors', ...flags]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, new RegExp(`seed-half\\.pth: a file without tlearn metadata needs both --classes and --image-size \\(or neither\\); only ${given} was given`));
    assert.equal(fs.existsSync(path.join(tmp, 'half.safetensors')), false);
  }
  // Neither: the tensors are copied as they are, and the line says there is no metadata.
  const n = await cli(['export', seed, '--out', 'plain.pth']);
  assert.equal(n.code, 0, n.err);
  assert.match(n.out, /\(\d+ tensors, pth; no tlearn metadata\)\n$/);
  // A tlearn file with one of them (the same value) is fine: it says the other itself.
  assert.equal((await cli(['export', model, '--out', 'one.pth', '--image-size', '32'])).code, 0);
});

test('a seed .pth exported with --classes and --image-size carries that metadata', async () => {
  const seed = path.join(tmp, 'seed.pth');
  seedStateDictPth(seed);
  const r = await cli(['export', seed, '--out', 'seed.safetensors', '--classes', 'cat,dog', '--image-size', '64']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\(\d+ tensors, safetensors; classes cat,dog, image size 64\)\n$/);
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

test('export --resize stores the resize mode of a plain state_dict (with --classes and --image-size)', async () => {
  const seed = path.join(tmp, 'seed-resize.pth');
  seedStateDictPth(seed);
  const r = await cli(['export', seed, '--out', 'crop.safetensors', '--classes', 'cat,dog', '--image-size', '32', '--resize', 'crop']);
  assert.equal(r.code, 0, r.err);
  const loaded = loadModelFile(path.join(tmp, 'crop.safetensors'));
  assert.equal(loaded.metadata.resize, 'crop');
  assert.deepEqual([loaded.metadata.classes, loaded.metadata.imageSize], [['cat', 'dog'], 32]);
  loaded.model.dispose();
  const alone = await cli(['export', seed, '--out', 'crop2.safetensors', '--resize', 'crop']);
  assert.equal(alone.code, 2, alone.err);
  assert.match(alone.err, /needs both --classes and --image-size/);
});
