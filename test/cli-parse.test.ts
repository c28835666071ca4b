// The command-line grammar: help texts, exit codes, and flags reaching the resolved configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/cli/main.js';
import type { CliIO } from '../src/cli/io.js';
import { prepareTrain, type TrainOptions } from '../src/cli/commands/train.js';
import { prepareDemo, type DemoOptions } from '../src/cli/commands/demo.js';
import { loadPart } from '../src/cli/planned.js';
import { NotAvailableError } from '../src/cli/errors.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('tlearn-cli-');
const dataDir = path.join(tmp, 'data');
for (const cls of ['cat', 'dog']) fs.mkdirSync(path.join(dataDir, cls), { recursive: true });

interface Result { code: number; out: string; err: string; calls: Array<{ command: string; options: any }> }

/** Runs the CLI in-process; with dry = true commands are parsed but not run. */
async function cli(args: string[], dry = true): Promise<Result> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => { out += t; }, err: (t) => { err += t; }, cwd: tmp };
  const calls: Result['calls'] = [];
  const code = await runCli(args, io, dry ? { dryRun: (command, options) => calls.push({ command, options }) } : {});
  return { code, out, err, calls };
}

const COMMANDS: Array<[string[], string[]]> = [
  [['train'], ['[data]', '--out <dir>', '--config <file>', '--weights', '--arch', '--image-size', '--batch-size', '--epochs1', '--epochs2',
    '--lr1', '--lr2', '--augment', '--positive', '--seed', '--threads', '--device', '--resume', '--json']],
  [['evaluate'], ['<model>', '<data>', '--split', '--out <dir>', '--threshold', '--json', '--image-size', '--classes']],
  [['predict'], ['<model>', '<inputs...>', '--threshold', '--json', '--csv', '--image-size', '--classes']],
  [['export'], ['<model>', '--format', 'safetensors', 'pth', '--out <file>']],
  [['weights'], ['list', 'fetch', 'path']],
  [['weights', 'list'], ['--json']],
  [['weights', 'fetch'], ['<name>']],
  [['weights', 'path'], ['<name>']],
  [['demo'], ['--out <dir>', '--epochs1', '--epochs2', '--weights']],
  [['doctor'], ['--json']],
  [['info'], ['<model>', '--json', '.onnx']],
  [['compare'], ['<a>', '<b>', '--json', 'DeLong', 'McNemar']],
  [['lr-find'], ['[data]', '--out <dir>', '--phase <n>', '--from', '--steps', '--config <file>']],
  [['cv'], ['[data]', '--out <dir>', '--folds <k>', '--config <file>', '--epochs1', '--resume', '--json']],
];

test('--help on every command: exit 0, usage, the contract flags and examples', async () => {
  for (const [cmd, flags] of COMMANDS) {
    const r = await cli([...cmd, '--help']);
    assert.equal(r.code, 0, cmd.join(' '));
    assert.equal(r.err, '');
    assert.match(r.out, new RegExp(`^Usage: tlearn ${cmd.join(' ')} `), cmd.join(' '));
    assert.match(r.out, /\nExamples:\n {2}\$ tlearn /, `${cmd.join(' ')} help has examples`);
    for (const f of flags) assert.ok(r.out.includes(f), `${cmd.join(' ')} --help mentions ${f}`);
    assert.equal(r.calls.length, 0, 'help runs nothing');
  }
  const top = await cli(['--help']);
  assert.equal(top.code, 0);
  for (const c of ['train', 'evaluate', 'calibrate', 'predict', 'export', 'info', 'compare', 'weights', 'demo', 'doctor']) assert.match(top.out, new RegExp(`\\n  ${c} `));
  assert.match(top.out, /Exit codes: 0 success; 1 the run failed .*\n {2}2 bad usage or bad input .*\n {2}130 \/ 143 training stopped/);
  const version = await cli(['--version']);
  assert.equal(version.code, 0);
  assert.equal(version.out.trim(), JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url).pathname.replace(/dist\/package\.json$/, 'package.json'), 'utf8')).version);
});

test('bad usage exits with 2 and a clear message on stderr', async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /Usage: tlearn/],
    [['trian'], /unknown command 'trian'[\s\S]*Did you mean train\?/],
    [['train'], /missing required argument 'data'|required option '--out <dir>' not specified/],
    [['train', 'data'], /required option '--out <dir>' not specified/],
    [['train', 'data', '--out', 'r', '--batch-size', 'abc'], /option '--batch-size <n>' argument 'abc' is invalid\. expected an integer from 2 to 65536/],
    [['train', 'data', '--out', 'r', '--batch-size', '1'], /'--batch-size <n>' argument '1' is invalid/],
    [['train', 'data', '--out', 'r', '--augment', 'foo'], /option '--augment <preset>' argument 'foo' is invalid\. Allowed choices are none, flip, light, standard/],
    [['train', 'data', '--out', 'r', '--epoch1', '3'], /unknown option '--epoch1'[\s\S]*Did you mean --epochs1\?/],
    [['train', 'data', '--out', 'r', '--epochs1', '-1'], /'--epochs1 <n>' argument '-1' is invalid\. expected an integer ≥ 0/],
    [['train', 'data', '--out', 'r', '--lr2', '0'], /'--lr2 <lr>' argument '0' is invalid\. expected a positive number/],
    [['train', 'data', '--out', 'r', '--lr2', 'fast'], /'--lr2 <lr>' argument 'fast' is invalid/],
    [['train', 'data', '--out', 'r', '--image-size', '224px'], /'--image-size <px>' argument '224px' is invalid/],
    [['train', 'data', '--out', 'r', '--seed', '0x10'], /'--seed <n>' argument '0x10' is invalid/],
    [['train', 'data', '--out', 'r', '--device', 'gpu'], /Allowed choices are cpu, cuda/],
    [['train', 'data', '--out', 'r', '--pos-weight', 'lots'], /expected "auto" or a positive number/],
    [['train', 'data', '--out', 'r', '--set', 'lr'], /expected KEY=VALUE/],
    [['train', 'data', 'extra', '--out', 'r'], /too many arguments/],
    [['evaluate', 'm.pth'], /missing required argument 'data'|required option '--out <dir>' not specified/],
    [['evaluate', 'm.pth', 'data', '--out', 'e', '--split', 'dev'], /Allowed choices are train, val, test, all/],
    [['evaluate', 'm.pth', 'data', '--out', 'e', '--threshold', '1.5'], /'--threshold <t>' argument '1\.5' is invalid\. expected a number from 0 to 1/],
    [['predict', 'm.pth'], /missing required argument 'inputs'/],
    [['predict', 'm.pth', 'x.png', '--json', '--csv'], /option '--json' cannot be used with option '--csv'/],
    [['predict', 'm.pth', 'x.png', '--classes', 'cat'], /expected two different class names separated by a comma/],
    [['predict', 'm.pth', 'x.png', '--classes', 'cat,cat'], /expected two different class names/],
    // (--format may be left out: the --out extension decides it; the run checks it.)
    [['export', 'm.pth', '--out', 'x.pth', '--image-size', '8'], /'--image-size <px>' argument '8' is invalid/],
    [['export', 'm.pth', '--format', 'tflite', '--out', 'x.tflite'], /Allowed choices are safetensors, pth, onnx/],
    [['weights'], /Usage: tlearn weights/],
    [['weights', 'fetch'], /missing required argument 'name'/],
    [['weights', 'remove', 'x'], /unknown command 'remove'/],
    [['doctor', 'now'], /too many arguments/],
    [['info'], /missing required argument 'model'/],
    [['demo', '--epochs2', 'many'], /'--epochs2 <n>' argument 'many' is invalid/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `exit code of tlearn ${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re, `stderr of tlearn ${args.join(' ')}`);
    assert.equal(r.calls.length, 0, `tlearn ${args.join(' ')} must not run`);
  }
});

test('train flags reach the resolved configuration', async () => {
  const r = await cli(['train', 'data', '--out', 'runs/r1', '--epochs1', '2', '--epochs2', '0', '--lr1', '3e-3', '--lr2', '5e-6',
    '--image-size', '160', '--batch-size', '12', '--augment', 'light', '--positive', 'dog', '--seed', '42', '--threads', '3',
    '--device', 'cuda', '--weights', 'none', '--arch', 'resnet34', '--precision', 'bf16', '--channels-last', '--bn-policy', 'train',
    '--pos-weight', 'auto', '--no-feature-cache', '--resize', 'crop', '--dropout', '0.2', '--val-fraction', '0.1', '--test-fraction', '0.2',
    '--threshold-method', 'youden', '--checkpoint-format', 'pth', '--set', 'phases[1].optimizer=sgd', '--set', 'phases[1].momentum=0.8', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.calls.length, 1);
  assert.equal(r.calls[0].command, 'train');
  const opts = r.calls[0].options as TrainOptions;
  assert.equal(opts.json, true);
  assert.equal(opts.resume, false);
  const { config, out } = prepareTrain(opts, tmp);
  assert.equal(out, path.join(tmp, 'runs/r1'));
  assert.equal(config.data.path, dataDir);
  assert.deepEqual(config.phases.map((p) => [p.epochs, p.lr, p.optimizer]), [[2, 3e-3, 'adam'], [0, 5e-6, 'sgd']]);
  assert.equal(config.phases[1].momentum, 0.8);
  assert.deepEqual(
    [config.input.imageSize, config.batchSize, config.augment, config.data.positive, config.seed, config.threads, config.device, config.model.weights, config.model.arch],
    [160, 12, 'light', 'dog', 42, 3, 'cuda', 'none', 'resnet34']);
  assert.deepEqual(
    [config.precision, config.channelsLast, config.bnPolicy, config.posWeight, config.featureCache.enabled, config.input.resize, config.model.dropout,
      config.data.valFraction, config.data.testFraction, config.threshold, config.checkpointFormat],
    ['bf16', true, 'train', 'auto', false, 'crop', 0.2, 0.1, 0.2, { method: 'youden', value: null }, 'pth']);

  // Nothing given: every default, and the feature cache stays on.
  const plain = await cli(['train', 'data', '--out', 'runs/r2']);
  assert.deepEqual((plain.calls[0].options as TrainOptions).overrides, {});
  const d = prepareTrain(plain.calls[0].options as TrainOptions, tmp).config;
  assert.equal(d.featureCache.enabled, true);
  assert.equal(d.channelsLast, 'auto');
  const nchw = await cli(['train', 'data', '--out', 'runs/r3', '--no-channels-last']);
  assert.equal(prepareTrain(nchw.calls[0].options as TrainOptions, tmp).config.channelsLast, false);
  assert.deepEqual(d.phases.map((p) => [p.epochs, p.lr, p.trainable.join('+')]), [[10, 1e-3, 'fc'], [10, 1e-5, 'layer4+fc']]);
});

test('train: a config file under the flags; bad input found after parsing exits with 2', async () => {
  fs.writeFileSync(path.join(tmp, 'run.yaml'), 'batchSize: 8\nphases:\n  - epochs: 4\n  - epochs: 6\n    lr: 2e-5\n');
  const r = await cli(['train', 'data', '--out', 'runs/r3', '--config', 'run.yaml', '--epochs2', '1']);
  const { config } = prepareTrain(r.calls[0].options as TrainOptions, tmp);
  assert.deepEqual([config.batchSize, config.phases[0].epochs, config.phases[1].epochs, config.phases[1].lr], [8, 4, 1, 2e-5]);

  // These fail in prepareTrain, before the trainer is loaded, so running them for real is safe.
  fs.writeFileSync(path.join(tmp, 'bad.yaml'), 'phases:\n  - {}\n  - lr: fast\n');
  fs.mkdirSync(path.join(tmp, 'runs/used'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'runs/used/config.json'), '{}');
  fs.writeFileSync(path.join(tmp, 'runs/used/best_model_phase1.safetensors'), 'x');
  fs.mkdirSync(path.join(tmp, 'runs/other'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'runs/other/notes.txt'), 'mine');
  fs.writeFileSync(path.join(tmp, 'file.txt'), 'x');
  const cases: Array<[string[], RegExp]> = [
    [['train', 'data', '--out', 'runs/x', '--config', 'bad.yaml'], /^tlearn train: invalid configuration \(.*bad\.yaml\):\n {2}config\.phases\[1\]\.lr: expected a positive number, got "fast"\n$/],
    [['train', 'data', '--out', 'runs/x', '--config', 'missing.yaml'], /missing\.yaml\):\n {2}config: cannot read the file/],
    [['train', 'nodata', '--out', 'runs/x'], /the data folder .*nodata does not exist/],
    [['train', 'file.txt', '--out', 'runs/x'], /DATA must be a folder or a \.csv file/],
    [['train', 'labels.csv', '--out', 'runs/x'], /the data CSV .*labels\.csv does not exist/],
    [['train', 'data', '--out', 'runs/x', '--weights', 'w/missing.pth'], /the weights file .*w\/missing\.pth does not exist/],
    [['train', 'data', '--out', 'runs/x', '--weights', 'imagnet'], /--weights \(config\.model\.weights\): .*got "imagnet" \(did you mean "imagenet"\?\)/],
    [['train', 'data', '--out', 'runs/x', '--arch', 'resnet18', '--weights', 'imagenet-v2'], /torchvision has no IMAGENET1K_V2 weights for resnet18/],
    [['train', 'data', '--out', 'runs/used'], /runs\/used already holds a run \(best_model_phase1\.safetensors\) that cannot be continued: it has no resume state \(last\/\); choose another --out/],
    [['train', 'data', '--out', 'runs/other'], /runs\/other exists and is not empty \(notes\.txt\); choose another --out/],
    [['train', 'data', '--out', 'runs/x', '--resume'], /nothing to resume: .*runs\/x\/last does not exist/],
    [['train', 'data', '--out', 'runs/used', '--resume', '--config', 'run.yaml'], /cannot be combined with --config/],
    [['train', 'data', '--out', 'runs/x', '--set', 'phases[0].trainable=[layer5]'], /--set phases\[0\]\.trainable \(config\.phases\[0\]\.trainable\[0\]\): unknown module "layer5"/],
  ];
  for (const [args, re] of cases) {
    const res = await cli(args, false);
    assert.equal(res.code, 2, `tlearn ${args.join(' ')}: ${res.err}`);
    assert.match(res.err, re, `tlearn ${args.join(' ')}`);
    assert.equal(res.out, '');
  }
});

test('train without DATA: the config file\'s data.path or data.csv', async () => {
  fs.writeFileSync(path.join(tmp, 'withdata.yaml'), 'data: { path: data }\nbatchSize: 4\n');
  fs.mkdirSync(path.join(tmp, 'csvdir'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'csvdir', 'labels.csv'), 'path,label\n');
  fs.writeFileSync(path.join(tmp, 'withcsv.yaml'), 'data: { csv: csvdir/labels.csv }\n');
  const r = await cli(['train', '--out', 'runs/nodata', '--config', 'withdata.yaml']);
  assert.equal(r.code, 0, r.err);
  const opts = r.calls[0].options as TrainOptions;
  assert.equal(opts.data, undefined);
  const { config } = prepareTrain(opts, tmp);
  assert.equal(config.data.path, dataDir);
  assert.equal(config.batchSize, 4);
  const c = await cli(['train', '--out', 'runs/nodata', '--config', 'withcsv.yaml']);
  const fromCsv = prepareTrain(c.calls[0].options as TrainOptions, tmp).config;
  assert.deepEqual([fromCsv.data.csv, fromCsv.data.path], [path.join(tmp, 'csvdir', 'labels.csv'), path.join(tmp, 'csvdir')]);
  // DATA given anyway: it wins over the file.
  const both = await cli(['train', 'csvdir/labels.csv', '--out', 'runs/nodata', '--config', 'withdata.yaml']);
  assert.equal(prepareTrain(both.calls[0].options as TrainOptions, tmp).config.data.csv, path.join(tmp, 'csvdir', 'labels.csv'));
  const folder = await cli(['train', 'data', '--out', 'runs/nodata', '--config', 'withcsv.yaml']);
  const fromFolder = prepareTrain(folder.calls[0].options as TrainOptions, tmp).config;
  assert.deepEqual([fromFolder.data.csv, fromFolder.data.path], [null, dataDir]);
  // Neither: exit 2, saying what to give.
  for (const args of [['train', '--out', 'runs/x'], ['train', '--out', 'runs/x', '--config', 'run.yaml']]) {
    const res = await cli(args, false);
    assert.equal(res.code, 2, res.err);
    assert.match(res.err, /^tlearn train: invalid configuration( \(.*run\.yaml\))?:\n {2}config\.data\.path: required: the image folder or CSV file; give DATA on the command line \(tlearn train DATA --out RUN\), or data\.path \(or data\.csv\) in the config file\n$/);
  }
  const help = await cli(['train', '--help']);
  assert.match(help.out, /^Usage: tlearn train \[options\] \[data\]/);
  assert.match(help.out.replace(/\s+/g, ' '), /DATA may be left out when the --config file gives data\.path or data\.csv/);
});

test('demo: the embedded dataset with short phases, flags on top', async () => {
  const r = await cli(['demo', '--epochs1', '1', '--weights', 'none', '--out', 'demo-run']);
  assert.equal(r.code, 0, r.err);
  const { config, out } = prepareDemo(r.calls[0].options as DemoOptions, tmp);
  assert.equal(out, path.join(tmp, 'demo-run'));
  assert.ok(fs.existsSync(path.join(config.data.path, 'train', 'sneaker')), config.data.path);
  assert.deepEqual([config.input.imageSize, config.phases[0].epochs, config.phases[1].epochs, config.model.weights], [112, 1, 2, 'none']);
  const d = await cli(['demo']);
  assert.equal(prepareDemo(d.calls[0].options as DemoOptions, tmp).out, path.join(tmp, 'tlearn-demo'));
});

test('typed options for evaluate, predict, export and weights', async () => {
  const e = await cli(['evaluate', 'm.pth', 'data', '--out', 'ev', '--threshold', '0.3', '--classes', 'cat,dog', '--image-size', '64', '--resize', 'crop', '--json']);
  assert.deepEqual(e.calls[0].options, { model: 'm.pth', data: 'data', split: 'test', out: 'ev', threshold: 0.3, imageSize: 64, classes: ['cat', 'dog'],
    resize: 'crop', batchSize: undefined, device: undefined, threads: undefined, json: true });
  const p = await cli(['predict', 'm.pth', 'a.png', 'dir', '--csv']);
  assert.equal(p.calls[0].options.format, 'csv');
  assert.deepEqual(p.calls[0].options.inputs, ['a.png', 'dir']);
  assert.equal((await cli(['predict', 'm.pth', 'a.png'])).calls[0].options.format, 'table');
  assert.deepEqual((await cli(['export', 'm.pth', '--format', 'pth', '--out', 'x.pth'])).calls[0].options, { model: 'm.pth', format: 'pth', out: 'x.pth' });
  assert.deepEqual((await cli(['weights', 'fetch', 'resnet18', '--json'])).calls[0], { command: 'weights fetch', options: { action: 'fetch', name: 'resnet18', json: true } });
});

test('a missing implementation module is reported, not faked', async () => {
  const missing = '../src/does-not-exist/index.js'; // relative to this test file, as a command's import is to it
  await assert.rejects(loadPart(() => import(missing), 'training'),
    (err: Error) => err instanceof NotAvailableError && /training is not available in this build of tlearn \(module (dist\/)?src\/does-not-exist\/index\.js is missing\)/.test(err.message));
  // A missing npm package or an error inside a module is a real failure, not a part left out of the build.
  const noPackage = 'tlearn-no-such-package';
  await assert.rejects(loadPart(() => import(noPackage), 'training'), (err: Error) => !(err instanceof NotAvailableError) && /Cannot find package/.test(err.message));
  await assert.rejects(loadPart(() => Promise.reject(new Error('boom inside')), 'training'), (err: Error) => !(err instanceof NotAvailableError) && err.message === 'boom inside');
  // Typed as the module itself: the command calls the layer's own declaration.
  const { UsageError } = await loadPart(() => import('../src/cli/errors.js'), 'errors');
  assert.equal(new UsageError('x').name, 'UsageError');
});

test('the installed entry point sets the process exit code', () => {
  // From the compiled tests (dist/test) run bin/tlearn.js; from the sources, main.ts through tsx.
  const here = fileURLToPath(import.meta.url);
  const compiled = here.includes(`${path.sep}dist${path.sep}test${path.sep}`);
  const root = compiled ? path.resolve(path.dirname(here), '../..') : path.resolve(path.dirname(here), '..');
  const run = (args: string[]) => compiled
    ? spawnSync(process.execPath, [path.join(root, 'bin/tlearn.js'), ...args], { encoding: 'utf8', cwd: tmp })
    : spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      `const m = await import(${JSON.stringify(path.join(root, 'src/cli/main.ts'))}); await m.main(process.argv.slice(1));`, '--', ...args], { encoding: 'utf8', cwd: root });
  const bad = run(['train', 'data', '--out', 'x', '--batch-size', 'abc']);
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /argument 'abc' is invalid/);
  const ok = run(['--version']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('--json: an argument-parsing error still ends stdout with an error event (exit 2), as errors after parsing do', async () => {
  for (const args of [
    ['train', 'data', '--out', 'r', '--json', '--epochs1', 'abc'],
    ['train', 'data', '--out', 'r', '--json', '--no-such-option'],
    ['demo', '--json', '--epochs1', 'abc'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.calls.length, 0);
    assert.match(r.err, /error: /);
    const lines = r.out.trim().split('\n');
    assert.equal(lines.length, 1, r.out);
    const event = JSON.parse(lines[0]!);
    assert.equal(event.type, 'error');
    assert.equal(event.exitCode, 2);
    assert.match(event.message, args.includes('abc') ? /--epochs1.*'abc' is invalid/ : /unknown option '--no-such-option'/);
    assert.doesNotMatch(event.message, /^error: /);
  }
  // Without --json, stdout stays empty; after '--' a '--json' is not an option.
  assert.equal((await cli(['train', 'data', '--out', 'r', '--epochs1', 'abc'])).out, '');
  assert.equal((await cli(['train', 'data', '--out', 'r', '--epochs1', 'abc', '--', '--json'])).out, '');
});

test('unknown options: a known option whose name starts the unknown one is suggested; --json before the command says where it goes', async () => {
  for (const args of [
    ['train', 'data', '--out', 'r', '--threshold-value', '0.9'],
    ['evaluate', 'm.pth', 'data', '--out', 'o', '--threshold-value=0.9'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.calls.length, 0);
    assert.match(r.err, /unknown option '--threshold-value(=0\.9)?' \(did you mean --threshold\?\)/);
  }
  // commander's own suggestion for a near spelling stays.
  assert.match((await cli(['evaluate', 'm.pth', 'data', '--out', 'o', '--thresh', '0.9'])).err, /Did you mean one of --threads, --threshold\?/);
  // Nothing to suggest: the plain message.
  assert.match((await cli(['predict', 'm.pth', 'x.png', '--zzz'])).err, /unknown option '--zzz'\n/);

  const j = await cli(['--json', 'train', 'data', '--out', 'r']);
  assert.equal(j.code, 2);
  assert.equal(j.calls.length, 0);
  assert.match(j.err, /unknown option '--json': put it after the command \(tlearn train … --json\)/);
  assert.match(JSON.parse(j.out.trim()).message, /put it after the command/);
  assert.match((await cli(['--json', 'weights', 'list'])).err, /put it after the command \(tlearn weights list … --json\)/);
  // An option no command has is just unknown.
  assert.match((await cli(['--zzz', 'train', 'data'])).err, /unknown option '--zzz'\n/);
});
