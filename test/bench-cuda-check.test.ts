// bench/cuda-check's verdict, checked where there is no GPU: the limits fail each figure past them (NaN and
// missing included), and its comparison code, run CPU against CPU, measures differences and stays within them.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../src/torch/index.js';
import { batchVsCpu, maxRel, opsMaxRelDiffVsCpu } from '../bench/cuda-compare.js';
import { BATCH_MAX_ABS_DIFF, cudaCheckFailures, MIN_SPEED_RATIO, OPS_MAX_REL_DIFF, type CudaCheckFigures } from '../bench/cuda-limits.js';

// Passing figures: the batch difference and the ratio as an H100 gave them (2026-11-26; README); the ops'
// differences were not recorded then, so these are TF32-sized values (about 1e-3), not measurements.
const good = (): CudaCheckFigures => ({
  roundTrip: true, cudaDevice: 'cuda:0', batchTensorDevice: 'cuda:0', batchTensorMaxAbsDiff: 8.3e-7, ratio: 1.08,
  opsMaxRelDiff: { loss: 2e-4, 'conv grad': 1.5e-3, 'linear grad': 8e-4, 'running mean': 1e-3 },
});

test('cuda-check limits: good figures pass; each figure past its limit, NaN or missing fails, named', () => {
  assert.deepEqual(cudaCheckFailures(good()), []);
  const cases: [string, (r: CudaCheckFigures) => void, RegExp][] = [
    ['conv grad over', (r) => { r.opsMaxRelDiff!['conv grad'] = 2 * OPS_MAX_REL_DIFF; }, /ops: conv grad max relative difference 0\.02 is over the limit 0\.01/],
    ['loss NaN', (r) => { r.opsMaxRelDiff!.loss = NaN; }, /ops: loss .* NaN is over/],
    ['running mean missing', (r) => { delete r.opsMaxRelDiff!['running mean']; }, /running mean .* undefined is over/],
    ['no ops at all', (r) => { delete r.opsMaxRelDiff; }, /ops: linear grad/],
    ['batch over', (r) => { r.batchTensorMaxAbsDiff = 10 * BATCH_MAX_ABS_DIFF; }, /loader batch max \|difference\| 0\.0001 is over the limit 0\.00001/],
    ['batch NaN', (r) => { r.batchTensorMaxAbsDiff = NaN; }, /loader batch .* NaN/],
    ['round trip', (r) => { r.roundTrip = false; }, /round trip/],
    ['device', (r) => { r.batchTensorDevice = 'cpu'; }, /the batch tensor is on cpu, not cuda/],
    ['slow', (r) => { r.ratio = MIN_SPEED_RATIO / 2; }, /speed ratio 0\.25 .* under 0\.5/],
    ['no ratio', (r) => { delete r.ratio; }, /speed ratio undefined/],
  ];
  for (const [what, breakIt, re] of cases) {
    const r = good();
    breakIt(r);
    const f = cudaCheckFailures(r);
    assert.equal(f.length, what === 'no ops at all' ? 4 : 1, `${what}: ${f.join('; ')}`);
    assert.match(f.join('\n'), re, what);
  }
  // At the limit passes; the limits themselves are where the comments put them.
  const atLimit = good();
  atLimit.batchTensorMaxAbsDiff = BATCH_MAX_ABS_DIFF;
  atLimit.opsMaxRelDiff!['conv grad'] = OPS_MAX_REL_DIFF;
  atLimit.ratio = MIN_SPEED_RATIO;
  assert.deepEqual(cudaCheckFailures(atLimit), []);
});

test("cuda-check's comparisons run CPU against CPU: within the limits, and maxRel measures a known difference", () => {
  const ops = opsMaxRelDiffVsCpu('cpu');
  assert.deepEqual(Object.keys(ops), ['loss', 'conv grad', 'linear grad', 'running mean']);
  for (const [k, v] of Object.entries(ops)) assert.ok(Number.isFinite(v) && v <= OPS_MAX_REL_DIFF, `${k}: ${v}`);
  const batch = batchVsCpu('cpu');
  assert.equal(batch.device, 'cpu');
  assert.ok(batch.maxAbsDiff <= BATCH_MAX_ABS_DIFF, `batch: ${batch.maxAbsDiff}`);
  // A CPU-vs-CPU report passes the verdict once its device and speed figures are filled in as on a GPU.
  assert.deepEqual(cudaCheckFailures({ ...good(), opsMaxRelDiff: ops, batchTensorMaxAbsDiff: batch.maxAbsDiff }), []);
  torch.scope(() => {
    assert.equal(maxRel(torch.tensor([1, 2, 4]), torch.tensor([1, 2, 3])), 1 / 3);
    assert.ok(Number.isNaN(maxRel(torch.tensor([1, NaN, 3]), torch.tensor([1, 2, 3]))), 'NaN propagates to the verdict');
  });
});
