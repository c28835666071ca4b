// Hostile --out folders for `tlearn export --format web`: a regular file, a folder with someone's files (with and
// without --force: --force only replaces an earlier page, never another folder), the folder that holds MODEL,
// a path under a regular file. Each is refused with exit 2 before the model is read, and nothing is lost.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './case.js';

const web = (out: string, ...more: string[]) => ['export', 'model.safetensors', '--format', 'web', '--out', out, ...more];
const model = (dir: string) => fs.writeFileSync(path.join(dir, 'model.safetensors'), 'never read: --out is refused first');

function mine(dir: string): string {
  model(dir);
  fs.mkdirSync(path.join(dir, 'site'));
  fs.writeFileSync(path.join(dir, 'site', 'thesis.tex'), 'keep me');
  return 'site';
}
const kept = (dir: string) => assert.equal(fs.readFileSync(path.join(dir, 'site', 'thesis.tex'), 'utf8'), 'keep me');

export const cases: HostileCase[] = [
  {
    name: 'export --format web --out naming a regular file',
    setup(dir) { model(dir); fs.writeFileSync(path.join(dir, 'page'), 'mine'); return web('page', '--force'); },
    code: 2,
    message: /--out \S*page exists and is not a folder/,
    after(dir) { assert.equal(fs.readFileSync(path.join(dir, 'page'), 'utf8'), 'mine'); },
  },
  {
    name: 'export --format web --out a non-empty folder without --force',
    setup: (dir) => web(mine(dir)),
    code: 2,
    message: /site already exists and is not empty; .*--force/,
    after: kept,
  },
  {
    name: 'export --format web --out someone else\'s folder with --force',
    setup: (dir) => web(mine(dir), '--force'),
    code: 2,
    message: /site is not a page written by tlearn export --format web .*--force only replaces such a folder/,
    after: kept,
  },
  {
    name: 'export --format web --out the folder holding MODEL, with --force',
    setup(dir) { model(dir); return web('.', '--force'); },
    code: 2,
    message: /--out \. holds MODEL/,
    after(dir) { assert.ok(fs.existsSync(path.join(dir, 'model.safetensors'))); },
  },
  {
    name: 'export --format web --out under a regular file',
    setup(dir) { model(dir); fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine'); return web('notes.txt/page'); },
    code: 2,
    message: /notes\.txt/,
    after(dir) { assert.deepEqual(fs.readdirSync(dir).sort(), ['model.safetensors', 'notes.txt']); },
  },
];
