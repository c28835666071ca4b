// sharp decodes at most as many images at once as libuv's thread pool has threads (UV_THREADPOOL_SIZE,
// default 4), and libuv reads that variable once, when the pool starts. The tlearn command sets it, before
// any ES module is loaded, to the cores plus 2 unless the user has set it; doctor says how many images are
// decoded at once and warns when that is fewer than the cores (a library user's process, say).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDecoding } from '../src/cli/commands/doctor.js';

const here = fileURLToPath(import.meta.url);
const compiled = here.includes(`${path.sep}dist${path.sep}test${path.sep}`);
const root = compiled ? path.resolve(path.dirname(here), '../..') : path.resolve(path.dirname(here), '..');

test('the pool size the command asks for: the cores plus 2, never under libuv\'s 4', () => {
  const { defaultThreadpoolSize } = createRequire(import.meta.url)(path.join(root, 'bin/threadpool.js')) as { defaultThreadpoolSize: (cores: number) => number };
  assert.equal(defaultThreadpoolSize(1), 4);
  assert.equal(defaultThreadpoolSize(2), 4);
  assert.equal(defaultThreadpoolSize(16), 18);
});

test('doctor: images decoded at once, with advice when that is fewer than the cores', () => {
  const few = checkDecoding({}, 16);
  assert.equal(few.status, 'warn');
  assert.equal(few.detail, "4 images decoded at once (UV_THREADPOOL_SIZE unset: libuv's default) on 16 cores; " +
    'start node with UV_THREADPOOL_SIZE=18 to use every core (the tlearn command sets it itself)');
  assert.deepEqual(checkDecoding({ UV_THREADPOOL_SIZE: '18' }, 16), { name: 'decoding', status: 'ok', detail: '18 images decoded at once (UV_THREADPOOL_SIZE=18) on 16 cores' });
  assert.equal(checkDecoding({}, 2).status, 'ok');
  // libuv's reading: 0 is 1, above 1024 is 1024, not a number is 0 (so 1).
  assert.match(checkDecoding({ UV_THREADPOOL_SIZE: '0' }, 2).detail, /^1 image decoded at once/);
  assert.match(checkDecoding({ UV_THREADPOOL_SIZE: '5000' }, 2).detail, /^1024 images decoded at once/);
});

test('the tlearn command sets UV_THREADPOOL_SIZE itself and keeps a value the user gave', { skip: compiled ? false : 'runs bin/tlearn.js from the compiled tests' }, () => {
  const env = { ...process.env };
  delete env.UV_THREADPOOL_SIZE;
  const doctor = (e: NodeJS.ProcessEnv) => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/tlearn.js'), 'doctor', '--json'], { encoding: 'utf8', env: e });
    return (JSON.parse(r.stdout) as Array<{ name: string; detail: string }>).find((c) => c.name === 'decoding')!.detail;
  };
  const { defaultThreadpoolSize } = createRequire(import.meta.url)(path.join(root, 'bin/threadpool.js')) as { defaultThreadpoolSize: (cores: number) => number };
  const size = defaultThreadpoolSize(os.availableParallelism());
  assert.match(doctor(env), new RegExp(`^${size} images decoded at once \\(UV_THREADPOOL_SIZE=${size}\\)`));
  assert.match(doctor({ ...env, UV_THREADPOOL_SIZE: '7' }), /^7 images decoded at once \(UV_THREADPOOL_SIZE=7\)/);
});
