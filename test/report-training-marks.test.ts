// Training curves mark the epoch the final model comes from and the epoch each phase restored, at the x of
// that (phase, per-phase epoch) row; both phases are named; the axis says it counts over the whole run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSvg, trainingSpec, chartSpecs, type HistoryRow } from '../src/report/index.js';
import { epochMarks, overallEpochs } from '../src/report/charts/training.js';

function rows(): HistoryRow[] {
  const out: HistoryRow[] = [];
  for (let e = 1; e <= 3; e++) out.push({ phase: 'phase1', epoch: e, lr: 1e-3, train_loss: 0.8 / e, val_loss: 0.5 - e / 20, val_auc: 0.75 - e / 40 });
  for (let e = 1; e <= 2; e++) out.push({ phase: 'phase2', epoch: e, lr: 1e-5, train_loss: 0.42, val_loss: 0.5, val_auc: 0.75 });
  return out;
}

const texts = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)].map((m) => m[1]);
/** x (px) of the rule lines with the given stroke, per panel group, as aria-label "x: N". */
const ruleXs = (svg: string, stroke: string) =>
  [...svg.matchAll(/<line aria-label="x: ([\d.]+)"[^>]*stroke="([^"]+)"/g)].filter((m) => m[2] === stroke).map((m) => Number(m[1]));

test('the model epoch and the restored epochs are placed at their rows in the whole-run numbering', () => {
  const r = rows();
  const xs = overallEpochs(r);
  const marks = epochMarks(r, xs, { model: { phase: 'phase1', epoch: 1 }, restored: [{ phase: 'phase1', epoch: 1 }, { phase: 'phase2', epoch: 2 }] });
  assert.deepEqual(marks.map((m) => [m.kind, m.x, m.label]), [['model', 1, 'model: phase1 epoch 1'], ['restored', 5, 'phase2 epoch 2']]);
  // An epoch the history does not hold is not drawn; no marks given: none.
  assert.deepEqual(epochMarks(r, xs, { model: { phase: 'phase3', epoch: 1 }, restored: [{ phase: 'phase1', epoch: 9 }] }), []);
  assert.deepEqual(epochMarks(r, xs, null), []);
});

test('the rendered chart draws the model rule at its x in every panel, names both phases and the model epoch', async () => {
  const data = { history: rows(), trainingMarks: { model: { phase: 'phase2', epoch: 1 }, restored: [{ phase: 'phase1', epoch: 2 }, { phase: 'phase2', epoch: 1 }] } };
  const spec = chartSpecs(data).find((c) => c.name === 'training_curves')!.spec;
  const svg = await renderSvg(spec);
  const t = texts(svg);
  assert.deepEqual(ruleXs(svg, '#d62728'), [4, 4, 4], 'model rule at x = 4 (phase2 epoch 1) in the 3 panels');
  assert.deepEqual(ruleXs(svg, '#444'), [2, 2, 2], 'restored rule at phase1 epoch 2');
  // Each restored epoch is named in the legend (the model's own phase2 epoch 1 is drawn once, as the model).
  for (const s of ['phase1', 'phase2', 'model: phase2 epoch 1', 'final model', 'restored: phase1 epoch 2']) assert.ok(t.includes(s), `missing "${s}" in ${t.join(' | ')}`);
  assert.ok(!t.some((s) => s.includes('phase phase')), 'no "phase phase2"');
  assert.equal(t.filter((s) => s.startsWith('restored')).length, 1, 'the model epoch is not listed again as restored');
  // Two restored epochs apart from the model: one legend entry each, in run order.
  const two = texts(await renderSvg(trainingSpec(rows(), { model: { phase: 'phase1', epoch: 3 }, restored: [{ phase: 'phase2', epoch: 2 }, { phase: 'phase1', epoch: 1 }] })));
  assert.deepEqual(two.filter((s) => /^(final model|restored)/.test(s)), ['final model', 'restored: phase1 epoch 1', 'restored: phase2 epoch 2']);
  assert.ok(t.some((s) => /counted over the whole run/.test(s)), 'the x axis says how epochs are counted');
  // Without marks, no mark rules or legend.
  const plain = await renderSvg(trainingSpec(rows()));
  assert.deepEqual(ruleXs(plain, '#d62728'), []);
  assert.ok(!texts(plain).includes('final model'));
});
