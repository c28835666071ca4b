// The Wilson intervals of a multi-class and a multi-label metrics.json against scipy: the accuracy (subset
// accuracy), and per class or label the recall (tp / support) and precision (tp / predicted), from scikit-learn's
// confusion matrices; null where a class has no true or no predicted image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { multiclassEvaluation, multilabelEvaluation } from '../src/tasks/index.js';
import { mulberry32 } from '../src/metrics/index.js';
import { runPython } from './helpers/python.js';

type Ci = [number, number] | null;
const close = (got: Ci | undefined, want: Ci, what: string) => {
  if (want === null) return assert.equal(got, null, what);
  assert.ok(got?.every((v, i) => Math.abs(v - want[i]!) < 1e-12), `${what}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
};

test('multi-class and multi-label metrics.json: accuracy and per-class recall and precision intervals equal scipy\'s Wilson', () => {
  const r = mulberry32(11);
  const classes = ['a', 'b', 'c', 'never'];
  const n = 60;
  // Class 'never' is on no image and rarely predicted: its recall has no interval.
  const y = Int32Array.from({ length: n }, () => Math.floor(r() * 3));
  const probs = Float32Array.from({ length: n * 4 }, (_, i) => (i % 4 === y[Math.floor(i / 4)] ? 0.5 : 0) + r() * (i % 4 === 3 ? 0.55 : 0.7));
  for (let i = 0; i < n; i++) {
    const row = probs.subarray(i * 4, i * 4 + 4);
    const sum = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => (row[j] = v / sum));
  }
  const mc = multiclassEvaluation(y, probs, classes).metrics;
  const yl = Uint8Array.from({ length: n * 4 }, (_, i) => (i % 4 === 3 ? 0 : r() < 0.4 ? 1 : 0));
  const pl = Float32Array.from(yl, (v) => Math.min(1, v * 0.35 + r() * 0.7));
  const thresholds = [0.5, 0.4, 0.6, 0.5];
  const ml = multilabelEvaluation(yl, pl, classes, thresholds).metrics;
  const py = runPython<{ mc: { acc: Ci; rec: Ci[]; pre: Ci[] }; ml: { acc: Ci; rec: Ci[]; pre: Ci[] } }>(`
import numpy as np
from scipy.stats import binomtest
from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix
w = lambda k, n: list(binomtest(int(k), int(n)).proportion_ci(method='wilson')) if n else None
y = np.array(inp['y']); P = np.array(inp['p'], dtype=np.float64).reshape(-1, 4); pred = P.argmax(axis=1)
M = confusion_matrix(y, pred, labels=[0, 1, 2, 3])
mc = {'acc': w(np.trace(M), len(y)), 'rec': [w(M[j, j], M[j].sum()) for j in range(4)], 'pre': [w(M[j, j], M[:, j].sum()) for j in range(4)]}
Y = np.array(inp['yl']).reshape(-1, 4); D = (np.array(inp['pl'], dtype=np.float32).reshape(-1, 4) >= np.array(inp['t'])).astype(int)
L = multilabel_confusion_matrix(Y, D)  # per label [[tn, fp], [fn, tp]]
ml = {'acc': w((Y == D).all(axis=1).sum(), len(Y)), 'rec': [w(l[1, 1], l[1].sum()) for l in L], 'pre': [w(l[1, 1], l[:, 1].sum()) for l in L]}
out({'mc': mc, 'ml': ml})
`, { y: Array.from(y), p: Array.from(probs), yl: Array.from(yl), pl: Array.from(pl), t: thresholds });
  close(mc.accuracy_ci95, py.mc.acc, 'multi-class accuracy');
  close(ml.subset_accuracy_ci95, py.ml.acc, 'subset accuracy');
  classes.forEach((c, j) => {
    close(mc.recall_ci95[c], py.mc.rec[j]!, `multi-class recall of ${c}`);
    close(mc.precision_ci95[c], py.mc.pre[j]!, `multi-class precision of ${c}`);
    close(ml.recall_ci95[c], py.ml.rec[j]!, `multi-label recall of ${c}`);
    close(ml.precision_ci95[c], py.ml.pre[j]!, `multi-label precision of ${c}`);
  });
  assert.equal(mc.recall_ci95.never, null);
  assert.equal(ml.recall_ci95.never, null);
});
