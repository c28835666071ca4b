// Chart layout as a reader sees it: the operating-point label stays inside the plot area wherever the point is
// (corners included), and legends sit outside the plot area with line symbols for lines (QA6 F2, F7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSvg, rocSpec, prSpec, reliabilitySpec } from '../src/report/index.js';
import { SQUARE } from '../src/report/charts/theme.js';

/** The label's text box in plot coordinates (text marks are placed relative to the plot's origin). */
function labelBox(svg: string, text: string) {
  const m = new RegExp(`<text[^>]*text-anchor="(start|end)" transform="translate\\(([-\\d.]+),([-\\d.]+)\\)"[^>]*font-size="(\\d+)px"[^>]*>${text}</text>`).exec(svg);
  assert.ok(m, `no label "${text}"`);
  const [anchor, x, y, size] = [m[1], Number(m[2]), Number(m[3]), Number(m[4])];
  const width = text.length * size * 0.62; // DejaVu Sans bold is at most ~0.62 em per character here
  return { left: anchor === 'start' ? x : x - width, right: anchor === 'start' ? x + width : x, top: y - size, bottom: y + 3 };
}

function assertInside(box: { left: number; right: number; top: number; bottom: number }, what: string) {
  assert.ok(box.left >= 0 && box.right <= SQUARE && box.top >= 0 && box.bottom <= SQUARE, `${what}: label box ${JSON.stringify(box)} leaves the ${SQUARE} px plot`);
}

const legendY = (svg: string) => Number(/<g class="mark-group role-legend"[^>]*><g transform="translate\([-\d.]+,([-\d.]+)\)"/.exec(svg)?.[1]);

test('ROC operating-point label lies inside the plot in every corner and in the middle', async () => {
  for (const [fpr, tpr] of [[0, 0], [1, 1], [0, 1], [1, 0], [0.5, 0.5], [0.02, 0.98]]) {
    const svg = await renderSvg(rocSpec({ fpr: [0, 0.3, 1], tpr: [0, 0.8, 1], auc: 0.8, operatingPoint: { fpr, tpr, threshold: 0.5 } }));
    assertInside(labelBox(svg, 'threshold 0.50'), `ROC point (${fpr}, ${tpr})`);
    assert.ok(legendY(svg) > SQUARE, 'ROC legend below the plot area');
  }
});

test('PR operating-point label lies inside the plot in every corner', async () => {
  for (const [recall, precision] of [[0, 1], [1, 0.135], [0, 0], [1, 1], [0.5, 0.5]]) {
    const svg = await renderSvg(prSpec({ precision: [0.135, 0.5, 1], recall: [1, 0.5, 0], averagePrecision: 0.6, prevalence: 0.135, operatingPoint: { recall, precision, threshold: 0.53 } }));
    assertInside(labelBox(svg, 'threshold 0.53'), `PR point (${recall}, ${precision})`);
    assert.ok(legendY(svg) > SQUARE, 'PR legend below the plot area, away from the chance line');
  }
});

test('legends: outside the plot, a dashed line for dashed series, a line for the model, a dot for the point', async () => {
  const svg = await renderSvg(rocSpec({ fpr: [0, 1], tpr: [0, 1], operatingPoint: { fpr: 0.2, tpr: 0.7, threshold: 0.5 } }));
  const symbols = [...svg.matchAll(/<g class="mark-symbol role-legend-symbol"[^>]*><path ([^>]*)\/>/g)].map((m) => m[1]);
  assert.equal(symbols.length, 3);
  const [model, chance, point] = symbols;
  assert.match(model, /d="M-[\d.]+,0L[\d.]+,0"/, 'model: a line');
  assert.doesNotMatch(model, /stroke-dasharray="4,3"/);
  assert.match(chance, /d="M-[\d.]+,0L[\d.]+,0"/, 'chance: a line');
  assert.match(chance, /stroke-dasharray="4,3"/, 'chance: dashed');
  assert.doesNotMatch(point, /d="M-[\d.]+,0L[\d.]+,0"/, 'operating point: not a line');
  // Reliability: the legend is below the charts, not in the curve's top-left corner.
  const rel = await renderSvg(reliabilitySpec({ probPred: [0.05, 0.5], probTrue: [0.6, 0.5], counts: [3, 4], nBins: 10 }));
  assert.ok(legendY(rel) > 300, `reliability legend at y ${legendY(rel)} is inside the 300 px curve panel`);
  assert.match(rel, /stroke-dasharray="4,3"[^>]*\/><\/g><g class="mark-text role-legend-label"[^>]*><text[^>]*>perfectly calibrated/);
});
