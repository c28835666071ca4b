#!/usr/bin/env node
// Builds the native addon with cmake-js against the first libtorch found, in this order:
//   1. LIBTORCH=/path/to/libtorch (an unpacked official libtorch, CPU or CUDA)
//   2. the libtorch inside a pip-installed torch (python3 on PATH, torch.utils.cmake_prefix_path)
//   3. the system install (Debian/Ubuntu: apt-get install libtorch-dev)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const hasTorchConfig = (prefix) =>
  ['', 'share/cmake/Torch', 'lib/cmake/Torch', 'Torch'].some((sub) => existsSync(join(prefix, sub, 'TorchConfig.cmake')));

function fromEnv() {
  const dir = process.env.LIBTORCH;
  if (!dir) return null;
  if (!hasTorchConfig(dir)) {
    console.error(`tlearn: LIBTORCH=${dir} has no share/cmake/Torch/TorchConfig.cmake; is it an unpacked libtorch?`);
    process.exit(1);
  }
  return { prefix: dir, how: `LIBTORCH=${dir}` };
}

function fromPip() {
  for (const py of ['python3', 'python']) {
    try {
      const out = execFileSync(py, ['-c', 'import torch,sys; sys.stdout.write(torch.utils.cmake_prefix_path)'], {
        stdio: ['ignore', 'pipe', 'ignore'],
        encoding: 'utf8',
      }).trim();
      if (out && hasTorchConfig(join(out, 'Torch'))) return { prefix: out, how: `pip torch via ${py} (${out})` };
    } catch {
      /* no torch in this python */
    }
  }
  return null;
}

function fromSystem() {
  for (const prefix of ['/usr/lib/x86_64-linux-gnu/cmake', '/usr/lib/aarch64-linux-gnu/cmake', '/usr/lib/cmake', '/usr/share/cmake', '/usr/local/share/cmake']) {
    if (existsSync(join(prefix, 'Torch', 'TorchConfig.cmake'))) return { prefix, how: `system libtorch (${prefix}/Torch)` };
  }
  return null;
}

const found = fromEnv() ?? fromPip() ?? fromSystem();
if (!found) {
  console.error(
    [
      'tlearn: libtorch was not found, so the native addon cannot be built. Provide it in one of three ways:',
      '  1. LIBTORCH=/path/to/libtorch npm run build:native   (an unpacked official libtorch zip, CPU or CUDA)',
      '  2. pip install torch, then npm run build:native         (the libtorch inside the pip package is used)',
      '  3. sudo apt-get install libtorch-dev, then npm run build:native   (Debian 12 / Ubuntu)',
    ].join('\n'),
  );
  process.exit(1);
}
console.log(`tlearn: building the native addon against ${found.how}`);
// Resolved as Node resolves modules: in a project that installed tlearn, cmake-js sits in the project's node_modules.
const cmakeJs = join(dirname(createRequire(join(root, 'package.json')).resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const jobs = String(Math.max(1, Math.min(cpus().length, Number(process.env.TLEARN_BUILD_JOBS ?? 4))));
// TLEARN_CMAKE_ARGS: further -DKEY=VALUE definitions for CMake, e.g. a CUDA library that a pip wheel keeps outside
// the toolkit (-DCUDA_nvrtc_LIBRARY=.../nvidia/cu13/lib/libnvrtc.so.13).
const extra = (process.env.TLEARN_CMAKE_ARGS ?? '').split(/\s+/).filter(Boolean).map((arg) => {
  if (!/^-D[A-Za-z_][A-Za-z0-9_]*(:[A-Z]+)?=/.test(arg)) {
    console.error(`tlearn: TLEARN_CMAKE_ARGS takes -DKEY=VALUE definitions separated by spaces, got "${arg}"`);
    process.exit(1);
  }
  return `--CD${arg.slice(2)}`;
});
const res = spawnSync(
  process.execPath,
  [cmakeJs, 'compile', '--directory', root, '--out', join(root, 'build'), '--parallel', jobs, `--CDCMAKE_PREFIX_PATH=${found.prefix}`, ...extra],
  { stdio: 'inherit', cwd: root },
);
process.exit(res.status ?? 1);
