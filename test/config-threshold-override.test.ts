// --threshold on top of a config file (or a RUN/config.json) that picks the threshold method (QA5 F2): the
// file's sensitivity/specificity takes the flag as its target rate, youden/f1 (which choose the threshold
// themselves) refuse it naming both, and only without a method in the file is it a fixed threshold.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { resolveConfig, type ConfigOverrides } from '../src/train/config/index.js';
import { tempDir } from './helpers/temp.js';
import { issuesOf } from './helpers/config-issues.js';

const dir = tempDir('tlearn-cfgthr-');

function withFile(yaml: string, overrides: ConfigOverrides) {
  const file = path.join(dir, 'run.yaml');
  fs.writeFileSync(file, `data: { path: data }\n${yaml}`);
  return resolveConfig({ file, overrides, cwd: dir });
}

test('the file\'s sensitivity/specificity keeps its method; --threshold is the target rate', () => {
  assert.deepEqual(withFile('threshold: { method: sensitivity, value: 0.95 }\n', { threshold: 0.9 }).threshold, { method: 'sensitivity', value: 0.9 });
  assert.deepEqual(withFile('threshold: { method: specificity, value: 0.95 }\n', { threshold: 0.8 }).threshold, { method: 'specificity', value: 0.8 });
  // The file may leave the value to the command line.
  assert.deepEqual(withFile('threshold: { method: sensitivity }\n', { threshold: 0.7 }).threshold, { method: 'sensitivity', value: 0.7 });
  // A saved RUN/config.json (raw) behaves like a file.
  const raw = { data: { path: '/d' }, threshold: { method: 'specificity', value: 0.99 } };
  assert.deepEqual(resolveConfig({ raw, overrides: { threshold: 0.9 } }).threshold, { method: 'specificity', value: 0.9 });
});

test('the file\'s youden/f1 refuse --threshold, naming the flag and the file\'s method', () => {
  for (const method of ['youden', 'f1']) {
    const issues = issuesOf(() => withFile(`threshold: { method: ${method} }\n`, { threshold: 0.4 }));
    assert.equal(issues.length, 1, issues.join('\n'));
    assert.match(issues[0]!, /^--threshold \(config\.threshold\.value\): /);
    assert.match(issues[0]!, new RegExp(`threshold\\.method "${method}" in the config file`));
    assert.match(issues[0]!, /chooses the threshold itself/);
    assert.match(issues[0]!, /--threshold-method fixed/);
  }
  // Set by --set instead of the file: that is what the message names.
  const issues = issuesOf(() => resolveConfig({ overrides: { data: '/d', set: ['threshold.method=f1'], threshold: 0.3 } }));
  assert.match(issues[0]!, /^--threshold \(config\.threshold\.value\): threshold\.method "f1" \(--set threshold\.method\) chooses the threshold itself/);
});

test('without a method in the file, or with fixed, --threshold is the fixed threshold', () => {
  assert.deepEqual(resolveConfig({ overrides: { data: '/d', threshold: 0.7 } }).threshold, { method: 'fixed', value: 0.7 });
  assert.deepEqual(withFile('seed: 3\n', { threshold: 0.6 }).threshold, { method: 'fixed', value: 0.6 });
  assert.deepEqual(withFile('threshold: { value: 0.2 }\n', { threshold: 0.6 }).threshold, { method: 'fixed', value: 0.6 });
  assert.deepEqual(withFile('threshold: { method: fixed, value: 0.3 }\n', { threshold: 0.6 }).threshold, { method: 'fixed', value: 0.6 });
});

test('--threshold-method on the command line still wins over the file', () => {
  assert.deepEqual(withFile('threshold: { method: youden }\n', { threshold: 0.4, thresholdMethod: 'fixed' }).threshold, { method: 'fixed', value: 0.4 });
  assert.deepEqual(withFile('threshold: { method: f1 }\n', { threshold: 0.9, thresholdMethod: 'sensitivity' }).threshold, { method: 'sensitivity', value: 0.9 });
  assert.deepEqual(withFile('threshold: { method: sensitivity, value: 0.95 }\n', { thresholdMethod: 'youden' }).threshold, { method: 'youden', value: null });
  // An invalid method in the file is reported, not replaced by "fixed".
  const issues = issuesOf(() => withFile('threshold: { method: sensitivty, value: 0.95 }\n', { threshold: 0.9 }));
  assert.match(issues.join('\n'), /config\.threshold\.method: expected one of .*got "sensitivty" \(did you mean "sensitivity"\?\)/);
});
