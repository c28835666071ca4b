// `tlearn train` through the CLI: a start that failed on bad input (exit 2) does not block the retry in the
// same --out; exit codes 2 for input errors found by the data layer and in model files, 1 for a run that fails
// while training; --json ends a failed run with an error event; --out "" is refused; SIGTERM stops like a first
// Ctrl-C (the batch finishes, RUN/last is saved, exit 143 with the resume command as the user can type it; the
// resume says where it continues); help texts (demo's own defaults, every file of the run folder).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeStripes, removeTempDirs, tempDir } from './train-fixtures.js';
import { cliIn } from './helpers/cli.js';

after(removeTempDirs);

const T = { timeout: 600_000 };
const root = tempDir('tlearn-cli-train-');
const data = await makeStripes(path.join(root, 'data'), { train: 8, val: 4, test: 2 });
const tiny = ['--weights', 'none', '--arch', 'resnet18', '--image-size', '32', '--batch-size', '8', '--threads', '1', '--epochs1', '1', '--epochs2', '1'];

const cli = cliIn(root);

const lastJson = (text: string) => JSON.parse(text.trim().split('\n').at(-1)!) as Record<string, unknown>;

test('a failed start into a nested --out removes every folder it created, and only those', T, async () => {
  const third = path.join(data, 'train', 'third');
  fs.mkdirSync(third);
  fs.copyFileSync(path.join(data, 'train', 'stripes_h', '000.png'), path.join(third, 'x.png'));
  try {
    // A third class folder is refused by a binary task (without --task it is a multi-class run).
    const failed = await cli(['train', 'data', '--out', 'deep/a/b', ...tiny, '--task', 'binary']);
    assert.equal(failed.code, 2, failed.err);
    assert.equal(fs.existsSync(path.join(root, 'deep')), false, 'deep/a/b was created by the run and is removed up to deep/');
    fs.mkdirSync(path.join(root, 'mine'));
    const inMine = await cli(['train', 'data', '--out', 'mine/x/y', ...tiny, '--task', 'binary']);
    assert.equal(inMine.code, 2, inMine.err);
    assert.deepEqual(fs.readdirSync(path.join(root, 'mine')), [], "the user's own mine/ stays, empty as it was");
  } finally {
    fs.rmSync(third, { recursive: true });
  }
});

test('a start that failed on bad data (exit 2, a JSON error event) does not block the retry into the same --out', T, async () => {
  const third = path.join(data, 'train', 'third');
  fs.mkdirSync(third);
  fs.copyFileSync(path.join(data, 'train', 'stripes_h', '000.png'), path.join(third, 'x.png'));
  const out = path.join(root, 'run-retry');
  const failed = await cli(['train', 'data', '--out', out, ...tiny, '--task', 'binary', '--json']);
  fs.rmSync(third, { recursive: true });
  assert.equal(failed.code, 2, failed.err);
  assert.match(failed.err, /tlearn train: .*classes/);
  const event = lastJson(failed.out);
  assert.equal(event.type, 'error');
  assert.equal(event.exitCode, 2);
  assert.match(String(event.message), /classes/);
  // The failed start created --out and wrote nothing into it: the folder is gone again.
  assert.equal(fs.existsSync(out), false);
  // What a failed start may leave (the data preparation's files, even a config.json) is reused.
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'config.json'), '{}\n');
  fs.writeFileSync(path.join(out, 'history.csv'), 'phase,epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,val_auc,seconds,images_per_second\n');
  const resume = await cli(['train', 'data', '--out', out, ...tiny, '--resume']);
  assert.equal(resume.code, 2);
  assert.match(resume.err, /holds no completed epoch; start it again with the same command \(without --resume\)/);
  const retry = await cli(['train', 'data', '--out', out, ...tiny]);
  assert.equal(retry.code, 0, retry.err);
  assert.ok(fs.existsSync(path.join(out, 'best_model_final.safetensors')));
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).phases[0].epochs, 1);
  // A folder with an earlier run, or with files that are not tlearn's, is still refused.
  const again = await cli(['train', 'data', '--out', out, ...tiny]);
  assert.equal(again.code, 2);
  assert.match(again.err, /already holds a run/);
  const foreign = path.join(root, 'foreign');
  fs.mkdirSync(foreign);
  fs.writeFileSync(path.join(foreign, 'thesis.tex'), 'x');
  const f = await cli(['train', 'data', '--out', foreign, ...tiny]);
  assert.equal(f.code, 2);
  assert.match(f.err, /is not empty.*thesis\.tex/);
});

test('exit codes: 2 for input errors of the data and model files, 1 for a run that fails while training (with a JSON error event)', T, async () => {
  const csv = path.join(root, 'bad.csv');
  fs.writeFileSync(csv, 'path,label\nnope/missing.png,a\nnope/other.png,b\n');
  const c = await cli(['train', csv, '--out', path.join(root, 'run-csv'), ...tiny]);
  assert.equal(c.code, 2, c.err);
  const pos = await cli(['train', 'data', '--out', path.join(root, 'run-pos'), ...tiny, '--positive', 'nosuchclass']);
  assert.equal(pos.code, 2, pos.err);
  assert.match(pos.err, /nosuchclass/);

  const junk = path.join(root, 'junk.safetensors');
  fs.writeFileSync(junk, Buffer.from('this is not a checkpoint at all, only some text'));
  const truncated = path.join(root, 'truncated.pth');
  fs.writeFileSync(truncated, Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]));
  for (const args of [
    ['predict', junk, path.join(data, 'test')],
    ['evaluate', truncated, 'data', '--out', path.join(root, 'ev')],
    ['export', truncated, '--format', 'safetensors', '--out', path.join(root, 'x.safetensors')],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args[0]}: ${r.err}`);
    assert.match(r.err, /^tlearn (predict|evaluate|export): /);
  }

  const nan = await cli(['train', 'data', '--out', path.join(root, 'run-nan'), ...tiny, '--set', 'phases[0].lr=1e37', '--json']);
  assert.equal(nan.code, 1, nan.err);
  const event = lastJson(nan.out);
  assert.deepEqual([event.type, event.exitCode], ['error', 1]);
  assert.match(String(event.message), /loss is/);
});

test('--out "" is refused; help names the exit codes; demo --help says it falls back to random weights', async () => {
  const r = await cli(['train', 'data', '--out', '', ...tiny]);
  assert.equal(r.code, 2);
  assert.match(r.err, /--out/);
  const demo = await cli(['demo', '--out', '']);
  assert.equal(demo.code, 2);
  // evaluate and export too: an empty --out must not mean the working directory.
  for (const argv of [['evaluate', 'model.safetensors', 'data', '--out', ''], ['export', 'model.safetensors', '--format', 'pth', '--out', '']]) {
    const e = await cli(argv);
    assert.equal(e.code, 2, argv.join(' '));
    assert.match(e.err, /--out.*non-empty|empty.*--out/i, argv.join(' '));
  }
  const help = await cli(['--help']);
  assert.match(help.out, /Exit codes: 0 success; 1 the run failed.*2 bad usage or bad input.*130 \/ 143 .*SIGTERM/s);
  const d = await cli(['demo', '--help']);
  assert.match(d.out, /random/);
  assert.doesNotMatch(d.out, /Needs the ImageNet weights/);
  // The option list shows the demo's own defaults, as its description does (QA 7b F4).
  const flat = d.out.replace(/\s+/g, ' ');
  assert.match(flat, /--image-size <px> input size in pixels \(default 112\)/);
  assert.match(flat, /--epochs1 <n> epochs of phase 1, the head only \(default 3;/);
  assert.match(flat, /--epochs2 <n> epochs of phase 2, last stage \+ head \(layer4 for ResNet; default 2;/);
  assert.doesNotMatch(flat, /default 224|default 10/);
  const t = (await cli(['train', '--help'])).out.replace(/\s+/g, ' ');
  assert.match(t, /--image-size <px> input size in pixels \(default 224\)/);
  assert.match(t, /--epochs1 <n> epochs of phase 1, the head only \(default 10;/);
  // train --help names every file of the run folder, the large ones too (QA 7b F8).
  for (const name of ['config.json', 'manifest.csv', 'audit.json', 'history.csv', 'history.jsonl', 'best_model_final.safetensors', '.pth', 'eval/', 'report.html', 'last/']) {
    assert.ok(t.includes(name), `train --help names ${name}`);
  }
});

test('SIGTERM finishes the batch, saves RUN/last and exits 143 with the resume command; the run resumes', T, async () => {
  const out = path.join(root, 'run-term');
  const ts = import.meta.url.endsWith('.ts');
  const main = fileURLToPath(new URL(`../src/cli/main.${ts ? 'ts' : 'js'}`, import.meta.url));
  const code = `import { main } from ${JSON.stringify(main)}; await main(process.argv.slice(1));`;
  const args = ['train', data, '--out', out, ...tiny, '--epochs1', '40', '--epochs2', '0', '--no-feature-cache'];
  const child = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), '--input-type=module', '-e', code, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout.on('data', (d) => {
    stdout += d;
    // Once the second epoch has been reported, RUN/last exists and training goes on for a while.
    if (!sent && /phase1 epoch 2:/.test(stdout)) {
      sent = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  const exit = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.ok(sent, `never reached epoch 2:\n${stdout}\n${stderr}`);
  assert.equal(exit, 143, `${stdout}\n${stderr}`);
  // Stopped within an epoch (a resume goes on with the next batch), or after an epoch's last batch.
  const within = /Interrupted in phase1 epoch (\d+) after batch (\d+) of \d+: the state is saved in (.*), and a resume continues with batch (\d+)\./.exec(stdout);
  const between = /Interrupted in phase1 before epoch (\d+): the state is saved in (.*), and a resume starts with epoch \1\./.exec(stdout);
  assert.ok(within || between, stdout);
  const epoch = Number((within ?? between)![1]);
  assert.equal(within ? within[3] : between![2], path.join(out, 'last'));
  if (within) assert.equal(Number(within[4]), Number(within[2]) + 1);
  // One line with the command, started the way this process was (node -e: the README's `npx tlearn`); DATA
  // and the flags come from the run's config.json.
  const command = /^continue with: npx tlearn (train --out (\S+) --resume)$/m.exec(stderr);
  assert.ok(command, stderr);
  assert.equal(command[2], out);
  assert.doesNotMatch(stderr, /saved/);
  assert.ok(fs.existsSync(path.join(out, 'last', 'state.json')));
  const resumed = await cli(command[1]!.split(' '));
  assert.equal(resumed.code, 0, resumed.err);
  // It says where it continues: the batch after the last one done in the same epoch, or the next epoch.
  const expected = within ? `Resuming in phase1 epoch ${epoch} at batch ${within[4]} of 2 (${epoch - 1} of 40 phase1 epochs done)`
    : `Resuming at phase1 epoch ${epoch} (${epoch - 1} of 40 phase1 epochs done)`;
  assert.ok(resumed.out.split('\n').includes(expected), `${expected}\n${resumed.out}`);
});
