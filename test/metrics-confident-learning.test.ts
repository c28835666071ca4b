// Confident learning (Northcutt et al. 2021) on fixed probability matrices, the answers worked out by hand from
// the paper's definitions (in the comments). Rows are [P(class 0), P(class 1), ...]; `s` is the given label.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { calibrateJoint, findLabelIssues, findMultiLabelIssues } from '../src/metrics/index.js';

const close = (a: readonly number[], b: readonly number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-12, `${a} vs ${b}`));

test('three classes: thresholds, the argmax among classes at or above threshold, calibration, prune by noise rate, ranking', () => {
  // a: s=0 [0.8, 0.1, 0.1]    b: s=0 [0.6, 0.3, 0.1]
  // c: s=1 [0.2, 0.5, 0.3]    d: s=1 [0.75, 0.2, 0.05]   (looks like a 0)
  // e: s=2 [0.1, 0.4, 0.5]    f: s=2 [0.0, 0.44, 0.56]
  const labels = [0, 0, 1, 1, 2, 2];
  const P = [0.8, 0.1, 0.1, 0.6, 0.3, 0.1, 0.2, 0.5, 0.3, 0.75, 0.2, 0.05, 0.1, 0.4, 0.5, 0.0, 0.44, 0.56];
  const r = findLabelIssues(labels, P, 3);
  // t_0 = (0.8 + 0.6) / 2 = 0.7; t_1 = (0.5 + 0.2) / 2 = 0.35; t_2 = (0.5 + 0.56) / 2 = 0.53.
  close(r.thresholds, [0.7, 0.35, 0.53]);
  // a: only 0.8 >= t_0 -> C[0][0].  b: 0.6 < 0.7, 0.3 < 0.35, 0.1 < 0.53 -> not counted.
  // c: 0.5 >= t_1, 0.3 < t_2 -> C[1][1].  d: 0.75 >= t_0, 0.2 < t_1 -> C[1][0].
  // e: 0.4 >= t_1 but 0.5 < t_2 -> C[2][1] (its overall argmax, class 2, is below its threshold).
  // f: 0.44 >= t_1 and 0.56 >= t_2 -> the larger, C[2][2].
  assert.deepEqual(r.confidentJoint, [[1, 0, 0], [1, 1, 0], [0, 1, 1]]);
  // Calibration: rows scaled to the label counts (2, 2, 2): [2,0,0], [1,1,0], [0,1,1]; sum 6; Q = that / 6.
  r.joint.forEach((row, i) => close(row, [[2, 0, 0], [1, 1, 0], [0, 1, 1]][i]!.map((v) => v / 6)));
  // n * Q off the diagonal: (1,0) = 1 and (2,1) = 1.
  // (1,0): of c, d the larger p_0 - p_1: c -0.3, d 0.55 -> d, suggested 0.
  // (2,1): of e, f the larger p_1 - p_2: e -0.1, f -0.12 -> e, suggested 1.
  // Ranked by self-confidence: d (0.2) first, then e (0.5).
  assert.deepEqual(r.issues.map((i) => [i.index, i.given, i.suggested, i.rank]), [[3, 1, 0, 1], [4, 2, 1, 2]]);
  close(r.issues.map((i) => i.selfConfidence), [0.2, 0.5]);
});

test('binary: positive-class probabilities are rows [1 - p, p]', () => {
  // s=1: p 0.9, 0.8, 0.2 (the last looks negative); s=0: p 0.1, 0.2, 0.55.
  const labels = [1, 1, 1, 0, 0, 0];
  const p = [0.9, 0.8, 0.2, 0.1, 0.2, 0.55];
  const r = findLabelIssues(labels, p);
  // t_1 = (0.9 + 0.8 + 0.2) / 3 = 0.6333; t_0 = (0.9 + 0.8 + 0.45) / 3 = 0.71667.
  close(r.thresholds, [2.15 / 3, 1.9 / 3]);
  // Label 1: [0.1,0.9] -> 1; [0.2,0.8] -> 1; [0.8,0.2]: 0.8 >= t_0 -> 0.  Label 0: [0.9,0.1] -> 0; [0.8,0.2] -> 0;
  // [0.45,0.55]: 0.45 < t_0 and 0.55 < t_1 -> not counted.  C = [[2,0],[1,2]]; calibrated [[3,0],[1,2]], sum 6.
  assert.deepEqual(r.confidentJoint, [[2, 0], [1, 2]]);
  // n * Q[1][0] = 1: the label-1 example with the largest p_0 - p_1 (0.6: the third) is the issue, suggested 0.
  assert.deepEqual(r.issues.map((i) => [i.index, i.given, i.suggested, i.rank]), [[2, 1, 0, 1]]);
  close([r.issues[0]!.selfConfidence], [0.2]);
});

test('calibration: a row with no confident example stays empty; the counts to prune round n * Q', () => {
  // Rows scaled to label counts (4, 3): [1, 3] -> [1, 3]; [0, 0] -> [0, 0]; Q = [[0.25, 0.75], [0, 0]].
  const Q = calibrateJoint([[1, 3], [0, 0]], [4, 3]);
  assert.deepEqual(Q, [[0.25, 0.75], [0, 0]]);
  // Labels 0,0,0,0 with p(1) 0.9, 0.8, 0.7, 0.1 and labels 1,1,1 with p(1) 0.2, 0.35, 0.25:
  // t_0 = (0.1 + 0.2 + 0.3 + 0.9) / 4 = 0.375, t_1 = 0.8 / 3 = 0.2667. Label 0: [0.1,0.9] -> 1, [0.2,0.8] -> 1,
  // [0.3,0.7] -> 1 (0.3 < t_0), [0.9,0.1] -> 0. Label 1: [0.8,0.2]: 0.8 >= t_0 and 0.2 < t_1 -> 0; [0.65,0.35]:
  // both at or above their thresholds -> the larger, 0; [0.75,0.25] -> 0. C = [[1,3],[3,0]], calibrated (counts
  // 4, 3) [[1,3],[3,0]], sum 7 = n: prune 3 of label 0 toward 1 (the largest p_1 - p_0: examples 0, 1, 2) and 3 of
  // label 1 toward 0 (all three): every example but the fourth. Ranked by self-confidence: 0.1 (ex 0), 0.2 (ex 1
  // as 1 - 0.8 in floating point is just below 0.2, then ex 4), 0.25 (6), 0.3 (2), 0.35 (5).
  const r = findLabelIssues([0, 0, 0, 0, 1, 1, 1], [0.9, 0.8, 0.7, 0.1, 0.2, 0.35, 0.25]);
  assert.deepEqual(r.confidentJoint, [[1, 3], [3, 0]]);
  assert.deepEqual(r.issues.map((i) => i.index), [0, 1, 4, 6, 2, 5]);
  assert.deepEqual(r.issues.map((i) => i.suggested), [1, 1, 0, 0, 1, 0]);
});

test('bad input is named', () => {
  assert.throws(() => findLabelIssues([0, 3], [0.5, 0.5, 0.5, 0.5], 2), /labels\[1\] = 3/);
  assert.throws(() => findLabelIssues([0, 1], [0.5, 0.5, 0.5], 2), /3 values for 2 examples/);
});

test('multi-label: each label a binary problem (present / absent), the issues of all labels ranked together', () => {
  // Label sets and sigmoid outputs [p(label 0), p(label 1)]:
  //   a: {0}    [0.9, 0.95]   (label 1 absent, but p = 0.95)
  //   b: {0, 1} [0.1, 0.8]    (label 0 present, but p = 0.1)
  //   c: {}     [0.2, 0.1]
  //   d: {1}    [0.1, 0.9]
  // Label 0: given [1, 1, 0, 0], p [0.9, 0.1, 0.2, 0.1]. t_present = (0.9 + 0.1) / 2 = 0.5, t_absent = (0.8 + 0.9) / 2
  //   = 0.85. a -> C[1][1]; b: 1 - 0.1 = 0.9 >= 0.85 -> C[1][0]; c: 0.8 < 0.85, 0.2 < 0.5 -> not counted; d -> C[0][0].
  //   C = [[1, 0], [1, 1]], counts (2, 2): Q = [[2, 0], [1, 1]] / 4; n Q[1][0] = 1: of a, b the larger margin
  //   (1 - p) - p is b's (0.8) -> b's label 0 is an issue, self-confidence 0.1.
  // Label 1: given [0, 1, 0, 1], p [0.95, 0.8, 0.1, 0.9]. t_present = (0.8 + 0.9) / 2 = 0.85, t_absent =
  //   (0.05 + 0.9) / 2 = 0.475. a: 0.95 >= 0.85 -> C[0][1]; b: 0.8 < 0.85, 0.2 < 0.475 -> not counted; c -> C[0][0];
  //   d -> C[1][1]. C = [[1, 1], [0, 1]]: Q = [[1, 1], [0, 2]] / 4; n Q[0][1] = 1: of a, c the larger margin p - (1 - p)
  //   is a's (0.9) -> a's label 1 is an issue, self-confidence 1 - 0.95 = 0.05.
  // Ranked: a's label 1 (0.05), then b's label 0 (0.1).
  const issues = findMultiLabelIssues([[0], [0, 1], [], [1]], [0.9, 0.95, 0.1, 0.8, 0.2, 0.1, 0.1, 0.9], 2);
  assert.deepEqual(issues.map((i) => [i.index, i.label, i.givenPresent, i.rank]), [[0, 1, false, 1], [1, 0, true, 2]]);
  close(issues.map((i) => i.selfConfidence), [0.05, 0.1]);
  assert.throws(() => findMultiLabelIssues([[0]], [0.5], 2), /1 values for 1 examples x 2 labels/);
});
