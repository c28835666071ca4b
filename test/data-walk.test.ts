// Special files (FIFOs, sockets, link loops) found in a data folder. The CLI cases are in
// test/hostile/links-and-special-files.ts. Every test has a time limit: an open that waits on a FIFO fails
// instead of blocking.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { imageSize, prepareData } from '../src/data/index.js';
import { tempDir, writePng } from './data-fixtures.js';
import { makeFifo, makeSocket } from './helpers/special-files.js';

const LIMIT = { timeout: 30_000 };

/** DIR/<class>/<i>.png for each class, distinct images. */
async function classDirs(root: string, counts: Record<string, number>, seed = 0): Promise<string> {
  for (const [cls, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) await writePng(path.join(root, cls, `${i}.png`), 12, 10, seed++);
  }
  return root;
}

test('special files and link loops in a class folder are unreadable items named in the audit, not a hang', LIMIT, async () => {
  const root = await classDirs(tempDir(), { cat: 12, dog: 12 });
  const fifo = makeFifo(path.join(root, 'cat', 'pipe.png'));
  const socket = await makeSocket(path.join(root, 'dog', 'sock.png'));
  fs.symlinkSync('loop-b.png', path.join(root, 'dog', 'loop-a.png'));
  fs.symlinkSync('loop-a.png', path.join(root, 'dog', 'loop-b.png'));
  try {
    const { audit } = await prepareData(root, { imageSize: 8 });
    assert.deepEqual(audit.unreadable.map((u) => [u.path, u.reason]).sort(), [
      ['cat/pipe.png', 'not a regular file (a FIFO)'],
      ['dog/loop-a.png', 'symbolic link loop (the links lead back to each other)'],
      ['dog/loop-b.png', 'symbolic link loop (the links lead back to each other)'],
      ['dog/sock.png', 'not a regular file (a socket)'],
    ]);
  } finally {
    socket.close();
    await fifo.release();
  }
});

test('the decoder refuses a path that is not a regular file before opening it', LIMIT, async () => {
  const dir = tempDir();
  const fifo = makeFifo(path.join(dir, 'pipe.png'));
  try {
    await assert.rejects(imageSize(path.join(dir, 'pipe.png')), /^Error: not a regular file \(a FIFO\)$/);
    await assert.rejects(imageSize('/dev/zero'), /^Error: not a regular file \(a character device\)$/);
  } finally {
    await fifo.release();
  }
});
