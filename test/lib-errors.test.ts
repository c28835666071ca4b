// Errors as a library user meets them: each exported error class names itself (err.name, which is what
// console output and loggers show), and a missing model file says so instead of a bare ENOENT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tlearn from '../src/index.js';
import { tempDir } from './helpers/temp.js';

test('every exported error class sets its name (and is an Error)', () => {
  const errors: [string, Error][] = [
    ['ConfigError', new tlearn.train.ConfigError([{ path: 'config.seed', message: 'expected an integer' }])],
    ['TrainSetupError', new tlearn.train.TrainSetupError('x')],
    ['RunDirError', new tlearn.train.RunDirError('x')],
    ['NonFiniteLossError', new tlearn.train.NonFiniteLossError('phase1', 1, 2, Number.NaN, 'training')],
    ['WeightsDownloadError', new tlearn.io.WeightsDownloadError('x')],
    ['PickleError', new tlearn.io.PickleError('x')],
    ['OutFolderError', new tlearn.evaluation.OutFolderError('x')],
    ['NonFiniteWeightsError', new tlearn.models.NonFiniteWeightsError('m.pth', 'fc.1.bias', 'NaN')],
    ['NonFiniteOutputError', new tlearn.evaluation.NonFiniteOutputError('x')],
  ];
  for (const [name, err] of errors) {
    assert.ok(err instanceof Error, name);
    assert.equal(err.name, name);
    assert.match(String(err), new RegExp(`^${name}: `));
  }
});

test('loading a model file that does not exist, or a folder, says so and what to give instead', () => {
  const dir = tempDir('lib-errors-');
  const missing = path.join(dir, 'none.safetensors');
  const expectMissing = (e: unknown) => {
    const err = e as NodeJS.ErrnoException;
    assert.ok(err.message.includes(missing), err.message);
    assert.match(err.message, /does not exist/);
    assert.match(err.message, /best_model_final\.safetensors/);
    assert.equal(err.code, 'ENOENT');
    return true;
  };
  assert.throws(() => tlearn.models.loadModelFile(missing), expectMissing);
  assert.throws(() => tlearn.io.loadCheckpoint(missing), (e: unknown) => {
    const err = e as NodeJS.ErrnoException;
    assert.match(err.message, /cannot read checkpoint .*none\.safetensors: ENOENT, the file does not exist/);
    assert.equal(err.code, 'ENOENT');
    return true;
  });
  fs.mkdirSync(path.join(dir, 'run'));
  assert.throws(() => tlearn.models.loadModelFile(path.join(dir, 'run')),
    /run is a folder, not a model file.*run\/best_model_final\.safetensors/);
});

test('evaluation.predict with a missing model rejects with the same message', async () => {
  const dir = tempDir('lib-errors-');
  const missing = path.join(dir, 'm.safetensors');
  await assert.rejects(tlearn.evaluation.predict({ model: missing, files: [path.join(dir, 'a.png')] }),
    (e: Error) => e.message.includes(missing) && /does not exist/.test(e.message));
});
