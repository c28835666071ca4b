// featureCache.dir: a run killed with kill -9 leaves its spill folder tlearn-<host>-<pid>-<stage> there, and a
// resume (another pid) never reuses it. The next run removes the folders of this machine whose process is
// gone, and nothing else: a live process's, another machine's (a shared disk), or anything not named so.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { removeStaleSpillDirs, spillDirName } from '../src/train/cache/phase-caches.js';
import { train } from '../src/train/index.js';
import { makeStripes, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

/** The id of a process that has ended (a child that ran and exited). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  assert.ok(r.pid && r.pid > 0);
  return r.pid!;
}

/** A folder holding one spilled entry, as a killed run leaves it. */
function plant(dir: string, name: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, '0123abcd.bin'), Buffer.alloc(64));
  return d;
}

test('removeStaleSpillDirs removes only this machine\'s folders of ended processes', () => {
  const dir = tempDir('tlearn-stale-');
  const dead = deadPid();
  const stale = plant(dir, spillDirName('layer3', dead));
  const staleOld = plant(dir, `tlearn-${dead}-layer4`); // the name before the host was part of it
  const live = plant(dir, spillDirName('layer3', process.pid));
  const otherHost = plant(dir, `tlearn-not-this-host.example-${dead}-layer3`);
  const notStage = plant(dir, `tlearn-${dead}-photos`);
  const mine = plant(dir, 'photos');
  fs.writeFileSync(path.join(dir, spillDirName('layer2', dead)), 'a file, not a cache folder');
  assert.deepEqual(removeStaleSpillDirs(dir).sort(), [stale, staleOld].sort());
  for (const kept of [live, otherHost, notStage, mine, path.join(dir, spillDirName('layer2', dead))]) assert.ok(fs.existsSync(kept), kept);
  assert.ok(!fs.existsSync(stale) && !fs.existsSync(staleOld));
  assert.deepEqual(removeStaleSpillDirs(path.join(dir, 'missing')), []);
});

test('a run with featureCache.dir removes a killed run\'s spill folder and leaves none of its own', { timeout: 600_000 }, async () => {
  const root = tempDir('tlearn-stale-run-');
  const data = await makeStripes(path.join(root, 'data'), { train: 8, val: 4, test: 2 });
  const cacheDir = path.join(root, 'fc');
  const stale = plant(cacheDir, spillDirName('layer4', deadPid()));
  const lines: string[] = [];
  // A 0 MB budget spills almost every entry to the folder.
  const config = tinyConfig(data, [`featureCache.dir=${cacheDir}`, 'featureCache.memoryMB=0'], { epochs1: 1, epochs2: 0, threads: 1 });
  const r = await train(config, { out: path.join(root, 'run'), handleSigint: false, skipEvaluation: true, log: (l) => lines.push(l) });
  assert.equal(r.interrupted, false);
  assert.ok(!fs.existsSync(stale), 'the killed run\'s folder is gone');
  assert.ok(lines.includes(`removed 1 feature-cache folder left by killed runs: ${stale}`), lines.join('\n'));
  assert.deepEqual(fs.readdirSync(cacheDir), [], 'the run removed its own spill folder at its end');
});
