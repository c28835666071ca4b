// src/io/output-path.ts: --out folders are made one level at a time with every problem said in words, the
// checks leave nothing behind, and library callers (prepareRunDir, the evaluation folder) get the same error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeOutputFolder, outputPathProblem, OutputPathError } from '../src/io/output-path.js';
import { prepareRunDir, runPaths } from '../src/train/run-dir.js';
import { writeEvaluationFolder } from '../src/eval/eval-folder.js';
import { tempDir } from './helpers/temp.js';

test('makeOutputFolder makes the missing levels and says which one it made first; checks leave nothing behind', () => {
  const dir = tempDir();
  assert.equal(outputPathProblem(path.join(dir, 'a', 'b'), 'the run folder'), null);
  assert.deepEqual(fs.readdirSync(dir), [], 'the write check removed its probe');
  assert.equal(makeOutputFolder(path.join(dir, 'a', 'b', 'c'), 'the run folder'), path.join(dir, 'a'));
  assert.ok(fs.statSync(path.join(dir, 'a', 'b', 'c')).isDirectory());
  assert.equal(makeOutputFolder(path.join(dir, 'a', 'b', 'c'), 'the run folder'), null, 'nothing to make');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'a', 'b', 'c')), []);
  // A link to an existing folder is that folder.
  fs.symlinkSync(path.join(dir, 'a'), path.join(dir, 'to-a'));
  assert.equal(makeOutputFolder(path.join(dir, 'to-a', 'd'), 'the run folder'), path.join(dir, 'to-a', 'd'));
  assert.ok(fs.statSync(path.join(dir, 'a', 'd')).isDirectory());
});

test('--out problems as sentences, from the library too: prepareRunDir and the evaluation folder', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
  const under = path.join(dir, 'notes.txt', 'run');
  assert.throws(() => prepareRunDir(runPaths(under), { resume: false, overwrite: false }),
    (e: Error) => e instanceof OutputPathError && e.message === `cannot create the run folder ${under}: its parent ${path.join(dir, 'notes.txt')} is a file`);
  assert.equal(outputPathProblem(path.join(dir, 'notes.txt'), 'the run folder'), `cannot use the run folder: it is a file, not a folder`);
  // Node 20's recursive mkdir never returns here; one level at a time it is a plain refusal.
  assert.throws(() => makeOutputFolder('/proc/self/tlearn-test/x', 'the evaluation folder /proc/self/tlearn-test/x'),
    /^OutputPathError: cannot create the evaluation folder \/proc\/self\/tlearn-test\/x: \/proc\/self does not accept new files or folders$/);
  let wrote = false;
  await assert.rejects(writeEvaluationFolder(path.join(dir, 'notes.txt', 'ev'), async () => { wrote = true; }),
    (e: Error) => e instanceof OutputPathError && /its parent \S+notes\.txt is a file$/.test(e.message));
  assert.equal(wrote, false);
  assert.equal(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'mine');
});
