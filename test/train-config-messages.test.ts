// Messages of the run configuration that name what the user typed: the --threshold flag for the target rate
// of --threshold-method sensitivity/specificity, and line and column of a JSON config file's syntax error.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, resolveConfig } from '../src/train/config.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('tlearn-cfgmsg-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

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
