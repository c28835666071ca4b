// Hostile --out paths: under a regular file, a dangling or looping symbolic link, a folder that refuses new
// entries (/proc/self: mkdir says ENOENT although the parent exists, and Node 20's recursive mkdir loops on it
// forever), a place where creating is not permitted (/sys: EPERM, even for root). train, demo, evaluate and
// export answer each with exit 2 and a sentence naming the path and what is wrong, never raw errno text, and
// leave nothing behind. (Permission denied, EACCES, needs a user other than root: test/cli-out-permission.test.ts.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './case.js';
import { makeStripes } from '../train-fixtures.js';

const tiny = ['--weights', 'none', '--arch', 'resnet18', '--image-size', '32', '--batch-size', '2', '--threads', '1', '--epochs1', '1', '--epochs2', '0'];

/** The command's arguments with OUT as --out; a tiny data folder and a (placeholder) model file in `dir`. */
type Command = { name: string; what: string; args: (dir: string, out: string) => string[]; suffix: string };
const commands: Command[] = [
  { name: 'train', what: 'the run folder', suffix: '', args: (_d, out) => ['train', 'data', '--out', out, ...tiny] },
  { name: 'demo', what: 'the run folder', suffix: '', args: (_d, out) => ['demo', '--out', out, '--epochs1', '1', '--epochs2', '0'] },
  { name: 'evaluate', what: 'the evaluation folder', suffix: '', args: (_d, out) => ['evaluate', 'model.safetensors', 'data', '--out', out] },
  { name: 'export', what: 'the export file', suffix: '.pth', args: (_d, out) => ['export', 'model.safetensors', '--out', out] },
];

async function baseInputs(dir: string): Promise<void> {
  await makeStripes(path.join(dir, 'data'), { train: 2, val: 1, test: 1 }, 8);
  // Never read: every --out below is refused before the model is loaded.
  fs.writeFileSync(path.join(dir, 'model.safetensors'), 'not read');
}

const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const listing = (dir: string) => fs.readdirSync(dir).sort();

export const cases: HostileCase[] = commands.flatMap((c): HostileCase[] => [
  {
    name: `${c.name} --out under a regular file`,
    async setup(dir) {
      await baseInputs(dir);
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
      return c.args(dir, `notes.txt/out${c.suffix}`);
    },
    code: 2,
    message: new RegExp(`^tlearn ${c.name}: cannot create ${c.what} \\S+/notes\\.txt/out${re(c.suffix)}: its parent \\S+/notes\\.txt is a file\\n`),
    after(dir) {
      assert.equal(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'mine');
    },
  },
  {
    name: `${c.name} --out two levels under a regular file`,
    async setup(dir) {
      await baseInputs(dir);
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
      return c.args(dir, `notes.txt/a/out${c.suffix}`);
    },
    code: 2,
    message: new RegExp(`cannot create ${c.what} \\S+/notes\\.txt/a/out${re(c.suffix)}: \\S+/notes\\.txt, on its path, is a file\\n`),
  },
  {
    name: `${c.name} --out a dangling symbolic link`,
    async setup(dir) {
      await baseInputs(dir);
      fs.symlinkSync(path.join(dir, 'gone'), path.join(dir, `link${c.suffix}`));
      return c.args(dir, `link${c.suffix}`);
    },
    code: 2,
    message: new RegExp(`cannot create ${c.what} \\S+/link${re(c.suffix)}: it is a symbolic link to \\S+/gone, which does not exist\\n`),
    after(dir) {
      assert.equal(fs.existsSync(path.join(dir, 'gone')), false, 'the link target is not created');
      assert.ok(fs.lstatSync(path.join(dir, `link${c.suffix}`)).isSymbolicLink());
      assert.deepEqual(listing(dir), ['data', `link${c.suffix}`, 'model.safetensors']);
    },
  },
  {
    name: `${c.name} --out inside a dangling symbolic link`,
    async setup(dir) {
      await baseInputs(dir);
      fs.symlinkSync(path.join(dir, 'gone'), path.join(dir, 'link'));
      return c.args(dir, `link/out${c.suffix}`);
    },
    code: 2,
    message: new RegExp(`cannot create ${c.what} \\S+/link/out${re(c.suffix)}: its parent \\S+/link is a symbolic link to \\S+/gone, which does not exist\\n`),
    after(dir) {
      assert.equal(fs.existsSync(path.join(dir, 'gone')), false);
    },
  },
  {
    name: `${c.name} --out a symbolic link to itself`,
    async setup(dir) {
      await baseInputs(dir);
      fs.symlinkSync(`loop${c.suffix}`, path.join(dir, `loop${c.suffix}`));
      return c.args(dir, `loop${c.suffix}`);
    },
    code: 2,
    message: new RegExp(`cannot create ${c.what} \\S+/loop${re(c.suffix)}: it is a symbolic link that leads back to itself\\n`),
  },
  {
    name: `${c.name} --out in /proc/self, which accepts no new entries (Node's recursive mkdir loops there)`,
    timeoutMs: 20_000,
    async setup(dir) {
      await baseInputs(dir);
      return c.args(dir, `/proc/self/tlearn-out${c.suffix}`);
    },
    code: 2,
    message: new RegExp(`cannot create ${c.what} /proc/self/tlearn-out${re(c.suffix)}: /proc/self does not accept new files or folders\\n`),
  },
  {
    name: `${c.name} --out in /sys, where creating is not permitted`,
    async setup(dir) {
      await baseInputs(dir);
      return c.args(dir, `/sys/tlearn-out${c.suffix}`);
    },
    code: 2,
    // mkdir there says EPERM, creating a file EACCES (export creates a file first).
    message: new RegExp(`cannot create ${c.what} /sys/tlearn-out${re(c.suffix)}: (creating files or folders in /sys is not permitted|you have no permission to create files or folders in /sys)\\n`),
    after(_dir, r) {
      assert.doesNotMatch(`${r.err}${r.out}`, /EPERM|ENOENT|ENOTDIR|mkdir '/);
      assert.equal(fs.existsSync(`/sys/tlearn-out${c.suffix}`), false);
    },
  },
]);
