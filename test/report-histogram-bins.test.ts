// Probability histogram (QA6 F4): bins fitted to a narrow band of probabilities with an edge on the threshold,
// counts equal to numpy's on the same edges, a shared integer count axis, and "no images" text for an empty class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSvg, histogramSpec } from '../src/report/index.js';
import { histogramBins, binCounts } from '../src/report/charts/histogram.js';
import { runPython } from './helpers/python.js';

const texts = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)].map((m) => m[1]);

test('a narrow band gets fine bins over the observed range with an edge on the threshold; counts match numpy', () => {
  const neg = [0.466, 0.47, 0.48, 0.49, 0.5, 0.501, 0.505, 0.51, 0.512, 0.518, 0.546];
  const pos = [0.517, 0.525, 0.54, 0.548, 0.568];
  const t = 0.5292;
  const bins = histogramBins([...neg, ...pos], t);
  assert.ok(bins.zoomed && bins.step <= 0.01, `step ${bins.step}`);
  assert.ok(bins.count >= 10, `${bins.count} bins`);
  const k = (t - bins.start) / bins.step;
  assert.ok(Math.abs(k - Math.round(k)) < 1e-9, 'the threshold is a bin edge');
  assert.ok(bins.start <= Math.min(...neg) && bins.start + bins.count * bins.step >= Math.max(...pos));
  const edges = Array.from({ length: bins.count + 1 }, (_, i) => bins.start + i * bins.step);
  const expected = runPython<number[][]>(
    `import numpy as np
out([np.histogram(np.array(v), bins=np.array(inp['e']))[0].tolist() for v in (inp['n'], inp['p'])])`,
    { e: edges, n: neg, p: pos },
  );
  assert.deepEqual([binCounts(neg, bins), binCounts(pos, bins)], expected);
  // A wide spread keeps [0, 1] and bins of at most 0.05.
  const wide = histogramBins([0.01, 0.99], 0.5);
  assert.deepEqual(wide.domain, [0, 1]);
  assert.ok(!wide.zoomed && wide.step <= 0.05);
});

test('the rendered histogram: both panels on one integer count axis, labelled counts, no bar across the threshold', async () => {
  const probabilities = [0.47, 0.5, 0.5, 0.51, 0.52, 0.53, 0.55];
  const labels = [0, 0, 0, 0, 1, 1, 1];
  const svg = await renderSvg(histogramSpec({ probabilities, labels, classes: ['ankle_boot', 'sneaker'], threshold: 0.525 }));
  const t = texts(svg);
  assert.equal(t.filter((s) => s === 'Images (count)').length, 2);
  assert.ok(t.some((s) => /zoomed to the observed/.test(s)), 'the axis says the range is zoomed');
  const yAxes = svg.match(/Y-axis titled 'Images \(count\)' for a linear scale with values from 0 to (\d+)/g)!;
  assert.equal(new Set(yAxes).size, 1, 'one y scale for both panels');
  // Headroom: the tallest bar's count label stays clear of the threshold label at the top of the plot.
  const yTop = Number(/values from 0 to (\d+)/.exec(yAxes[0])![1]);
  const tallest = Math.max(...[...svg.matchAll(/Images \(count\): (\d+)/g)].map((m) => Number(m[1])));
  assert.ok(tallest > 0 && tallest <= 0.8 * yTop, `tallest bar ${tallest} of a ${yTop} axis`);
  for (const m of svg.matchAll(/aria-label="Predicted probability of the positive class: ([\d.]+); Images \(count\): (\d+); hi: ([\d.]+)"/g)) {
    const [lo, hi] = [Number(m[1]), Number(m[3])];
    assert.ok(hi <= 0.525 + 1e-9 || lo >= 0.525 - 1e-9, `bar ${lo}–${hi} straddles the threshold`);
  }
  assert.ok(t.includes('2'), 'count labels on the bars');
});

test('an empty class: a clear message, no NaN anywhere in the SVG', async () => {
  const svg = await renderSvg(histogramSpec({ probabilities: [0.3, 0.6, 0.55], labels: [1, 1, 1], classes: ['ankle_boot', 'sneaker'], threshold: 0.5 }));
  assert.ok(!/NaN/.test(svg), 'NaN in the SVG');
  assert.ok(texts(svg).includes('no images of class ankle_boot in this data'));
  assert.ok(texts(svg).includes('True class: ankle_boot (n = 0)'));
  const none = await renderSvg(histogramSpec({ probabilities: [], labels: [], classes: ['a', 'b'] }));
  assert.ok(!/NaN/.test(none));
});

test('up to 60 images: one tick per image under its panel (a rug), between the plot and its axis; none above 60', async () => {
  const rugTicks = (svg: string, cls: number) => {
    const group = new RegExp(`<g class="mark-rule role-mark rug_${cls}_marks"[^>]*>([\\s\\S]*?)</g>`).exec(svg);
    return group ? [...group[1].matchAll(/<line\b[^>]*>/g)].map((m) => m[0]) : [];
  };
  const probabilities = [0.47, 0.5, 0.5, 0.51, 0.52, 0.53, 0.55];
  const labels = [0, 0, 0, 0, 1, 1, 1];
  const svg = await renderSvg(histogramSpec({ probabilities, labels, classes: ['ankle_boot', 'sneaker'], threshold: 0.525 }));
  assert.equal(rugTicks(svg, 0).length, 4, 'one tick per ankle_boot image');
  assert.equal(rugTicks(svg, 1).length, 3, 'one tick per sneaker image');
  // The ticks lie below the plot (height 120), above the axis moved down to make room for them.
  for (const tick of [...rugTicks(svg, 0), ...rugTicks(svg, 1)]) {
    const y = Number(/transform="translate\([-\d.e]+,([-\d.e]+)\)"/.exec(tick)?.[1]);
    assert.ok(y > 120 && y < 132, `tick at y ${y}`);
  }
  assert.match(svg, /<g class="mark-group role-axis" [^>]*><g transform="translate\(0\.5,132\.5\)"/, 'the x axis sits 12 px below the plot');

  // Above 60 images the bars alone are drawn.
  const many = Array.from({ length: 61 }, (_, i) => i / 61);
  const big = await renderSvg(histogramSpec({ probabilities: many, labels: many.map((_, i) => i % 2), classes: ['a', 'b'], threshold: 0.5 }));
  assert.equal(rugTicks(big, 0).length + rugTicks(big, 1).length, 0);
});
