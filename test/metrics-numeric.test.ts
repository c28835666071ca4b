// NumPy-exact arithmetic (summation order, linspace, percentile) and Python's float formatting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pyFixed, pyRjust } from '../src/metrics/format.js';
import { linspace01, npMean, npSum, percentileSorted } from '../src/metrics/numeric.js';
import { mulberry32 } from '../src/metrics/bootstrap.js';
import { runPython } from './helpers/python.js';
import { assertFloat, assertFloats } from './metrics-cases.js';

test('npSum and npMean equal np.sum / np.mean bit for bit (pairwise sum, 8192-element buffers)', () => {
  const rng = mulberry32(7);
  const sizes = [0, 1, 2, 7, 8, 9, 15, 16, 17, 127, 128, 129, 130, 255, 256, 257, 1000, 8191, 8192, 8193, 16384, 20001, 50000];
  const arrays = sizes.map((n) => Array.from({ length: n }, () => (rng() - 0.3) * 10 ** Math.floor(rng() * 12 - 6)));
  const res = runPython<{ sum: number; mean: number | null }[]>(`
import numpy as np
r = []
for a in inp:
    a = np.array(a, dtype=np.float64)
    r.append({'sum': float(np.sum(a)), 'mean': float(np.mean(a)) if len(a) else None})
out(r)`, arrays);
  arrays.forEach((a, i) => {
    assertFloat(npSum(a), res[i].sum, `sum of ${a.length}`);
    if (a.length) assertFloat(npMean(a), res[i].mean!, `mean of ${a.length}`);
  });
  // Left-to-right summation would not match: make sure the test can tell the difference.
  const big = arrays[arrays.length - 1];
  assert.notEqual(big.reduce((x, y) => x + y, 0), npSum(big));
});

test('linspace01 and percentileSorted equal np.linspace / np.percentile(method="linear")', () => {
  const rng = mulberry32(11);
  const data = [1, 2, 3, 4, 5, 7, 10, 33].map((n) => Array.from({ length: n }, () => (rng() < 0.3 ? 0.5 : rng())).sort((a, b) => a - b));
  const qs = [0, 2.5, 10, 25, 1 / 3 * 100, 50, 62.5, 97.5, 99.9, 100];
  const res = runPython<{ lin: number[][]; pct: number[][] }>(`
import numpy as np
lin = [np.linspace(0, 1, n).tolist() for n in [2, 3, 4, 6, 11, 21]]
pct = [[float(np.percentile(np.array(a), q)) for q in inp['qs']] for a in inp['data']]
out({'lin': lin, 'pct': pct})`, { data, qs });
  [2, 3, 4, 6, 11, 21].forEach((n, i) => assertFloats(linspace01(n), res.lin[i], `linspace(0,1,${n})`));
  data.forEach((a, i) => qs.forEach((q, j) => assertFloat(percentileSorted(a, q), res.pct[i][j], `percentile(n=${a.length}, q=${q})`)));
});

test("pyFixed equals Python's format(x, '.Nf'), including exact halves and huge values", () => {
  const rng = mulberry32(3);
  const values = [0, -0, 0.125, 0.375, 0.625, 0.875, 0.5, 1.5, 2.5, 0.005, 0.015, 0.045, 1 / 3, 2 / 3, 0.999, 0.9999999,
    1, 1e22, 123456789.98765433, 5e-324, 1e-7, NaN, Infinity, -Infinity, -0.125, -2.5, 0.0625, 0.1875];
  for (let i = 0; i < 200; i++) values.push(Math.floor(rng() * 4096) / 4096, rng(), rng() * 1000);
  const digits = [0, 1, 2, 3, 4, 6, 10, 17];
  const expected = runPython<string[][]>(`
vals = [float(v) if not isinstance(v, str) else float(v) for v in inp['values']]
out([[format(v, '.%df' % d) for d in inp['digits']] for v in vals])`,
  { values: values.map((v) => (Number.isFinite(v) ? (Object.is(v, -0) ? '-0.0' : v) : String(v).replace('Infinity', 'inf'))), digits });
  values.forEach((v, i) => digits.forEach((d, j) => assert.equal(pyFixed(v, d), expected[i][j], `format(${v}, '.${d}f')`)));
  assert.notEqual((0.125).toFixed(2), pyFixed(0.125, 2), 'toFixed differs on exact ties, which is why pyFixed exists');
  assert.equal(pyRjust('é', 3), '  é');
  assert.equal(pyRjust('😀', 3), '  😀', 'width counts code points, like Python');
  assert.throws(() => pyFixed(1, -1), /digits/);
});
