// The line evaluate prints about the split it draws for data without split folders, for a model file that does
// not record its training split (a PyTorch state_dict): where each value came from, said once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { describeSplitParams, resolveSplitParams } from '../src/eval/split-params.js';
import { tempDir } from './helpers/temp.js';

const plainModel = path.join(tempDir('tlearn-split-params-'), 'model.pth');

test('a model without a recorded split: the values are "defaults", or the flags given plus "defaults otherwise"', () => {
  const none = resolveSplitParams({ extra: {} }, plainModel, {});
  const d = describeSplitParams(none, {});
  assert.equal(d.info, 'split drawn with seed 0, val 0.15, test 0.15 (defaults)');
  assert.match(d.warning ?? '', /does not record how its training data was split/);
  const some = resolveSplitParams({ extra: {} }, plainModel, { seed: 7 });
  assert.equal(describeSplitParams(some, { seed: 7 }).info, 'split drawn with seed 7, val 0.15, test 0.15 (--seed as given, defaults otherwise)');
  const all = { seed: 7, valFraction: 0.2, testFraction: 0.3 };
  assert.equal(describeSplitParams(resolveSplitParams({ extra: {} }, plainModel, all), all).info,
    'split drawn with seed 7, val 0.2, test 0.3 (--seed, --val-fraction, --test-fraction as given)');
});
