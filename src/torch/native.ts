// Loads the native addon (build/Release/tlearn_native.node). Everything numeric goes through it.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's flat op table: every export is `(…args) => handle | value`. Typed loosely on purpose:
 *  the typed API is the Tensor class and the functions of this folder. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeBinding = Record<string, (...args: any[]) => any>;

/** The handle of one tensor reference held by JS (an N-API External). */
export type Handle = object;

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'CMakeLists.txt'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

function load(): NativeBinding {
  const file = process.env.TLEARN_NATIVE ?? join(packageRoot(), 'build', 'Release', 'tlearn_native.node');
  if (!existsSync(file)) {
    throw new Error(
      `tlearn's native addon is not built (looked for ${file}). Build it with \`npm rebuild tlearn\` in a project that ` +
        'installed tlearn, or `npm run build:native` in a tlearn checkout; it needs libtorch: ' +
        'set LIBTORCH=/path/to/libtorch, or pip install torch, or apt-get install libtorch-dev (see the README).',
    );
  }
  return createRequire(import.meta.url)(file) as NativeBinding;
}

export const native: NativeBinding = load();
