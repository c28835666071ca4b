// --out in a folder the user may not write in (EACCES). Root ignores permission bits, so the command runs in a
// child process as the unprivileged user 'nobody' (uid 65534); skipped where the tests do not run as root.
// train, demo, evaluate and export answer with exit 2 and a sentence naming the folder, never raw errno text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { makeStripes } from './train-fixtures.js';
import { tempPath } from './helpers/temp.js';

const asRoot = process.getuid?.() === 0;

/** Whether every folder from / to `dir` may be entered by others ('nobody' must reach the inputs). */
function reachableByOthers(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) return false;
    if (path.dirname(d) === d) return true;
  }
}

/** A new folder 'nobody' can reach: in the temp directory, or in /tmp where that one is private (the test runner's). */
function reachableTempDir(): string {
  const base = reachableByOthers(os.tmpdir()) ? os.tmpdir() : '/tmp';
  const dir = tempPath(fs.mkdtempSync(path.join(base, 'tlearn-perm-')));
  fs.chmodSync(dir, 0o755);
  return dir;
}

test('--out in a folder without write permission: exit 2 naming the folder (train, demo, evaluate, export)', { skip: !asRoot && 'needs root to run a command as another user' }, async () => {
  const dir = reachableTempDir(); // 'nobody' may enter it and read the inputs
  try {
    await makeStripes(path.join(dir, 'data'), { train: 2, val: 1, test: 1 }, 8);
    fs.writeFileSync(path.join(dir, 'model.safetensors'), 'not read');
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked, { mode: 0o755 }); // root's: others may read, not write
    const ts = import.meta.url.endsWith('.ts');
    const main = fileURLToPath(new URL(`../src/cli/main.${ts ? 'ts' : 'js'}`, import.meta.url));
    const code = `import { main } from ${JSON.stringify(main)}; await main(process.argv.slice(1));`;
    const tiny = ['--weights', 'none', '--arch', 'resnet18', '--image-size', '32', '--epochs1', '1', '--epochs2', '0'];
    const runs: Array<[string[], string]> = [
      [['train', 'data', '--out', 'locked/run', ...tiny], 'the run folder'],
      [['demo', '--out', 'locked/run', '--epochs1', '1', '--epochs2', '0'], 'the run folder'],
      [['evaluate', 'model.safetensors', 'data', '--out', 'locked/ev'], 'the evaluation folder'],
      [['export', 'model.safetensors', '--out', 'locked/m.pth'], 'the export file'],
    ];
    for (const [args, what] of runs) {
      const r = spawnSync(process.execPath, [...(ts ? ['--import', 'tsx'] : []), '--input-type=module', '-e', code, '--', ...args], {
        cwd: dir, uid: 65534, gid: 65534, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: dir },
      });
      const target = path.join(locked, args[args.indexOf('--out') + 1]!.slice('locked/'.length));
      assert.equal(r.status, 2, `tlearn ${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, `tlearn ${args[0]}: cannot create ${what} ${target}: you have no permission to create files or folders in ${locked}\n`);
      assert.deepEqual(fs.readdirSync(locked), []);
    }
    // An existing folder the user may not write in: evaluate says it cannot write into it.
    const r = spawnSync(process.execPath, [...(ts ? ['--import', 'tsx'] : []), '--input-type=module', '-e', code, '--', 'evaluate', 'model.safetensors', 'data', '--out', 'locked'], {
      cwd: dir, uid: 65534, gid: 65534, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: dir },
    });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, `tlearn evaluate: cannot write into the evaluation folder ${locked}: you have no permission to create files or folders in ${locked}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
