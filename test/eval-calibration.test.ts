// The expected calibration error is computed once, written into metrics.json with its bin count, and the
// reliability diagram and the report take it from there (QA round 6: it was only in the chart's title).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateProbabilities } from './helpers/evaluation.js';
import { runPython } from './helpers/python.js';

async function evaluateEce(labels: (0 | 1)[], probabilities: number[]) {
  const { read } = await evaluateProbabilities(labels, probabilities, 'tlearn-ece-');
  return { json: JSON.parse(read('metrics.json')) as Record<string, unknown>, html: read('report.html'), svg: read('reliability.svg') };
}

test('metrics.json has ece and ece_bins, equal to a scikit-learn/numpy recomputation; chart and report show that value', async () => {
  // Spread over several bins, with values on inner bin edges (0.2, 0.5: they belong to the lower bin) and at 0 and 1.
  const labels: (0 | 1)[] = [0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1];
  const probs = [0, 0.03, 0.2, 0.2, 0.31, 0.38, 0.5, 0.5, 0.52, 0.55, 0.61, 0.69, 0.74, 0.81, 0.88, 0.93, 0.97, 1];
  const { json, html, svg } = await evaluateEce(labels, probs);
  const ref = runPython<{ ece: number; bins: number }>(`
import numpy as np
from sklearn.calibration import calibration_curve
y, p = np.array(inp[0]), np.array(inp[1], dtype=float)
prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
# calibration_curve leaves empty bins out; its bin of each sample is searchsorted over the inner edges.
counts = np.bincount(np.searchsorted(np.linspace(0, 1, 11)[1:-1], p), minlength=10)
counts = counts[counts > 0]
out({'ece': float(np.sum(counts / len(p) * np.abs(prob_true - prob_pred))), 'bins': len(counts)})
`, [labels, probs]);
  assert.equal(json.ece_bins, 10);
  assert.ok(typeof json.ece === 'number' && Math.abs(json.ece - ref.ece) < 1e-12, `ece ${String(json.ece)} vs scikit-learn ${ref.ece}`);
  assert.ok(ref.bins >= 6, 'the data spans several bins');
  // A key added beside the other probability scores; no contract key renamed or moved before it.
  const keys = Object.keys(json);
  assert.deepEqual(keys.slice(keys.indexOf('brier'), keys.indexOf('brier') + 4), ['brier', 'log_loss', 'ece', 'ece_bins']);
  for (const k of ['n', 'classes', 'positive_class', 'threshold', 'auc', 'auc_ci95', 'accuracy', 'average_precision', 'confusion', 'roc']) {
    assert.ok(k in json, `contract key ${k} kept`);
  }

  const shown = (json.ece as number).toFixed(3);
  assert.match(svg, new RegExp(`ECE = ${shown.replace('.', '\\.')}`), 'the chart title shows metrics.json\'s value');
  const row = /<tr><th>Expected calibration error \(10 bins\)<div class="muted">([^<]*)<\/div><\/th><td class="num">([^<]*)<\/td><\/tr>/.exec(html);
  assert.ok(row, 'the metrics table has the ECE row with its bin count');
  assert.equal(row![2], (json.ece as number).toFixed(4));
  assert.match(row![1], /average gap between predicted probability and observed rate; 0 is perfectly calibrated/);
  assert.doesNotMatch(html, /<th>ece_bins<\/th>/, 'the bin count is in the label, not a row of its own');
});

test('ECE of a perfectly calibrated and of a maximally wrong model', async () => {
  const good = await evaluateEce([0, 0, 1, 1], [0, 0, 1, 1]);
  assert.equal(good.json.ece, 0);
  const bad = await evaluateEce([0, 0, 1, 1], [1, 1, 0, 0]);
  assert.equal(bad.json.ece, 1);
});
