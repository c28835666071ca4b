// libtorch's thread count and the BLAS's. Debian's libtorch calls OpenBLAS (pthreads build) for its matrix
// products, and OpenBLAS keeps its own pool, sized from OPENBLAS_NUM_THREADS / OMP_NUM_THREADS or else every core;
// at::set_num_threads does not reach it. A process that asked for one thread then ran its BLAS on two, whose idle
// worker spins in sched_yield: on a loaded two-core machine a MobileNetV3-Small forward took 46 ms instead of 19.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getNumThreads, info, setNumThreads } from '../src/torch/index.js';

test('setNumThreads sets the BLAS pool too, where the BLAS has one (OpenBLAS)', () => {
  const before = getNumThreads();
  try {
    for (const n of [1, 3]) {
      setNumThreads(n);
      assert.equal(getNumThreads(), n);
      const blas = info().blasThreads;
      if (blas !== null) assert.equal(blas, n, `OpenBLAS threads after setNumThreads(${n})`);
    }
  } finally {
    setNumThreads(before);
  }
});

test('the BLAS pool follows TLEARN_THREADS from the start, whatever OpenBLAS read from the environment', () => {
  const runtime = fileURLToPath(new URL('../src/torch/index.js', import.meta.url));
  const code = `import(${JSON.stringify(runtime)}).then((t) => console.log(JSON.stringify([t.getNumThreads(), t.info().blasThreads])))`;
  const env = { ...process.env, TLEARN_THREADS: '1', OPENBLAS_NUM_THREADS: '2' };
  const r = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [torchThreads, blasThreads] = JSON.parse(r.stdout) as [number, number | null];
  assert.equal(torchThreads, 1);
  if (blasThreads !== null) assert.equal(blasThreads, 1);
});

test('info() says which BLAS pool it reports: a positive count or null', () => {
  const blas = info().blasThreads;
  assert.ok(blas === null || (Number.isInteger(blas) && blas >= 1), `blasThreads ${blas}`);
});
