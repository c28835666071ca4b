// The walk over image folders (src/data/walk.ts), one for every command: which symbolic links it follows,
// what it refuses, and special files (FIFOs, sockets, link loops) found in a data folder. The CLI cases are
// in test/hostile/links-and-special-files.ts. Every test has a time limit: a walk that loops or an open
// that waits on a FIFO fails instead of blocking.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { imageSize, loadSource, prepareData } from '../src/data/index.js';
import { collectInputFiles } from '../src/cli/commands/predict.js';
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

const rels = (ds: { items: Array<{ relPath: string }> }) => ds.items.map((it) => it.relPath).sort();

test('a folder link out of the data and a file link are followed, in a class folder and as a class folder', LIMIT, async () => {
  const dir = tempDir();
  const data = await classDirs(path.join(dir, 'data'), { cat: 3 });
  await classDirs(path.join(dir, 'outside'), { more: 2, dogs: 3 }, 50);
  fs.symlinkSync('../../outside/more', path.join(data, 'cat', 'more'));
  fs.symlinkSync('../outside/dogs', path.join(data, 'dog'));
  fs.symlinkSync('../../outside/more/0.png', path.join(data, 'cat', 'single.png'));
  // A hidden folder of the data is no class folder: a link to it is followed too.
  await classDirs(path.join(data, '.pool'), { cats: 1 }, 90);
  fs.symlinkSync('../.pool/cats', path.join(data, 'cat', 'pooled'));
  const ds = await loadSource(data);
  assert.deepEqual(ds.classes, ['cat', 'dog']);
  assert.deepEqual(rels(ds), [
    'cat/0.png', 'cat/1.png', 'cat/2.png', 'cat/more/0.png', 'cat/more/1.png', 'cat/pooled/0.png', 'cat/single.png',
    'dog/0.png', 'dog/1.png', 'dog/2.png',
  ]);
  // predict walks a folder the same way.
  const inputs = await collectInputFiles(['data/cat'], dir);
  assert.deepEqual(inputs.map((f) => path.relative(data, f.path)), ['cat/0.png', 'cat/1.png', 'cat/2.png', 'cat/more/0.png', 'cat/more/1.png', 'cat/pooled/0.png', 'cat/single.png']);
});

test('a file reached under two names through links is reported: a note, and the audit\'s duplicates and leakage', LIMIT, async () => {
  const root = tempDir();
  for (const split of ['train', 'val']) await classDirs(path.join(root, split), { neg: 3, pos: 3 }, split === 'val' ? 20 : 0);
  // The same file as train/neg/0.png, under val/neg/.
  fs.symlinkSync('../../train/neg/0.png', path.join(root, 'val', 'neg', 'again.png'));
  const { audit } = await prepareData(root, { imageSize: 8 });
  assert.match(audit.notes.join('\n'), /1 file reached under more than one name through symbolic links .*: train\/neg\/0\.png = val\/neg\/again\.png/);
  assert.deepEqual(audit.duplicates.map((g) => g.files.map((f) => f.path).sort()), [['train/neg/0.png', 'val/neg/again.png']]);
  assert.deepEqual(audit.leakage.map((g) => g.splits), [['train', 'val']]);
});

test('folder links that would read images twice are refused, naming the link and where it leads', LIMIT, async () => {
  const make = async (link: string, at: string) => {
    const dir = tempDir();
    const data = await classDirs(path.join(dir, 'data'), { cat: 2, dog: 2 });
    fs.symlinkSync(link, path.join(data, at));
    return { dir, data };
  };
  const refused = async (link: string, at: string, why: RegExp) => {
    const { dir, data } = await make(link, at);
    const text = new RegExp(`folder link ${at.replace(/\./g, '\\.')} -> ${link.replace(/\./g, '\\.')} ${why.source}`);
    await assert.rejects(loadSource(data), text, `loadSource, ${at} -> ${link}`);
    // predict on the same folder: the same refusal.
    await assert.rejects(collectInputFiles(['data'], dir), text, `predict, ${at} -> ${link}`);
  };
  await refused('.', 'cat/self', /leads to .*cat, a folder that holds the link \(a loop\)/);
  await refused('..', 'cat/up', /leads to the (data )?folder itself \(a loop\)/);
  await refused('../../..', 'cat/way-up', /leads to .*, a folder above the (data )?folder \(a loop\)/);
  await refused('../dog', 'cat/dogs', /leads into dog\/, which the (data )?folder holds anyway/);
  await refused('cat', 'kitten', /leads into cat\/, which the (data )?folder holds anyway/);
});

test('a data folder reached through a link is scanned as itself', LIMIT, async () => {
  const dir = tempDir();
  await classDirs(path.join(dir, 'real'), { cat: 3, dog: 3 });
  fs.symlinkSync('real', path.join(dir, 'data'));
  const ds = await loadSource(path.join(dir, 'data'));
  assert.equal(ds.items.length, 6);
});

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
