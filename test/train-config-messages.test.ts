// Messages of the run configuration that name what the user typed: the --threshold flag for the target rate
// of --threshold-method sensitivity/specificity, and line and column of a JSON config file's syntax error.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { configWarnings, resolveConfig } from '../src/train/config/index.js';
import { tempPathFor } from '../src/io/atomic.js';
import { tempDir } from './helpers/temp.js';
import { issuesOf } from './helpers/config-issues.js';

const dir = tempDir('tlearn-cfgmsg-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('sensitivity/specificity without a target rate: the message names --threshold', () => {
  for (const method of ['sensitivity', 'specificity'] as const) {
    const [issue] = issuesOf(() => resolveConfig({ overrides: { data: '/d', thresholdMethod: method } }));
    assert.match(issue!, new RegExp(`^config\\.threshold\\.value: required with method "${method}": the target ${method}, a number in \\(0, 1\\]`));
    assert.match(issue!, /--threshold 0\.95/);
  }
});

test('a JSON config syntax error gives line and column, not a character position', () => {
  const file = path.join(dir, 'bad.json');
  fs.writeFileSync(file, '{\n  "model": {"arch": "resnet18",}\n}\n');
  const [issue] = issuesOf(() => resolveConfig({ file }));
  assert.match(issue!, /^config: not valid JSON: line 2, column 32: Expected double-quoted property name/);
  assert.doesNotMatch(issue!, /position/);
  fs.writeFileSync(file, '{\n  "seed": 1\n');
  assert.match(issuesOf(() => resolveConfig({ file }))[0]!, /^config: not valid JSON: line 3, column 1: Expected ',' or '}' after property value$/);
  fs.writeFileSync(file, '{\n  "seed": ');
  assert.match(issuesOf(() => resolveConfig({ file }))[0]!, /^config: not valid JSON: the file ends too early \(line 2\)/);
});

test('phase names: at most 100 bytes, so every file named after a phase stays under the 255-byte limit', () => {
  const ok = 'p'.repeat(100);
  const c = resolveConfig({ overrides: { data: '/d', set: [`phases[0].name=${ok}`] } });
  assert.equal(c.phases[0].name, ok);
  // The longest name derived from it: the atomic writer's temp file for the best checkpoint (pid up to 7 digits).
  for (const ext of ['safetensors', 'pth']) {
    const temp = path.basename(tempPathFor(path.join(dir, `best_model_${ok}.${ext}`))).replace(/\.\d+\./, '.4194304.');
    assert.ok(Buffer.byteLength(temp) < 255, `${temp.length} bytes`);
  }
  const [issue] = issuesOf(() => resolveConfig({ overrides: { data: '/d', set: [`phases[0].name=${'p'.repeat(225)}`] } }));
  assert.match(issue!, /^--set phases\[0\]\.name \(config\.phases\[0\]\.name\): too long: 225 bytes of UTF-8, at most 100 /);
  assert.match(issue!, /best_model_<name>\.safetensors/);
  const fromFile = path.join(dir, 'long.yaml');
  fs.writeFileSync(fromFile, `phases:\n  - name: ${'a'.repeat(101)}\n`);
  assert.match(issuesOf(() => resolveConfig({ file: fromFile, overrides: { data: '/d' } }))[0]!, /^config\.phases\[0\]\.name: too long: 101 bytes of UTF-8, at most 100/);
});

test('warnings: reduceLROnPlateau.minLr at or above the phase\'s lr, SGD momentum of 1 or more', () => {
  const quiet = resolveConfig({ overrides: { data: '/d' } });
  assert.deepEqual(configWarnings(quiet), []);
  const c = resolveConfig({ raw: { data: { path: '/d' }, phases: [
    { lr: 1e-3, reduceLROnPlateau: { minLr: 1 } },
    { lr: 1e-5, reduceLROnPlateau: { minLr: 1e-5 }, optimizer: 'sgd', momentum: 5 },
    { name: 'three', lr: 1e-5, trainable: ['fc'], reduceLROnPlateau: false },
  ] } });
  const w = configWarnings(c);
  assert.equal(w.length, 3, w.join('\n'));
  assert.match(w[0]!, /^phases\[0\] \(phase1\): reduceLROnPlateau\.minLr 1 is not below the learning rate 0\.001, so the scheduler can never lower it/);
  assert.match(w[1]!, /^phases\[1\] \(phase2\): reduceLROnPlateau\.minLr 1e-5 is not below the learning rate 1e-5/);
  assert.match(w[2]!, /^phases\[1\] \(phase2\): SGD momentum 5 is 1 or more/);
  // A warning, not an error: the configuration is accepted.
  assert.equal(c.phases[0].reduceLROnPlateau?.minLr, 1);
});

test('--set under a disabled earlyStopping says how to enable it', () => {
  const raw = { data: { path: '/d' }, phases: [{ earlyStopping: false }, {}] };
  const [issue] = issuesOf(() => resolveConfig({ raw, overrides: { set: ['phases[0].earlyStopping.patience=1'] } }));
  assert.equal(issue, '--set phases[0].earlyStopping.patience (config.phases[0].earlyStopping.patience): cannot set it: ' +
    'config.phases[0].earlyStopping is disabled (false); enable it with --set \'phases[0].earlyStopping={patience: 1}\' (its other keys take their defaults)');
  // The suggested assignment works.
  const c = resolveConfig({ raw, overrides: { set: ['phases[0].earlyStopping={patience: 1}'] } });
  assert.equal(c.phases[0].earlyStopping?.patience, 1);
  const [nulled] = issuesOf(() => resolveConfig({ raw: { data: { path: '/d' }, phases: [{ reduceLROnPlateau: null }, {}] }, overrides: { set: ['phases[0].reduceLROnPlateau.monitor=val_loss'] } }));
  assert.match(nulled!, /config\.phases\[0\]\.reduceLROnPlateau is disabled \(null\); enable it with --set 'phases\[0\]\.reduceLROnPlateau=\{monitor: val_loss\}'/);
});

test('featureCache and trainable messages show the accepted forms', () => {
  const file = path.join(dir, 'forms.yaml');
  fs.writeFileSync(file, 'featureCache: off\nphases:\n  - {}\n  - trainable: "layer3, layer4"\n');
  const issues = issuesOf(() => resolveConfig({ file, overrides: { data: '/d' } }));
  assert.equal(issues.length, 2, issues.join('\n'));
  assert.match(issues[0]!, /^config\.featureCache: expected true, false or an object with the keys enabled, memoryMB, dir, diskMB, dtype, got "off"; YAML reads off as text: write false/);
  assert.match(issues[1]!, /^config\.phases\[1\]\.trainable: "layer3, layer4" is one name; give a list: \[layer3, layer4\] \(YAML\) or \["layer3", "layer4"\] \(JSON\)/);
  fs.writeFileSync(file, 'featureCache: 3\n');
  assert.match(issuesOf(() => resolveConfig({ file, overrides: { data: '/d' } }))[0]!, /^config\.featureCache: expected true, false or an object with the keys enabled, memoryMB, dir, diskMB, dtype, got 3$/);
  fs.writeFileSync(file, 'phases:\n  - earlyStopping: no\n  - {}\n');
  assert.match(issuesOf(() => resolveConfig({ file, overrides: { data: '/d' } }))[0]!, /^config\.phases\[0\]\.earlyStopping: expected true, false, null or an object with the keys monitor, mode, patience, minDelta, got "no"; YAML reads no as text: write false/);
});

test('data.csv alone in a file gives data.path (its folder)', () => {
  const file = path.join(dir, 'csv.yaml');
  fs.writeFileSync(file, 'data: { csv: sub/labels.csv }\n');
  const c = resolveConfig({ file });
  assert.equal(c.data.csv, path.join(dir, 'sub', 'labels.csv'));
  assert.equal(c.data.path, path.join(dir, 'sub'));
});

test("the phase name 'final' is reserved: best_model_final is the run's chosen model, not a phase's", () => {
  for (const name of ['final', 'FINAL']) {
    const [issue] = issuesOf(() => resolveConfig({ overrides: { data: '/d', set: [`phases[1].name=${name}`] } }));
    assert.match(issue!, new RegExp(`config\\.phases\\[1\\]\\.name\\): "${name}" is reserved \\(best_model_final is the run's final model, `));
  }
});

test('input.presize (--presize): at least the image size; a warning when the augmentation draws no random crops', () => {
  const c = resolveConfig({ overrides: { data: '/d', presize: 448, augment: 'standard' } });
  assert.equal(c.input.presize, 448);
  assert.deepEqual(configWarnings(c), []);
  assert.equal(resolveConfig({ overrides: { data: '/d' } }).input.presize, null);
  const [small] = issuesOf(() => resolveConfig({ overrides: { data: '/d', presize: 100 } }));
  assert.equal(small, '--presize (config.input.presize): 100 is smaller than the image size 224; the random crops are drawn from a copy whose shorter side is at most this, so it must be at least input.imageSize (or null)');
  const flip = resolveConfig({ overrides: { data: '/d', presize: 448 } });
  assert.deepEqual(configWarnings(flip), ['input.presize 448 has no effect with augment "flip": only the random-resized-crop presets (light, standard, trivial, randaugment) use it']);
});

test('a YAML flow mapping without a space after the colon ({warmupEpochs:1}) is named as such, not as an unknown key', () => {
  const issues = issuesOf(() => resolveConfig({ overrides: { data: '/d', set: ['phases[1].cosine={warmupEpochs:1}', 'ema={decay:0.9}'] } }));
  assert.equal(issues.length, 2, issues.join('\n'));
  const said = issues.join('\n');
  assert.match(said, /config\.phases\[1\]\.cosine\.warmupEpochs:1\): not a key: YAML reads "warmupEpochs:1" as one word; write \{warmupEpochs: 1\}/);
  assert.match(said, /config\.ema\.decay:0\.9\): not a key: YAML reads "decay:0\.9" as one word; write \{decay: 0\.9\}/);
  // A key that is not one before its colon keeps the plain message.
  assert.match(issuesOf(() => resolveConfig({ overrides: { data: '/d', set: ['ema={rate:0.9}'] } }))[0]!, /unknown key; expected one of decay/);
});
