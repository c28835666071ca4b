// `npm run lint` (run by scripts/test.sh before the suite) must catch real bugs: the project's biome.jsonc and the
// script's own flags are run on a planted file in a temp copy of the layout, so a config that switched off the
// bug-catching rules, or a script that let warnings pass, fails here. The tree itself is linted by test.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './helpers/temp.js';

const root = process.cwd();
const biome = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'biome.cmd' : 'biome');

/** Lints `source` as src/probe.ts with the project's config and `npm run lint`'s flags; VCS off (no git there). */
function lint(source: string): { status: number | null; out: string } {
  const script = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.lint;
  const [bin, ...args] = (script ?? '').split(/\s+/);
  assert.equal(bin, 'biome', `npm run lint runs biome (found: ${script})`);
  const dir = tempDir();
  fs.copyFileSync(path.join(root, 'biome.jsonc'), path.join(dir, 'biome.jsonc'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'probe.ts'), source);
  const r = spawnSync(biome, [...args, '--vcs-enabled=false', '--colors=off', 'src/probe.ts'], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('npm run lint fails on an unused variable (a warning) and on == (an error), and passes clean code', { skip: !fs.existsSync(biome) && 'Biome is not installed (npm ci)' }, () => {
  const unused = lint('export function same(a: number, b: string): boolean {\n  const unused = 1;\n  return a === Number(b);\n}\n');
  assert.equal(unused.status, 1, unused.out);
  assert.match(unused.out, /lint\/correctness\/noUnusedVariables/);

  const looseEquals = lint('export function same(a: number, b: string): boolean {\n  return a == Number(b);\n}\n');
  assert.equal(looseEquals.status, 1, looseEquals.out);
  assert.match(looseEquals.out, /lint\/suspicious\/noDoubleEquals/);

  const clean = lint('export function same(a: number, b: string): boolean {\n  return a === Number(b);\n}\n');
  assert.equal(clean.status, 0, clean.out);
});
