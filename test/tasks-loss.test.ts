// The tasks' losses and loss weights against PyTorch and scikit-learn: multi-class cross-entropy with class
// weights and label smoothing equals torch.nn.functional.cross_entropy; multi-label BCE-with-logits with a
// pos_weight per label equals torch.nn.BCEWithLogitsLoss; 'auto' class weights equal scikit-learn's
// compute_class_weight('balanced'), 'auto' pos_weights are negatives / positives per label; settings of another
// task are named by their config key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scope, tensor } from '../src/torch/index.js';
import { LOSS_POLICIES, MulticlassTask, MultilabelTask } from '../src/tasks/index.js';
import { runPython } from './helpers/python.js';

const LOGITS = Float32Array.from({ length: 6 * 4 }, (_, i) => Math.sin(i * 1.7) * 3);

test('multiclass: cross-entropy with class weights and label smoothing equals torch.nn.functional.cross_entropy', () => {
  const labels = new Float32Array([0, 1, 2, 3, 1, 1]);
  const weights = [0.5, 2, 1, 3];
  const task = new MulticlassTask(['a', 'b', 'c', 'd'], { posWeight: null, classWeights: weights, labelSmoothing: 0.1 });
  try {
    const ours = scope(() => {
      const logits = tensor(LOGITS, { shape: [6, 4] });
      const y = task.targets(labels, 'cpu');
      return { mean: task.loss(logits, y).item(), sum: task.loss(logits, y, 'sum').item() };
    });
    const theirs = runPython<{ mean: number; sum: number }>(String.raw`
import torch
x = torch.tensor(inp['logits']).reshape(6, 4); y = torch.tensor(inp['labels']).long(); w = torch.tensor(inp['weights'])
f = lambda r: torch.nn.functional.cross_entropy(x, y, weight=w, label_smoothing=0.1, reduction=r).item()
out({'mean': f('mean'), 'sum': f('sum')})
`, { logits: [...LOGITS], labels: [...labels], weights });
    assert.ok(Math.abs(ours.mean - theirs.mean) < 1e-6, `${ours.mean} vs ${theirs.mean}`);
    assert.ok(Math.abs(ours.sum - theirs.sum) < 1e-5, `${ours.sum} vs ${theirs.sum}`);
  } finally {
    task.dispose();
  }
});

test('multilabel: BCE-with-logits with a pos_weight per label equals torch.nn.BCEWithLogitsLoss', () => {
  const labels = Float32Array.from({ length: 24 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
  const posWeight = [1, 2.5, 0.5, 4];
  const task = new MultilabelTask(['a', 'b', 'c', 'd'], { posWeight, classWeights: null, labelSmoothing: 0 });
  try {
    const ours = scope(() => task.loss(tensor(LOGITS, { shape: [6, 4] }), task.targets(labels, 'cpu')).item());
    const theirs = runPython<number>(String.raw`
import torch
x = torch.tensor(inp['logits']).reshape(6, 4); y = torch.tensor(inp['labels']).float().reshape(6, 4)
out(torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(inp['pw']))(x, y).item())
`, { logits: [...LOGITS], labels: [...labels], pw: posWeight });
    assert.ok(Math.abs(ours - theirs) < 1e-6, `${ours} vs ${theirs}`);
  } finally {
    task.dispose();
  }
});

test("'auto' weights: scikit-learn's balanced class weights, negatives / positives per label; misplaced settings named by key", () => {
  const classes = ['a', 'b', 'c'];
  const y = [0, 0, 0, 0, 0, 1, 1, 2, 2, 2];
  const mc = LOSS_POLICIES.multiclass.resolve({ posWeight: null, classWeights: 'auto', labelSmoothing: 0 }, y.map((label) => ({ label })), classes);
  const sk = runPython<number[]>(String.raw`
import numpy as np
from sklearn.utils.class_weight import compute_class_weight
out(compute_class_weight('balanced', classes=np.arange(3), y=np.array(inp)).tolist())
`, y);
  mc.settings.classWeights!.forEach((w, j) => assert.ok(Math.abs(w - sk[j]!) < 1e-12, `class ${j}: ${w} vs ${sk[j]}`));
  assert.match(mc.lines[0]!, /^class weights \(auto: .*\): a 0\.6667, b 1\.667, c 1\.111$/);

  const items = [[0], [0, 1], [2], [], [0, 2], [1]].map((labels) => ({ label: -1, labels }));
  const ml = LOSS_POLICIES.multilabel.resolve({ posWeight: 'auto', classWeights: null, labelSmoothing: 0 }, items, classes);
  assert.deepEqual(ml.settings.posWeight, [1, 2, 2]);

  assert.deepEqual(LOSS_POLICIES.binary.misplaced({ posWeight: null, classWeights: 'auto', labelSmoothing: 0.1 }, 2).map((m) => m.split(' ')[0]),
    ['classWeights', 'labelSmoothing']);
  assert.deepEqual(LOSS_POLICIES.multiclass.misplaced({ posWeight: 'auto', classWeights: [1], labelSmoothing: 0 }, 3).map((m) => m.split(' ')[0]),
    ['posWeight', 'classWeights']);
  // A resumed binary run keeps the pos_weight it recorded.
  assert.equal(LOSS_POLICIES.binary.resolve({ posWeight: 'auto', classWeights: null, labelSmoothing: 0 }, [{ label: 0 }, { label: 1 }], ['n', 'p'], 3.5).posWeight, 3.5);
});
