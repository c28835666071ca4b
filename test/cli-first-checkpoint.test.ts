// A run whose first checkpoint cannot be written (a full disk: here the file-size limit of `ulimit -f`, a real
// limit of the operating system that makes every write past 4 MiB fail with EFBIG as a full disk fails with
// ENOSPC) fails with exit 1 after its first epoch, leaving config.json, manifest.csv, audit.json and a history
// row, but no RUN/last and no checkpoint. That folder holds no completed epoch: it counts as a failed start, so
// the same command starts it again (it used to say "already holds a run: continue it with --resume", and
// --resume "nothing to resume"), and --resume says exactly that. Folders where a run's files survive without
// a resume state say what to do instead of pointing at --resume.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeStripes, removeTempDirs, tempDir } from './train-fixtures.js';
import { cliIn } from './helpers/cli.js';
import { inspectRunDir } from '../src/train/run-dir.js';

after(removeTempDirs);

const T = { timeout: 600_000 };
const root = tempDir('tlearn-first-ckpt-');
const data = await makeStripes(path.join(root, 'data'), { train: 8, val: 4, test: 2 });
const tiny = ['--weights', 'none', '--arch', 'resnet18', '--image-size', '32', '--batch-size', '8', '--threads', '1', '--epochs1', '1', '--epochs2', '0'];
const cli = cliIn(root);

/** `tlearn ARGS` in a child process whose files may not grow past `kib` KiB (bash's ulimit -f). */
function cliWithFileLimit(kib: number, args: string[]) {
  const ts = import.meta.url.endsWith('.ts');
  const main = fileURLToPath(new URL(`../src/cli/main.${ts ? 'ts' : 'js'}`, import.meta.url));
  const code = `import { main } from ${JSON.stringify(main)}; await main(process.argv.slice(1));`;
  const node = [process.execPath, ...(ts ? ['--import', 'tsx'] : []), '--input-type=module', '-e', code, '--', ...args];
  return spawnSync('bash', ['-c', `ulimit -f ${kib} && exec "$@"`, 'bash', ...node], { cwd: root, encoding: 'utf8', timeout: 300_000 });
}

const read = (f: string) => fs.readFileSync(f, 'utf8');
const dataRows = (f: string) => read(f).trim().split('\n').length - 1;

test('a run whose first checkpoint could not be written is started again by the same command; --resume says so', T, async () => {
  const out = path.join(root, 'run');
  const args = ['train', data, '--out', out, ...tiny];
  // Every model file (resnet18: 45 MB) is over the limit; config.json, manifest.csv, audit.json and the history are not.
  const failed = cliWithFileLimit(4096, args);
  assert.equal(failed.status, 1, `${failed.stdout}\n${failed.stderr}`);
  assert.match(failed.stderr, /tlearn train: cannot write \S+best_model_phase1\.safetensors: EFBIG/);
  assert.equal(dataRows(path.join(out, 'history.csv')), 1, 'the epoch was trained and its row written');
  assert.equal(fs.existsSync(path.join(out, 'last')), false, 'the first resume state could not be written');
  assert.deepEqual(fs.readdirSync(out).filter((n) => n.startsWith('best_model_')), []);
  assert.equal(inspectRunDir(out).kind, 'pretraining');
  const before = Object.fromEntries(['config.json', 'manifest.csv', 'audit.json'].map((n) => [n, read(path.join(out, n))]));
  const listing = fs.readdirSync(out).sort();

  const resume = await cli(['train', '--out', out, '--resume']);
  assert.equal(resume.code, 2, resume.err);
  assert.equal(resume.err, `tlearn train: ${out} holds no completed epoch; start it again with the same command (without --resume)\n`);
  assert.deepEqual(fs.readdirSync(out).sort(), listing, '--resume changed nothing');

  const again = await cli(args);
  assert.equal(again.code, 0, again.err);
  assert.ok(fs.existsSync(path.join(out, 'best_model_final.safetensors')));
  assert.ok(fs.existsSync(path.join(out, 'last', 'state.json')));
  // What the failed start had saved is written again, identically; the history is the new run's only.
  for (const [name, text] of Object.entries(before)) assert.equal(read(path.join(out, name)), text, name);
  assert.equal(dataRows(path.join(out, 'history.csv')), 1);
});

test('folders without a resume state: what the messages tell the user to do', T, async () => {
  const startFiles = (dir: string) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), '{}\n');
    fs.writeFileSync(path.join(dir, 'manifest.csv'), 'path,label,split,bytes,sha256\n');
    fs.writeFileSync(path.join(dir, 'history.csv'), 'phase,epoch\nphase1,1\n');
  };
  // A resume state that trained nothing (saved before the first batch): no completed epoch either.
  const fresh = path.join(root, 'fresh-state');
  startFiles(fresh);
  fs.mkdirSync(path.join(fresh, 'last'));
  fs.writeFileSync(path.join(fresh, 'last', 'state.json'), JSON.stringify({ version: 1, globalEpoch: 0, midEpoch: null, history: [] }));
  assert.equal(inspectRunDir(fresh).kind, 'pretraining');
  // One that has trained batches of its first epoch is a run (Ctrl-C in epoch 1): --resume continues it.
  fs.writeFileSync(path.join(fresh, 'last', 'state.json'), JSON.stringify({ version: 1, globalEpoch: 0, midEpoch: { batchesDone: 2 }, history: [] }));
  assert.deepEqual(inspectRunDir(fresh), { kind: 'run', entries: ['history.csv', 'last'], resumable: true });
  const used = await cli(['train', data, '--out', fresh, ...tiny]);
  assert.equal(used.code, 2);
  assert.match(used.err, /already holds a run \(history\.csv, last\): continue it with --resume, or choose another --out/);

  // A checkpoint but no resume state (its save failed, or last/ was deleted to save space): the run cannot be
  // continued, and the folder is not taken for a failed start (the checkpoint would be lost).
  const orphan = path.join(root, 'orphan');
  startFiles(orphan);
  fs.writeFileSync(path.join(orphan, 'best_model_phase1.safetensors'), 'x');
  assert.deepEqual(inspectRunDir(orphan), { kind: 'run', entries: ['best_model_phase1.safetensors', 'history.csv'], resumable: false });
  const plain = await cli(['train', data, '--out', orphan, ...tiny]);
  assert.equal(plain.code, 2);
  assert.equal(plain.err, `tlearn train: ${orphan} already holds a run (best_model_phase1.safetensors, history.csv) that cannot be continued: ` +
    'it has no resume state (last/); choose another --out, or move those files away to start again there\n');
  const resume = await cli(['train', '--out', orphan, '--resume']);
  assert.equal(resume.code, 2);
  assert.equal(resume.err, `tlearn train: cannot resume ${orphan}: it has no resume state (last/), so its run cannot be continued; ` +
    'its files (best_model_phase1.safetensors, history.csv) stay as they are. Start a new run with another --out\n');
  assert.ok(fs.existsSync(path.join(orphan, 'best_model_phase1.safetensors')));
});
