// The issues of the ConfigError a call throws, as "path: message" lines (fails the test when it throws no ConfigError).
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/train/config/index.js';

export function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}
