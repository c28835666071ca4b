// A model that predicts one class for every image at its threshold: its accuracy is the share of that class
// (0.865 for a 1:8 split looks good), so metrics.json and the report say what happened and what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateProbabilities } from './helpers/evaluation.js';

async function evaluateOneSided(labels: (0 | 1)[], probabilities: number[]) {
  const { metrics, read } = await evaluateProbabilities(labels, probabilities, 'tlearn-one-sided-');
  return { metrics, html: read('report.html') };
}

test('every image predicted as one class: a warning that names the class, the threshold and what to do', async () => {
  const labels: (0 | 1)[] = [0, 0, 0, 0, 0, 0, 0, 1];
  const { metrics, html } = await evaluateOneSided(labels, [0.1, 0.2, 0.3, 0.35, 0.2, 0.1, 0.4, 0.45]);
  const w = metrics.warnings.find((m) => /predicts 'ok' for every image/.test(m));
  assert.ok(w, metrics.warnings.join('\n'));
  assert.match(w!, /threshold 0\.5/);
  assert.match(w!, /accuracy 0\.875 is the share of 'ok'/);
  assert.match(w!, /--threshold-method/);
  assert.ok(html.includes("predicts &#39;ok&#39; for every image") || html.includes("predicts 'ok' for every image"), 'shown in the report');
  // Both predicted classes occur: no such warning.
  const mixed = await evaluateOneSided(labels, [0.1, 0.2, 0.3, 0.35, 0.2, 0.1, 0.6, 0.45]);
  assert.ok(!mixed.metrics.warnings.some((m) => /for every image/.test(m)));
});
