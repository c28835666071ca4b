// The check decode's cache priority holds whatever order the decodes finish in: a training image that decodes
// slowly (a large photo) still gets its place in a cache too small for every split, before validation images
// that started later but finished first.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { DataLoader, ImageCache, prepareData } from '../src/data/index.js';
import { tempDir, writePng } from './data-fixtures.js';

test('a slow training image keeps its place in the cache ahead of validation images that finish first', async () => {
  const root = tempDir();
  // train/a/0 is a 3000x2000 PNG (slow to decode); everything else is tiny. Sorted by path, train comes after test.
  await writePng(path.join(root, 'train', 'a', '0.png'), 3000, 2000, 1);
  await writePng(path.join(root, 'train', 'b', '0.png'), 8, 8, 2);
  for (const cls of ['a', 'b']) for (let i = 0; i < 2; i++) await writePng(path.join(root, 'val', cls, `${i}.png`), 8, 8, 10 + i + (cls === 'b' ? 5 : 0));
  const size = 8, entry = size * size * 3;
  const cache = new ImageCache({ memoryBytes: 2 * entry });
  // All six decodes start at once: the four validation images finish long before the large training image.
  const { dataset } = await prepareData(root, { imageSize: size, cache, cacheSplits: ['train', 'val'], concurrency: 6 });
  const train = dataset.items.filter((it) => it.split === 'train').map((it) => ({ path: it.path, label: it.label }));
  const hitsBefore = cache.stats.memoryHits;
  for await (const _ of new DataLoader(train, { imageSize: size, batchSize: 2, cache }).epoch(0)) { /* reading is the test */ }
  assert.equal(cache.stats.memoryHits - hitsBefore, 2, 'both training images are served from the cache');
});
