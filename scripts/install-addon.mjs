#!/usr/bin/env node
// npm's install step for tlearn installed as a dependency (`npm install tlearn`): builds the native addon against
// the libtorch it finds (scripts/build-native.mjs explains the three ways to provide one). In a checkout of tlearn
// itself (`npm ci` in the repository) it does nothing: scripts/setup.sh builds the addon after the Node packages.
// TLEARN_SKIP_BUILD=1 skips the build (e.g. to build later with LIBTORCH set: `npm rebuild tlearn`).
import { existsSync, realpathSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const real = (p) => { try { return realpathSync(p); } catch { return p; } };
// npm sets INIT_CWD to the folder `npm install` ran in: equal to the package's own folder only in a checkout.
const invokedHere = process.env.INIT_CWD !== undefined && real(process.env.INIT_CWD) === real(root);
const addon = join(root, 'build', 'Release', 'tlearn_native.node');

if (invokedHere) {
  console.log('tlearn: installing in a tlearn checkout; build the addon with `npm run build:native` (scripts/setup.sh does)');
} else if (process.env.TLEARN_SKIP_BUILD) {
  console.log('tlearn: TLEARN_SKIP_BUILD is set, the native addon is not built; build it later with `npm rebuild tlearn`');
} else if (existsSync(addon)) {
  console.log(`tlearn: the native addon is already built (${addon})`);
} else {
  const res = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], { stdio: 'inherit', cwd: root });
  if (res.status !== 0) {
    console.error('tlearn: the native addon could not be built (see above). After providing libtorch, run `npm rebuild tlearn`.');
    process.exit(res.status ?? 1);
  }
}
