// The dihedral preset's orientations (data/orientation.ts): each of the 8 (a horizontal flip, then k quarter turns)
// equals torch.rot90 of the flipped batch, composing two of them is the orientation compose() names, a batch
// becomes the tensor torchvision's pipeline gives (ToTensor, flip, rot90, Normalize), and the loader draws every
// orientation about equally often, the flip being the same first draw as the flip preset's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compose, DataLoader, imagesTensor, IMAGENET_MEAN, IMAGENET_STD, orient, orientationsOf, type LoaderItem } from '../src/data/index.js';
import { scope, tensor } from '../src/torch/index.js';
import { runPython } from './helpers/python.js';

const ALL = orientationsOf(true, true);
const values = Float32Array.from({ length: 2 * 3 * 4 * 4 }, (_, i) => (i * 37) % 101);
const x4 = () => tensor(values, { shape: [2, 3, 4, 4] });

test('orient() equals torch.rot90 of the (flipped) batch for each of the 8 orientations, and compose() names their products', () => {
  assert.equal(ALL.length, 8);
  assert.deepEqual(orientationsOf(true, false), [{ flip: false, turns: 0 }, { flip: true, turns: 0 }]);
  const want = runPython<number[][]>(`
import torch
x = torch.tensor(inp['x'], dtype=torch.float32).reshape(2, 3, 4, 4)
out([torch.rot90(x.flip(3) if o['flip'] else x, o['turns'], [2, 3]).flatten().tolist() for o in inp['all']])
`, { x: Array.from(values), all: ALL });
  scope(() => {
    ALL.forEach((o, i) => assert.deepEqual(Array.from(orient(x4(), o).contiguous().toFloat32Array()), want[i], JSON.stringify(o)));
    for (const v of ALL) {
      for (const r of ALL) {
        const twice = orient(orient(x4(), v), r).contiguous().toFloat32Array();
        assert.deepEqual(twice, orient(x4(), compose(v, r)).contiguous().toFloat32Array(), `${JSON.stringify(v)} then ${JSON.stringify(r)}`);
      }
    }
  });
});

test('a batch with turned views is torchvision\'s ToTensor, flip, rot90 and Normalize', () => {
  const pixels = Uint8Array.from({ length: 3 * 5 * 5 * 3 }, (_, i) => (i * 53) % 256);
  const views = [{ flip: true, turns: 1 }, { flip: false, turns: 3 }, { flip: true, turns: 2 }];
  const got = scope(() => imagesTensor({ pixels, shape: [3, 3, 5, 5], layout: 'nchw', views, jitter: [null, null, null], mean: IMAGENET_MEAN, std: IMAGENET_STD }).toFloat32Array());
  const want = runPython<number[]>(`
import torch
from torchvision.transforms import functional as TF
u8 = torch.tensor(inp['pixels'], dtype=torch.uint8).reshape(3, 5, 5, 3).permute(0, 3, 1, 2)
rows = []
for img, v in zip(u8, inp['views']):
    t = img.float() / 255
    if v['flip']: t = TF.hflip(t)
    t = torch.rot90(t, v['turns'], [1, 2])
    rows.append(TF.normalize(t, inp['mean'], inp['std']))
out(torch.stack(rows).flatten().tolist())
`, { pixels: Array.from(pixels), views, mean: IMAGENET_MEAN, std: IMAGENET_STD });
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `${i}: ${v} vs ${want[i]}`));
});

test('the dihedral preset draws each orientation about equally often; its flip is the flip preset\'s first draw', () => {
  const items: LoaderItem[] = Array.from({ length: 200 }, (_, i) => ({ path: `/nonexistent/${i}.png`, label: i % 2 }));
  const make = (augment: 'flip' | 'dihedral') => new DataLoader(items, { batchSize: 10, train: true, augment, seed: 4, cache: null });
  const dihedral = make('dihedral'), flip = make('flip');
  const counts = new Map<string, number>();
  for (let e = 0; e < 10; e++) {
    const d = dihedral.plan(e).flatMap((p) => p.views), f = flip.plan(e).flatMap((p) => p.views);
    assert.deepEqual(d.map((v) => v.flip), f.map((v) => v.flip));
    for (const v of d) counts.set(`${v.flip}${v.turns}`, (counts.get(`${v.flip}${v.turns}`) ?? 0) + 1);
  }
  assert.equal(counts.size, 8);
  // 2000 draws: each orientation 250 expected; a binomial sd of ~15.
  for (const [o, n] of counts) assert.ok(Math.abs(n - 250) < 75, `${o}: ${n}`);
  assert.ok(flip.plan(0).flatMap((p) => p.views).every((v) => v.turns === 0));
  assert.deepEqual(dihedral.plan(3)[0]!.views.map((v) => v.key), dihedral.plan(3)[0]!.views.map((v) => `${v.index}${v.flip ? 'f' : ''}${v.turns ? `r${v.turns}` : ''}`));
});
