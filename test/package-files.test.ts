// What `npm install tlearn` gets: the packed file list (the compiled library, the CLI, the addon's sources and
// build scripts, the demo data; no tests), and the install step that builds the addon in a project but leaves
// a checkout of tlearn to scripts/setup.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './helpers/temp.js';

const root = process.cwd();
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('the npm package holds what an installed tlearn needs, and no tests', () => {
  // --ignore-scripts: no prepack build (it would replace dist/ under the running suite).
  const r = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  for (const needed of ['package.json', 'bin/tlearn.js', 'bin/threadpool.js', 'bin/package.json', 'CMakeLists.txt', 'scripts/build-native.mjs', 'scripts/install-addon.mjs',
    'native/ops.cc', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'demo-data/LICENSE', 'demo-data-multiclass/LICENSE', 'README.md']) {
    assert.ok(files.has(needed), `${needed} is packed`);
  }
  assert.ok([...files].some((f) => f.startsWith('demo-data/train/')), 'the demo images are packed');
  assert.ok([...files].some((f) => f.startsWith('demo-data-multiclass/train/')), 'the multi-class demo images are packed');
  const unwanted = [...files].filter((f) => /^(test|dist\/test|dist\/bench|bench|src|build|node_modules)\//.test(f));
  assert.deepEqual(unwanted, [], 'no tests, benchmarks, TypeScript sources or build outputs');
});

test('the install step: nothing in a checkout, skipped with TLEARN_SKIP_BUILD, nothing to do when the addon exists', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [path.join(root, 'scripts', 'install-addon.mjs')], { encoding: 'utf8', env: { ...process.env, ...env } });
  const checkout = run({ INIT_CWD: root });
  assert.equal(checkout.status, 0, checkout.stderr);
  assert.match(checkout.stdout, /a tlearn checkout/);
  const project = tempDir('tlearn-consumer-');
  const skipped = run({ INIT_CWD: project, TLEARN_SKIP_BUILD: '1' });
  assert.equal(skipped.status, 0, skipped.stderr);
  assert.match(skipped.stdout, /not built; build it later with `npm rebuild tlearn`/);
  // The suite runs with the addon built, so an install into a project finds it and builds nothing.
  assert.ok(fs.existsSync(path.join(root, 'build', 'Release', 'tlearn_native.node')));
  const built = run({ INIT_CWD: project, TLEARN_SKIP_BUILD: '' });
  assert.equal(built.status, 0, built.stderr);
  assert.match(built.stdout, /already built/);
});

test('TLEARN_CMAKE_ARGS takes -DKEY=VALUE definitions only: anything else stops the build before CMake runs', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs')], {
    encoding: 'utf8', env: { ...process.env, TLEARN_CMAKE_ARGS: '-DCUDA_nvrtc_LIBRARY=/x/libnvrtc.so.13 --fresh' },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /TLEARN_CMAKE_ARGS takes -DKEY=VALUE definitions separated by spaces, got "--fresh"/);
  assert.doesNotMatch(r.stdout, /cmake-js|\[\d+\/\d+\]/, 'CMake did not run');
});
