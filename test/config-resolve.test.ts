import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ARCHS, checkModuleName, ConfigError, configToJSON, defaultConfig, resolveConfig, suggest, usesChannelsLast, type RunConfig,
} from '../src/train/config/index.js';
import { runPython } from './helpers/python.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('tlearn-config-');

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

function writeFile(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

test('the default configuration is the seed protocol', () => {
  const c = resolveConfig({ overrides: { data: '/data/x' } });
  const callbacks = {
    earlyStopping: { monitor: 'val_auc', mode: 'max', patience: 5, minDelta: 0 },
    reduceLROnPlateau: { monitor: 'val_loss', mode: 'min', patience: 3, factor: 0.1, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, minLr: 0, eps: 1e-8 },
    checkpoint: { monitor: 'val_auc', mode: 'max' },
    oneCycle: null, cosine: null, swa: null, // the seed lowers the rate on a plateau only, and averages nothing
  };
  assert.deepEqual(c.phases, [
    { name: 'phase1', trainable: ['fc'], optimizer: 'adam', lr: 1e-3, weightDecay: 0, decayNormsAndBiases: true, betas: [0.9, 0.999], eps: 1e-8, layerLrDecay: 1, epochs: 10, ...callbacks },
    { name: 'phase2', trainable: ['layer4', 'fc'], optimizer: 'adam', lr: 1e-5, weightDecay: 0, decayNormsAndBiases: true, betas: [0.9, 0.999], eps: 1e-8, layerLrDecay: 1, epochs: 10, ...callbacks },
  ]);
  assert.equal(c.model.arch, 'resnet50');
  assert.equal(c.model.weights, 'imagenet');
  assert.equal(c.model.dropout, 0.5);
  assert.deepEqual(c.input, { imageSize: 224, resize: 'squash', presize: null, dicomWindows: null, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
  assert.equal(c.batchSize, 32);
  assert.equal(c.bnPolicy, 'eval');
  assert.deepEqual(c.threshold, { method: 'fixed', value: 0.5 });
  assert.deepEqual(c.data, { path: '/data/x', csv: null, positive: null, valFraction: 0.15, testFraction: 0.15 });
  assert.equal(c.channelsLast, 'auto');
});

test('featureCache.diskMB: null (the default: no limit) or megabytes >= 0', () => {
  const disk = (v: unknown) => resolveConfig({ raw: { data: { path: '/d' }, featureCache: { diskMB: v } } }).featureCache.diskMB;
  assert.equal(resolveConfig({ overrides: { data: '/d' } }).featureCache.diskMB, null);
  assert.deepEqual([disk(null), disk(0), disk(5000)], [null, 0, 5000]);
  assert.deepEqual(issuesOf(() => disk(-1)), ['config.featureCache.diskMB: expected a number ≥ 0, got -1']);
});

test('channelsLast: auto (the default), true or false; auto is NHWC on CPU from 96 px', () => {
  for (const v of ['auto', true, false] as const) assert.equal(resolveConfig({ raw: { data: { path: '/d' }, channelsLast: v } }).channelsLast, v);
  assert.deepEqual(issuesOf(() => resolveConfig({ raw: { data: { path: '/d' }, channelsLast: 'yes' } })),
    ['config.channelsLast: expected true, false or "auto", got "yes"']);
  const at = (device: 'cpu' | 'cuda', imageSize: number, channelsLast: boolean | 'auto' = 'auto') =>
    usesChannelsLast({ device, channelsLast, input: { imageSize } });
  assert.deepEqual([at('cpu', 224), at('cpu', 96), at('cpu', 64), at('cuda', 224), at('cpu', 64, true), at('cpu', 224, false)],
    [true, true, false, false, true, false]);
});

test('scheduler and optimizer defaults agree with PyTorch (SWALR\'s too)', () => {
  const py = runPython<Record<string, any>>(`
import inspect, torch
def d(cls):
    return {k: (list(v.default) if isinstance(v.default, tuple) else v.default) for k, v in inspect.signature(cls.__init__).parameters.items() if v.default is not inspect.Parameter.empty}
out({'plateau': d(torch.optim.lr_scheduler.ReduceLROnPlateau), 'adam': d(torch.optim.Adam), 'adamw': d(torch.optim.AdamW),
     'onecycle': d(torch.optim.lr_scheduler.OneCycleLR), 'swalr': d(torch.optim.swa_utils.SWALR)})
`);
  const c = resolveConfig({ raw: { data: { path: '/d' }, phases: [{ optimizer: 'adamw' }, {}] } });
  const p = c.phases[1].reduceLROnPlateau!;
  assert.equal(p.factor, py.plateau.factor);
  assert.equal(p.threshold, py.plateau.threshold);
  assert.equal(p.thresholdMode, py.plateau.threshold_mode);
  assert.equal(p.cooldown, py.plateau.cooldown);
  assert.equal(p.minLr, py.plateau.min_lr);
  assert.equal(p.eps, py.plateau.eps);
  assert.equal(p.mode, py.plateau.mode);
  assert.deepEqual(c.phases[1].betas, py.adam.betas);
  assert.equal(c.phases[1].eps, py.adam.eps);
  assert.equal(c.phases[1].weightDecay, py.adam.weight_decay);
  assert.equal(c.phases[0].weightDecay, py.adamw.weight_decay);
  const one = resolveConfig({ raw: { data: { path: '/d' }, phases: [{ oneCycle: true }, {}] } }).phases[0]!.oneCycle!;
  assert.deepEqual(one, {
    pctStart: py.onecycle.pct_start, divFactor: py.onecycle.div_factor, finalDivFactor: py.onecycle.final_div_factor, annealStrategy: py.onecycle.anneal_strategy,
    cycleMomentum: py.onecycle.cycle_momentum, maxMomentum: py.onecycle.max_momentum, baseMomentum: py.onecycle.base_momentum,
  });
  const swa = resolveConfig({ raw: { data: { path: '/d' }, phases: [{ swa: true }, {}] } }).phases[0]!.swa!;
  assert.deepEqual([swa.annealEpochs, swa.annealStrategy], [py.swalr.anneal_epochs, py.swalr.anneal_strategy]);
});

test('YAML and JSON files load; relative paths are relative to the file', () => {
  const yamlFile = writeFile('sub/run.yaml', [
    'data:',
    '  path: images',
    '  csv: lists/all.csv',
    '  positive: tumour',
    'model: { arch: resnet18, weights: ../w/r18.pth }',
    'phases:',
    '  - epochs: 3',
    '  - lr: 2e-5',
    '    optimizer: sgd',
    'featureCache: false',
  ].join('\n'));
  const c = resolveConfig({ file: yamlFile });
  assert.equal(c.data.path, path.join(tmp, 'sub/images'));
  assert.equal(c.data.csv, path.join(tmp, 'sub/lists/all.csv'));
  assert.equal(c.data.positive, 'tumour');
  assert.equal(c.model.arch, 'resnet18');
  assert.equal(c.model.weights, path.join(tmp, 'w/r18.pth'));
  assert.equal(c.phases[0].epochs, 3);
  assert.equal(c.phases[0].lr, 1e-3);
  assert.equal(c.phases[1].lr, 2e-5);
  assert.equal(c.phases[1].optimizer, 'sgd');
  assert.equal(c.phases[1].momentum, 0.9);
  assert.equal(c.phases[1].nesterov, false);
  assert.equal(c.phases[1].betas, undefined);
  assert.equal(c.featureCache.enabled, false);

  const jsonFile = writeFile('run.json', JSON.stringify({ data: { path: '/abs/data' }, batchSize: 8, seed: 7 }));
  const j = resolveConfig({ file: jsonFile, overrides: { batchSize: 16 } });
  assert.equal(j.data.path, '/abs/data');
  assert.equal(j.batchSize, 16, 'the flag wins over the file');
  assert.equal(j.seed, 7);
});

test('errors name the key path and what was expected', () => {
  const issues = issuesOf(() => resolveConfig({ raw: { data: { path: '/d' }, phases: [{}, { lr: 'fast' }] } }));
  assert.deepEqual(issues, ['config.phases[1].lr: expected a positive number, got "fast"']);

  const many = issuesOf(() => resolveConfig({
    raw: {
      data: { path: '/d', valFracton: 0.2 }, batch_size: 4, batchSize: 1, model: { arch: 'resnet51', weights: 'imagnet' },
      augment: 'flp', input: { imageSize: 16, std: [1, 0, 1] }, posWeight: 'autp',
    },
  }));
  const expected = [
    'config.batch_size: unknown key (did you mean "batchSize"?)',
    'config.data.valFracton: unknown key (did you mean "valFraction"?)',
    `config.model.arch: expected one of ${ARCHS.map((a) => `"${a}"`).join(', ')}, got "resnet51" (did you mean "resnet50"?)`,
    'config.model.weights: expected "imagenet", "imagenet-v1", "none", a name from `tlearn weights list` or a path to a .pth/.safetensors file, got "imagnet" (did you mean "imagenet"?)',
    'config.input.std[1]: expected a positive number, got 0',
    'config.input.imageSize: expected an integer ≥ 32 and ≤ 4096, got 16',
    'config.posWeight: expected null, "auto" or a positive number, got "autp" (did you mean "auto"?)',
    'config.augment: expected one of "none", "flip", "light", "standard", "dihedral", "trivial", "randaugment", got "flp" (did you mean "flip"?)',
    'config.batchSize: expected an integer ≥ 2 and ≤ 65536, got 1',
  ];
  for (const e of expected) assert.ok(many.some((i) => i.startsWith(e)), `missing "${e}" in:\n${many.join('\n')}`);
  assert.equal(many.length, expected.length, many.join('\n'));

  const msg = (() => { try { resolveConfig({ raw: { data: { path: '/d' }, seed: -1 } }); } catch (e) { return (e as Error).message; } })();
  assert.equal(msg, 'invalid configuration:\n  config.seed: expected an integer ≥ 0 and ≤ 4294967295, got -1');
  assert.deepEqual(issuesOf(() => resolveConfig({})), ['config.data.path: required: the image folder or CSV file; give DATA on the command line (tlearn train DATA --out RUN), or data.path (or data.csv) in the config file']);
  assert.ok(issuesOf(() => resolveConfig({ raw: { data: { path: '/d', valFraction: 0.5, testFraction: 0.5 } } }))[0].startsWith('config.data: valFraction + testFraction must be below 1'));
});

test('model.weights: registry names are checked against the arch', () => {
  assert.equal(resolveConfig({ overrides: { data: '/d', arch: 'resnet18', weights: 'imagenet' } }).model.weights, 'imagenet');
  assert.equal(resolveConfig({ overrides: { data: '/d', arch: 'resnet101', weights: 'resnet101-v1' } }).model.weights, 'resnet101-v1');
  assert.equal(resolveConfig({ overrides: { data: '/d', arch: 'resnet152', weights: 'none' } }).model.weights, 'none');
  assert.deepEqual(issuesOf(() => resolveConfig({ overrides: { data: '/d', arch: 'resnet18', weights: 'imagenet-v2' } })),
    ['--weights (config.model.weights): torchvision has no IMAGENET1K_V2 weights for resnet18 (available: IMAGENET1K_V1) (model.arch is resnet18)']);
  assert.deepEqual(issuesOf(() => resolveConfig({ overrides: { data: '/d', arch: 'resnet34', weights: 'resnet50' } })),
    ["--weights (config.model.weights): weights 'resnet50' are for resnet50, not resnet34 (model.arch is resnet34)"]);
});

test('bad files: parse errors and non-mappings name the file', () => {
  const bad = writeFile('bad.yaml', 'data:\n  path: x\n  path: y\n');
  assert.throws(() => resolveConfig({ file: bad }), (e: Error) => e instanceof ConfigError && e.message.includes(bad) && /not valid YAML/.test(e.message));
  const badJson = writeFile('bad.json', '{"data": {"path": "x",}}');
  assert.throws(() => resolveConfig({ file: badJson }), (e: Error) => e.message.includes(badJson) && /not valid JSON/.test(e.message));
  const list = writeFile('list.yaml', '- 1\n- 2\n');
  assert.throws(() => resolveConfig({ file: list }), /expected a mapping of keys at the top level, got a list/);
  assert.throws(() => resolveConfig({ file: path.join(tmp, 'missing.yaml') }), /cannot read the file/);
  // An empty file is an empty mapping: all defaults.
  assert.equal(resolveConfig({ file: writeFile('empty.yml', ''), overrides: { data: '/d' } }).batchSize, 32);
});

test('mode follows the monitor; a wrong explicit mode is refused', () => {
  const c = resolveConfig({
    raw: {
      data: { path: '/d' },
      phases: [
        { earlyStopping: { monitor: 'val_loss' }, checkpoint: { monitor: 'val_accuracy' }, reduceLROnPlateau: { monitor: 'val_auc', patience: 1 } },
        { earlyStopping: null, reduceLROnPlateau: false },
      ],
    },
  });
  assert.deepEqual(c.phases[0].earlyStopping, { monitor: 'val_loss', mode: 'min', patience: 5, minDelta: 0 });
  assert.deepEqual(c.phases[0].checkpoint, { monitor: 'val_accuracy', mode: 'max' });
  assert.equal(c.phases[0].reduceLROnPlateau!.mode, 'max');
  assert.equal(c.phases[0].reduceLROnPlateau!.patience, 1);
  assert.equal(c.phases[1].earlyStopping, null);
  assert.equal(c.phases[1].reduceLROnPlateau, null);
  const issues = issuesOf(() => resolveConfig({ raw: { data: { path: '/d' }, phases: [{ earlyStopping: { monitor: 'val_auc', mode: 'min' } }, { checkpoint: { monitor: 'val_lost' } }] } }));
  assert.deepEqual(issues, [
    'config.phases[0].earlyStopping.mode: "min" is the wrong direction for val_auc, which improves when it rises; use "max" or leave mode out',
    'config.phases[1].checkpoint.monitor: expected one of "val_auc", "val_loss", "val_accuracy", "train_loss", "train_accuracy", got "val_lost" (did you mean "val_loss"?)',
  ]);
});

test('phases: optimizer-specific keys, extra phases, unique names', () => {
  const c = resolveConfig({ raw: { data: { path: '/d' }, phases: [{}, {}, { name: 'all-in', trainable: 'all', lr: 1e-6, optimizer: 'adamw', epochs: 0 }] } });
  assert.equal(c.phases.length, 3);
  assert.deepEqual(c.phases[2].trainable, ['all']);
  assert.equal(c.phases[2].weightDecay, 0.01);
  assert.equal(c.phases[2].epochs, 0);
  assert.deepEqual(c.phases[2].earlyStopping, c.phases[0].earlyStopping);
  const issues = issuesOf(() => resolveConfig({
    raw: { data: { path: '/d' }, phases: [{ optimizer: 'sgd', betas: [0.9, 0.99] }, { momentum: 0.5, name: 'phase1' }, { trainable: [] }, { name: 'a b', trainable: ['fc'], lr: 1 }] },
  }));
  assert.deepEqual(issues, [
    'config.phases[0].betas: applies only to optimizer "adam" or "adamw"',
    'config.phases[1].momentum: applies only to optimizer "sgd"',
    'config.phases[2].lr: required for phases beyond the two default ones (a positive number, e.g. 1e-5)',
    'config.phases[2].trainable: expected a module name or a non-empty array of them (all, conv1, bn1, layer1, layer2, layer3, layer4, fc, or e.g. layer4.2), got an array of 0',
    'config.phases[3].name: expected letters, digits, "_", "-" or "." (it becomes part of file names), got "a b"',
    'config.phases[1].name: "phase1" is already the name of phases[0]; names must be unique',
  ]);
});

test('trainable module names are checked against the arch', () => {
  for (const ok of ['all', 'fc', 'fc.1', 'conv1', 'bn1', 'layer1', 'layer4.2', 'layer4.2.conv3', 'layer1.0.downsample', 'layer2.0.downsample.1', 'layer3.22']) {
    assert.equal(checkModuleName(ok, ok === 'layer3.22' ? 'resnet101' : 'resnet50'), undefined, ok);
  }
  assert.match(checkModuleName('layer3.22', 'resnet50')!, /blocks 0\.\.5/);
  assert.match(checkModuleName('layer4.2', 'resnet18')!, /blocks 0\.\.1/);
  assert.match(checkModuleName('layer1.0.downsample', 'resnet18')!, /not "downsample"/);
  assert.equal(checkModuleName('layer2.0.downsample', 'resnet18'), undefined);
  assert.match(checkModuleName('layer4.0.conv3', 'resnet34')!, /conv1, bn1, conv2, bn2, downsample/);
  assert.match(checkModuleName('layer4.1.downsample', 'resnet50')!, /not "downsample"/);
  assert.match(checkModuleName('fc.0', 'resnet50')!, /fc\.1/);
  assert.match(checkModuleName('conv1.weight', 'resnet50')!, /no sub-modules/);
  assert.deepEqual(issuesOf(() => resolveConfig({ raw: { data: { path: '/d' }, model: { arch: 'resnet18' }, phases: [{ trainable: ['layer5', 'layer4.2'] }] } })), [
    'config.phases[0].trainable[0]: unknown module "layer5" (did you mean "layer1"?); expected all, conv1, bn1, layer1, layer2, layer3, layer4, fc or a sub-module such as layer4.2',
    'config.phases[0].trainable[1]: resnet18 layer4 has blocks 0..1, not "2"; expected all, conv1, bn1, layer1, layer2, layer3, layer4, fc or a sub-module such as layer4.2',
  ]);
});

test('command-line overrides reach the config and are named in errors', () => {
  const cwd = path.join(tmp, 'cwd');
  const c = resolveConfig({
    cwd,
    overrides: {
      data: 'imgs', epochs1: 2, epochs2: 0, lr1: 3e-3, lr2: 5e-6, imageSize: 160, batchSize: 12, augment: 'standard',
      positive: 'cat', seed: 42, threads: 3, device: 'cuda', weights: 'none', arch: 'resnet34', precision: 'bf16',
      channelsLast: true, bnPolicy: 'train', posWeight: 'auto', featureCache: false, resize: 'crop', dropout: 0.2,
      valFraction: 0.1, testFraction: 0.2, checkpointFormat: 'pth',
    },
  });
  assert.equal(c.data.path, path.join(cwd, 'imgs'));
  assert.deepEqual([c.phases[0].epochs, c.phases[1].epochs, c.phases[0].lr, c.phases[1].lr], [2, 0, 3e-3, 5e-6]);
  assert.deepEqual([c.input.imageSize, c.batchSize, c.augment, c.data.positive, c.seed, c.threads, c.device, c.model.weights, c.model.arch],
    [160, 12, 'standard', 'cat', 42, 3, 'cuda', 'none', 'resnet34']);
  assert.deepEqual([c.precision, c.channelsLast, c.bnPolicy, c.posWeight, c.featureCache.enabled, c.input.resize, c.model.dropout, c.data.valFraction, c.data.testFraction, c.checkpointFormat],
    ['bf16', true, 'train', 'auto', false, 'crop', 0.2, 0.1, 0.2, 'pth']);

  const csv = resolveConfig({ cwd, overrides: { data: 'lists/labels.csv', weights: 'w/model.safetensors' } });
  assert.equal(csv.data.csv, path.join(cwd, 'lists/labels.csv'));
  assert.equal(csv.data.path, path.join(cwd, 'lists'));
  assert.equal(csv.model.weights, path.join(cwd, 'w/model.safetensors'));

  assert.deepEqual(issuesOf(() => resolveConfig({ overrides: { data: '/d', lr2: -1, augment: 'foo', imageSize: 10.5 } })), [
    '--image-size (config.input.imageSize): expected an integer ≥ 32 and ≤ 4096, got 10.5',
    '--augment (config.augment): expected one of "none", "flip", "light", "standard", "dihedral", "trivial", "randaugment", got "foo"',
    '--lr2 (config.phases[1].lr): expected a positive number, got -1',
  ]);
  const onePhase = writeFile('one.yaml', 'phases:\n  - trainable: [layer4, fc]\n');
  assert.deepEqual(issuesOf(() => resolveConfig({ file: onePhase, overrides: { data: '/d', epochs2: 3 } })),
    ['--epochs2: the configuration has 1 phase, so there is no phase 2']);
});

test('--set assignments and threshold flags', () => {
  const c = resolveConfig({
    overrides: { data: '/d', set: ['phases[1].optimizer=sgd', 'phases[1].momentum=0.8', 'config.phases[0].earlyStopping=null', 'phases[2]={trainable: [layer3, layer4, fc], lr: 1e-6}', 'threshold={method: sensitivity, value: 0.95}'] },
  });
  assert.equal(c.phases[1].optimizer, 'sgd');
  assert.equal(c.phases[1].momentum, 0.8);
  assert.equal(c.phases[1].lr, 1e-5);
  assert.equal(c.phases[0].earlyStopping, null);
  assert.deepEqual(c.phases[2].trainable, ['layer3', 'layer4', 'fc']);
  assert.deepEqual(c.threshold, { method: 'sensitivity', value: 0.95 });
  assert.deepEqual(resolveConfig({ overrides: { data: '/d', threshold: 0.3 } }).threshold, { method: 'fixed', value: 0.3 });
  const file = writeFile('thr.yaml', 'threshold: {method: fixed, value: 0.4}\n');
  assert.deepEqual(resolveConfig({ file, overrides: { data: '/d', thresholdMethod: 'youden' } }).threshold, { method: 'youden', value: null });
  assert.deepEqual(issuesOf(() => resolveConfig({ overrides: { data: '/d', thresholdMethod: 'specificity' } })),
    ['config.threshold.value: required with method "specificity": the target specificity, a number in (0, 1], given with --threshold (e.g. --threshold 0.95) or threshold.value in a config file']);
  assert.deepEqual(issuesOf(() => resolveConfig({ overrides: { data: '/d', set: ['nokey', 'phases[5].lr=1', 'seed=x', 'a..b=1'] } })), [
    '--set nokey: expected KEY=VALUE, e.g. phases[1].lr=1e-4',
    '--set phases[5].lr (config.phases[5].lr): cannot set it: config.phases has 2 entries; the next one is [2]',
    '--set a..b: expected a key path such as phases[1].lr or data.valFraction',
    '--set seed (config.seed): expected an integer ≥ 0 and ≤ 4294967295, got "x"',
  ]);
});

test('configToJSON round-trips through resolveConfig', () => {
  const c = resolveConfig({ overrides: { data: '/d', set: ['phases[0].optimizer=sgd', 'phases[2]={trainable: all, lr: 1e-6}'], posWeight: 2.5 } });
  const text = configToJSON(c);
  assert.ok(text.endsWith('}\n'));
  const back: RunConfig = resolveConfig({ raw: JSON.parse(text) });
  assert.deepEqual(back, c);
  const file = writeFile('again/config.json', text);
  assert.deepEqual(resolveConfig({ file }), c);
  // defaultConfig() hands out fresh copies.
  const d = defaultConfig();
  d.phases[0].trainable.push('layer4');
  assert.deepEqual(defaultConfig().phases[0].trainable, ['fc']);
});

test('suggest() finds typos and case/separator variants, and nothing far away', () => {
  assert.equal(suggest('batch-size', ['batchSize', 'seed']), 'batchSize');
  assert.equal(suggest('lerning', ['lr', 'learning']), 'learning');
  assert.equal(suggest('zzzzzz', ['batchSize', 'seed']), undefined);
  assert.equal(suggest('x', ['y']), 'y');
  assert.equal(suggest('abc', ['xyz']), undefined);
});
