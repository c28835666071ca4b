// The fold assignment of `tlearn cv`: stratified (each class split as evenly as K allows), disjoint and covering
// every item, the same for the same seed and set of paths whatever their order; multi-label by iterative
// stratification; a class with fewer images than folds refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignFolds, FoldError, meanSd, tInterval95 } from '../src/cv/index.js';

const paths = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `/d/${prefix}/${String(i).padStart(3, '0')}.png`);

test('single-label: every item in one fold, each class dealt evenly, fold sizes within one, seeded and order-free', () => {
  const keys = [...paths(10, 'a'), ...paths(7, 'b'), ...paths(5, 'c')];
  const labels = keys.map((k) => [k.split('/')[2]!]);
  const f = assignFolds(keys, labels, 3, 1);
  assert.equal(f.length, keys.length);
  assert.ok(f.every((x) => x >= 0 && x < 3));
  for (const cls of ['a', 'b', 'c']) {
    const per = [0, 1, 2].map((k) => f.filter((x, i) => x === k && labels[i]![0] === cls).length);
    assert.ok(Math.max(...per) - Math.min(...per) <= 1, `${cls}: ${per}`);
  }
  const sizes = [0, 1, 2].map((k) => f.filter((x) => x === k).length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${sizes}`);
  // The same folds for the listing in another order; others for another seed.
  const rev = keys.map((_, i) => keys.length - 1 - i);
  const g = assignFolds(rev.map((i) => keys[i]!), rev.map((i) => labels[i]!), 3, 1);
  rev.forEach((i, j) => assert.equal(g[j], f[i]));
  assert.notDeepEqual(assignFolds(keys, labels, 3, 2), f);
});

test('multi-label: iterative stratification puts every label in every fold when it has enough images', () => {
  const keys = paths(30, 'm');
  const labels = keys.map((_, i) => [...(i % 2 === 0 ? ['x'] : []), ...(i % 3 === 0 ? ['y'] : []), ...(i % 10 < 3 ? ['z'] : [])]);
  const f = assignFolds(keys, labels, 3, 0);
  assert.ok(f.every((x) => x >= 0 && x < 3));
  for (const l of ['x', 'y', 'z']) {
    const per = [0, 1, 2].map((k) => f.filter((x, i) => x === k && labels[i]!.includes(l)).length);
    assert.ok(per.every((n) => n > 0), `${l}: ${per}`);
    assert.ok(Math.max(...per) - Math.min(...per) <= 2, `${l}: ${per}`);
  }
});

test('a class with fewer images than folds is named, with the folds it allows', () => {
  const keys = [...paths(6, 'a'), ...paths(2, 'b')];
  assert.throws(() => assignFolds(keys, keys.map((k) => [k.split('/')[2]!]), 3, 0),
    (e: Error) => e instanceof FoldError && /class 'b' has 2 images/.test(e.message) && /--folds 2/.test(e.message));
  assert.throws(() => assignFolds(keys, keys.map(() => ['a']), 1, 0), /at least 2/);
});

test("cv.json's arithmetic: mean, sample sd, and the t interval (t(0.975, 2) = 4.303) clipped to the AUC's range", () => {
  // 0.6, 0.7, 0.8: mean 0.7, sd sqrt((0.01 + 0 + 0.01) / 2) = 0.1, half width 4.303 * 0.1 / sqrt(3) = 0.24844.
  const s = meanSd([0.6, 0.7, 0.8, null])!;
  assert.ok(Math.abs(s.mean - 0.7) < 1e-12 && Math.abs(s.sd! - 0.1) < 1e-12 && s.n === 3);
  const [lo, hi] = tInterval95([0.6, 0.7, 0.8])!;
  assert.ok(Math.abs(lo - (0.7 - 4.303 * 0.1 / Math.sqrt(3))) < 1e-12 && Math.abs(hi - (0.7 + 4.303 * 0.1 / Math.sqrt(3))) < 1e-12);
  assert.deepEqual(tInterval95([0.9, 1, 0.95], [0, 1])![1], 1);
  assert.equal(tInterval95([0.5]), null);
});
