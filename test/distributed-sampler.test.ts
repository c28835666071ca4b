// The distributed sampler: each rank's indices against torch.utils.data.DistributedSampler's (Debian's torch, fed
// the same permutation through shuffle=False), padding and drop_last both ways; sharded loaders whose batches
// together are the batch one process draws with the global batch size; the gathered evaluation rows back in
// dataset order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataLoader } from '../src/data/index.js';
import { deriveSeed, Rng } from '../src/data/rng.js';
import { shardIndices, shardLength, unshardRows } from '../src/distributed/sampler.js';
import { runPython } from './helpers/python.js';

const CASES: Array<[n: number, world: number]> = [[0, 2], [1, 4], [5, 2], [7, 3], [10, 4], [33, 4], [12, 1], [3, 8]];

test('shardIndices takes the indices DistributedSampler gives each rank, padded or with drop_last', () => {
  const perms = CASES.map(([n], k) => new Rng(deriveSeed(k, 'shuffle', 0)).permutation(n));
  const expected = runPython<number[][][][]>(`
from torch.utils.data import DistributedSampler
res = []
for (n, world), perm in zip(inp['cases'], inp['perms']):
    per_case = []
    for drop_last in (False, True):
        # shuffle=False: the sampler's own order is 0..n-1, positions into the permutation both sides share
        per_case.append([[perm[i] for i in DistributedSampler(list(range(n)), num_replicas=world, rank=r, shuffle=False, drop_last=drop_last)] for r in range(world)])
    res.append(per_case)
out(res)
`, { cases: CASES, perms });
  CASES.forEach(([n, world], k) => {
    [false, true].forEach((dropLast, d) => {
      for (let rank = 0; rank < world; rank++) {
        const got = shardIndices(perms[k]!, { rank, worldSize: world, dropLast });
        assert.deepEqual(got, expected[k]![d]![rank], `n=${n} world=${world} rank=${rank} drop_last=${dropLast}`);
        assert.equal(got.length, shardLength(n, { rank, worldSize: world, dropLast }));
      }
    });
  });
});

test('unpadded shards cover every index once, and unshardRows puts their rows back in order', () => {
  const order = new Rng(7).permutation(11);
  const parts = [0, 1, 2].map((rank) => shardIndices(order, { rank, worldSize: 3, pad: false }));
  assert.deepEqual(parts.map((p) => p.length), [4, 4, 3]);
  assert.deepEqual(parts.flat().sort((a, b) => a - b), order.slice().sort((a, b) => a - b));
  // Two values per row; the short part carries one filler row, as an all-gather of equal lengths leaves it.
  const rows = parts.map((p) => Float32Array.from([...p.flatMap((i) => [i, -i]), ...(p.length < 4 ? [99, 99] : [])]));
  assert.deepEqual(Array.from(unshardRows(rows, 2, 11)), order.flatMap((i) => [i, -i]));
});

test('sharded training loaders: batch k of all ranks is batch k of one process with the global batch', () => {
  const items = Array.from({ length: 75 }, (_, i) => ({ path: `/none/${i}.png`, label: i % 2 }));
  const opts = { train: true, augment: 'flip', seed: 3, cache: null } as const;
  const single = new DataLoader(items, { ...opts, batchSize: 32 });
  const ranks = [0, 1].map((rank) => new DataLoader(items, { ...opts, batchSize: 16, shard: { rank, worldSize: 2 } }));
  for (const epoch of [0, 1]) {
    const one = single.plan(epoch);
    const per = ranks.map((l) => l.plan(epoch));
    assert.equal(per[0]!.length, per[1]!.length, 'the ranks take as many steps');
    // 75 images: 32, 32, 11 for one process; 38 per rank (one padding index) in 16, 16, 6.
    assert.equal(per[0]!.length, one.length);
    const flips = new Map(one.flatMap((b) => b.views.map((v) => [v.index, v.flip] as const)));
    one.forEach((b, k) => {
      const union = [...per[0]![k]!.indices, ...per[1]![k]!.indices].sort((x, y) => x - y);
      const want = [...b.indices];
      if (k === one.length - 1) want.push(one[0]!.indices[0]!); // the padding repeats the epoch's first index
      assert.deepEqual(union, want.sort((x, y) => x - y), `epoch ${epoch} batch ${k}`);
      // The flips depend on the image and the epoch only, not on the rank.
      for (const v of [...per[0]![k]!.views, ...per[1]![k]!.views]) assert.equal(v.flip, flips.get(v.index));
    });
  }
});
