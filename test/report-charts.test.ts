// Charts: Vega-Lite specs compile and render headless to SVG, PNGs decode at the right size and are not
// blank, titles carry the numbers, bad or missing data degrades gracefully.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  writeCharts, renderSvg, svgToPng, svgSize, rocSpec, prSpec, confusionSpec, trainingSpec, histogramSpec,
  reliabilitySpec, confusionFromCounts, chartSpecs, chartDataFromMetrics, probabilityDataFromPredictions,
  type ChartData, type HistoryRow,
} from '../src/report/index.js';
import { overallEpochs, phaseBoundaries } from '../src/report/charts/training.js';
import { runPython } from './helpers/python.js';

const CLASSES: [string, string] = ['cat <b>', 'dog & "co"'];

function history(): HistoryRow[] {
  const rows: HistoryRow[] = [];
  for (let e = 1; e <= 4; e++) rows.push({ phase: 1, epoch: e, lr: 1e-3, train_loss: 0.8 / e, train_accuracy: 0.6 + e / 20, val_loss: 0.7 / e, val_accuracy: 0.62 + e / 20, val_auc: 0.7 + e / 20 });
  for (let e = 1; e <= 3; e++) rows.push({ phase: 2, epoch: e, lr: 1e-5 / e, train_loss: 0.1, train_accuracy: 0.95, val_loss: 0.12, val_accuracy: 0.93, val_auc: e === 2 ? NaN : 0.97 });
  return rows;
}

function lcg(seed: number) {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

function fullData(): ChartData {
  const rnd = lcg(3);
  const probabilities: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 120; i++) {
    const y = i % 3 === 0 ? 1 : 0;
    labels.push(y);
    probabilities.push(y ? 0.4 + 0.6 * rnd() : 0.7 * rnd());
  }
  return {
    history: history(),
    roc: { fpr: [0, 0, 0.1, 0.1, 0.4, 1], tpr: [0, 0.5, 0.5, 0.8, 0.9, 1], thresholds: [null, 0.9, 0.7, 0.5, 0.2, 0.01], auc: 0.8766, aucCi95: [0.81, 0.93] },
    pr: { precision: [0.4, 0.6, 0.8, 1, 1], recall: [1, 0.9, 0.8, 0.5, 0], averagePrecision: 0.8123, prevalence: 0.4 },
    confusion: confusionFromCounts(CLASSES, { tn: 70, fp: 10, fn: 5, tp: 35 }, 0.5),
    probabilities: { probabilities, labels, classes: CLASSES, threshold: 0.5 },
    calibration: { probPred: [0.05, 0.3, 0.52, 0.9], probTrue: [0.02, 0.25, 0.6, 0.95], counts: [50, 30, 20, 20], nBins: 5, ece: 0.0432, brier: 0.0911 },
  };
}

/** Text content of every <text> element, entity-decoded. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)].map((m) =>
    m[1].replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
}

async function assertPngFine(file: string, svg: string, scale = 2) {
  const meta = await sharp(file).metadata();
  const { width, height } = svgSize(svg);
  assert.equal(meta.format, 'png');
  assert.equal(meta.width, Math.round(width * scale), `${file} width`);
  assert.equal(meta.height, Math.round(height * scale), `${file} height`);
  const stats = await sharp(file).stats();
  // A blank (all white) image has zero spread; a chart has dark text and coloured marks.
  assert.ok(stats.channels.slice(0, 3).every((c) => c.stdev > 10), `${file} looks blank: stdev ${stats.channels.map((c) => c.stdev.toFixed(1))}`);
  assert.ok(stats.channels[0].min < 60, `${file} has no dark pixels (text missing?)`);
}

test('writeCharts writes every chart as SVG and PNG, and the PNGs decode, at 2x size, not blank', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tlearn-charts-'));
  try {
    const files = await writeCharts(dir, fullData());
    const names = ['training_curves', 'roc_curve', 'pr_curve', 'confusion_matrix', 'probability_histogram', 'reliability'];
    assert.deepEqual(files.map((f) => f.slice(dir.length + 1)).sort(), names.flatMap((n) => [`${n}.png`, `${n}.svg`]).sort());
    assert.deepEqual(readdirSync(dir).sort(), files.map((f) => f.slice(dir.length + 1)).sort(), 'no temp files left behind');
    for (const n of names) {
      const svg = readFileSync(join(dir, `${n}.svg`), 'utf8');
      assert.match(svg, /^<svg\b[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      await assertPngFine(join(dir, `${n}.png`), svg);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('charts whose data is absent are skipped; formats and PNG scale are honoured', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tlearn-charts-'));
  try {
    assert.deepEqual(await writeCharts(dir, {}), []);
    const files = await writeCharts(dir, { roc: fullData().roc, pr: null }, { formats: ['png'], pngScale: 1 });
    assert.deepEqual(files, [join(dir, 'roc_curve.png')]);
    const svg = await renderSvg(rocSpec(fullData().roc!));
    await assertPngFine(files[0], svg, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ROC chart: AUC and CI in the title, operating point from the confusion matrix, chance diagonal', async () => {
  const data = fullData();
  const spec = chartSpecs(data).find((c) => c.name === 'roc_curve')!.spec;
  const svg = await renderSvg(spec);
  const texts = svgTexts(svg);
  assert.ok(texts.includes('ROC curve — AUC = 0.877 (95% CI 0.810–0.930)'), texts.join(' | '));
  assert.ok(texts.includes('threshold 0.50'));
  for (const legend of ['model', 'chance', 'operating point']) assert.ok(texts.includes(legend), `legend ${legend}`);
  // The operating point is fpr = 10/80, tpr = 35/40, placed on the 340 px square plot.
  const symbol = /aria-label="[^"]*False positive rate[^"]*: 0\.125; True positive rate[^"]*: 0\.875"/.test(svg);
  assert.ok(symbol, 'operating point at (0.125, 0.875)');
  // Without AUC or operating point the chart still renders with a plain title.
  const bare = svgTexts(await renderSvg(rocSpec({ fpr: [0, 1], tpr: [0, 1] })));
  assert.ok(bare.includes('ROC curve'));
  assert.ok(!bare.includes('operating point'));
});

test('PR chart: AP in the title, chance line at the prevalence, operating point', async () => {
  const data = fullData();
  const svg = await renderSvg(chartSpecs(data).find((c) => c.name === 'pr_curve')!.spec);
  const texts = svgTexts(svg);
  assert.ok(texts.includes('Precision–recall curve — AP = 0.812 (shaded area)'), texts.join(' | '));
  assert.ok(texts.includes('operating point') && texts.includes('chance'));
  // precision at the threshold = 35 / 45
  assert.match(svg, /Recall \(sensitivity\): 0\.875; Precision \(positive predictive value\): 0\.7777/);
});

/** The numbers of an SVG path's `d` as [x, y] pairs (Vega writes M/L with absolute coordinates). */
function pathPoints(d: string): [number, number][] {
  assert.match(d, /^M[-\d.,eLZ]+$/, `only M/L/Z commands in ${d.slice(0, 80)}`);
  const nums = d.match(/-?\d+(\.\d+)?(e-?\d+)?/g)!.map(Number);
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < nums.length; i += 2) out.push([nums[i], nums[i + 1]]);
  return out;
}

test("PR chart: steps through every point scikit-learn gives, the shaded area is the AP, the operating point on the curve", async () => {
  // Scores that give spurs: at a recall, precision first falls (a positive dropped) and then rises (a negative dropped).
  const y = [1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0];
  const s = [0.95, 0.9, 0.85, 0.8, 0.7, 0.65, 0.6, 0.5, 0.45, 0.4, 0.3, 0.2];
  const ref = runPython<{ precision: number[]; recall: number[]; ap: number }>(`
from sklearn.metrics import precision_recall_curve, average_precision_score
y, s = inp
p, r, t = precision_recall_curve(y, s)
out({'precision': p.tolist(), 'recall': r.tolist(), 'ap': float(average_precision_score(y, s))})`, [y, s]);
  const spurs = ref.recall.filter((r, i) => i > 0 && r === ref.recall[i - 1] && ref.precision[i] > ref.precision[i - 1]).length;
  assert.ok(spurs >= 2, 'the data has spurs');
  // The operating point at threshold 0.6: 4 of 6 positives among the 7 images called positive.
  const op = { recall: 4 / 6, precision: 4 / 7, threshold: 0.6 };
  const svg = await renderSvg(prSpec({ precision: ref.precision, recall: ref.recall, averagePrecision: ref.ap, prevalence: 0.5, operatingPoint: op }));
  const paths = (cls: string) => [...svg.matchAll(new RegExp(`<g class="mark-${cls} role-mark[^"]*"[^>]*>\\s*<path[^>]*\\sd="([^"]+)"`, 'g'))].map((m) => m[1]);
  const area = paths('area')[0];
  // The chance level is a line too, of two points.
  const line = paths('line').find((p) => pathPoints(p).length > 2);
  assert.ok(area && line, 'an area and a line are drawn');
  // 340 px square plot, precision axis 0..1.02.
  const px = (r: number, p: number): [number, number] => [r * 340, 340 - (p / 1.02) * 340];
  const poly = pathPoints(area!);
  let twice = 0;
  for (let i = 0; i < poly.length; i++) {
    const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % poly.length];
    twice += x1 * y2 - x2 * y1;
  }
  const apFromArea = Math.abs(twice) / 2 / (340 * 340 / 1.02);
  assert.ok(Math.abs(apFromArea - ref.ap) < 1e-3, `shaded area ${apFromArea} vs average_precision_score ${ref.ap}`);
  // The line is sklearn's steps-post: every returned point is a vertex, the operating point among them.
  const vertices = pathPoints(line!);
  const isVertex = ([x, yy]: [number, number]) => vertices.some(([vx, vy]) => Math.abs(vx - x) < 0.01 && Math.abs(vy - yy) < 0.01);
  ref.recall.forEach((r, i) => assert.ok(isVertex(px(r, ref.precision[i])), `point ${i} (${r}, ${ref.precision[i]}) on the line`));
  assert.ok(ref.recall.some((r, i) => Math.abs(r - op.recall) < 1e-12 && Math.abs(ref.precision[i] - op.precision) < 1e-12), 'sklearn has the point');
  assert.ok(isVertex(px(op.recall, op.precision)), 'the operating point is a vertex of the drawn curve');
});

test('confusion matrix: counts, row rates and (escaped) class names on both axes', async () => {
  const svg = await renderSvg(confusionSpec(confusionFromCounts(CLASSES, { tn: 70, fp: 10, fn: 5, tp: 35 }, 0.5)));
  const texts = svgTexts(svg);
  for (const t of ['70', '10', '5', '35', '87.5% of row', '12.5% of row', '87.5% of row', 'True class', 'Predicted class', 'Confusion matrix (threshold 0.50)']) {
    assert.ok(texts.includes(t), `missing ${t} in ${texts.join(' | ')}`);
  }
  assert.equal(texts.filter((t) => t === CLASSES[0]).length, 2, 'class 0 on both axes');
  assert.equal(texts.filter((t) => t === CLASSES[1]).length, 2, 'class 1 on both axes');
  assert.ok(!svg.includes('<b>'), 'class names are XML-escaped in the SVG');
  assert.ok(svg.includes('Predicted class: dog &amp; &quot;co&quot;; True class: cat &lt;b&gt;'), 'attribute values are escaped');
  // A class with no samples (a zero row) has no rate but still renders; shape errors are explained.
  const zero = svgTexts(await renderSvg(confusionSpec({ classes: ['a', 'b'], matrix: [[0, 0], [3, 4]] })));
  assert.ok(zero.includes('57.1% of row') && zero.includes('0'));
  assert.throws(() => confusionSpec({ classes: ['a', 'b'], matrix: [[1, 2]] }), /expected 2x2 counts/);
  // Duplicate class names would merge cells; they are told apart.
  const dup = svgTexts(await renderSvg(confusionSpec({ classes: ['x', 'x'], matrix: [[1, 2], [3, 4]] })));
  assert.ok(dup.includes('x') && dup.includes('x (2)'));
});

test('training curves: phase boundary rule, log-scale learning rate, NaN metrics skipped', async () => {
  const rows = history();
  assert.deepEqual(overallEpochs(rows), [1, 2, 3, 4, 5, 6, 7], 'per-phase epochs are laid end to end');
  assert.deepEqual(phaseBoundaries(rows, overallEpochs(rows)), [{ x: 4.5, label: 'phase 2' }]);
  const global = rows.map((r, i) => ({ ...r, epoch: i + 1 }));
  global[0] = { ...global[0], epoch: 0 };
  assert.deepEqual(overallEpochs(global), [0, 2, 3, 4, 5, 6, 7], 'run-wide epochs are kept');

  const svg = await renderSvg(trainingSpec(rows));
  const texts = svgTexts(svg);
  for (const t of ['Training curves', 'Loss', 'AUC / accuracy', 'Learning rate', 'phase 2', 'train loss', 'val loss', 'val AUC', 'learning rate']) {
    assert.ok(texts.includes(t), `missing ${t}`);
  }
  assert.ok(/for a log scale/.test(svg), 'learning rate on a log scale');
  assert.match(svg, /aria-roledescription="rule mark"/);
  // 7 epochs minus the NaN one
  const aucPoints = new Set(svg.match(/aria-label="Epoch[^:]*: \d+; AUC \/ accuracy: [\d.]+; series: val AUC/g));
  assert.equal(aucPoints.size, 6);
  // history.csv read back as strings: numbers are parsed, empty cells skipped.
  const fromCsv = await renderSvg(trainingSpec([
    { phase: 'head', epoch: '1' as unknown as number, lr: '0.001' as unknown as number, train_loss: '0.5' as unknown as number, val_auc: '' as unknown as number },
    { phase: 'finetune', epoch: '2' as unknown as number, lr: '1e-5' as unknown as number, train_loss: '0.25' as unknown as number, val_auc: '0.9' as unknown as number },
  ]));
  assert.equal(new Set(fromCsv.match(/aria-label="Epoch[^:]*: \d; Loss: [\d.]+; series: train loss/g)).size, 2);
  assert.equal(new Set(fromCsv.match(/series: val AUC; phase/g)).size, 1);
  assert.ok(svgTexts(fromCsv).includes('finetune') && svgTexts(fromCsv).includes('head'), 'both phases named as they are, not "phase finetune"');
  // One phase: no boundary; all metrics missing: still renders.
  const single = await renderSvg(trainingSpec([{ phase: 1, epoch: 1, lr: 0, train_loss: null, val_auc: NaN }]));
  assert.ok(!svgTexts(single).includes('phase 2'));
});

test('probability histogram: per-class bin counts equal numpy.histogram, threshold marked', async () => {
  const rnd = lcg(11);
  const probabilities = [0, 1, 1, ...Array.from({ length: 200 }, () => rnd())];
  const labels = probabilities.map((_, i) => (i % 4 === 0 ? 1 : 0));
  const svg = await renderSvg(histogramSpec({ probabilities, labels, classes: CLASSES, threshold: 0.35, binStep: 0.1 }));
  const texts = svgTexts(svg);
  const n1 = labels.filter((y) => y === 1).length;
  assert.ok(texts.includes(`True class: ${CLASSES[0]} (n = ${probabilities.length - n1})`));
  assert.ok(texts.includes(`True class: ${CLASSES[1]} (n = ${n1})`));
  assert.equal(texts.filter((t) => t === 'threshold 0.35').length, 2);
  // Panels are Vega groups in order; bars before the second group belong to class 0.
  const split = svg.indexOf('concat_1_group');
  assert.ok(split > 0);
  const bars = (part: string) => {
    const counts = new Array(10).fill(0);
    for (const m of part.matchAll(/aria-label="Predicted probability of the positive class: ([\d.]+); Images \(count\): (\d+); hi: ([\d.]+)"/g)) {
      counts[Math.round(Number(m[1]) * 10)] = Number(m[2]);
    }
    return counts;
  };
  const expected = runPython<number[][]>(
    `import numpy as np
p = np.array(inp['p']); y = np.array(inp['y'])
out([np.histogram(p[y == c], bins=10, range=(0, 1))[0].tolist() for c in (0, 1)])`,
    { p: probabilities, y: labels },
  );
  assert.deepEqual([bars(svg.slice(0, split)), bars(svg.slice(split))], expected);
});

test('reliability diagram: ECE/Brier in the title, count bars on their bins, diagonal', async () => {
  const svg = await renderSvg(reliabilitySpec(fullData().calibration!));
  const texts = svgTexts(svg);
  assert.ok(texts.includes('Reliability diagram — ECE = 0.043, Brier = 0.091'), texts.join(' | '));
  for (const t of ['50', '30', '20', 'perfectly calibrated', 'Fraction of positives']) assert.ok(texts.includes(t), `missing ${t}`);
  assert.ok(/Predicted probability \(bins\): 0\.4; Images: 20; hi: 0\.6/.test(svg), 'the 0.52 bin spans [0.4, 0.6) with 5 bins');
  // Without counts: a single panel, no bars.
  const plain = await renderSvg(reliabilitySpec({ probPred: [0.2, 0.8], probTrue: [0.1, 0.9] }));
  assert.ok(!plain.includes('Images'));
  assert.throws(() => reliabilitySpec({ probPred: [0.2], probTrue: [0.1, 0.9] }), /probPred has 1 values but probTrue 2/);
});

test('empty and NaN data render without crashing', async () => {
  const specs = [
    rocSpec({ fpr: [], tpr: [], auc: NaN }),
    rocSpec({ fpr: [0, NaN, 1], tpr: [0, 0.5, Infinity], auc: null, operatingPoint: { fpr: NaN, tpr: 0.5 } }),
    prSpec({ precision: [], recall: [], averagePrecision: NaN }),
    prSpec({ precision: [NaN, 1], recall: [1, 0], prevalence: NaN }),
    confusionSpec({ classes: ['a', 'b'], matrix: [[0, 0], [0, 0]] }),
    confusionSpec({ classes: ['a', 'b'], matrix: [[NaN, 1], [2, 3]] }),
    trainingSpec([]),
    histogramSpec({ probabilities: [], labels: [], classes: ['a', 'b'] }),
    histogramSpec({ probabilities: [NaN, 0.5], labels: [0, 1], classes: ['a', 'b'], threshold: NaN }),
    reliabilitySpec({ probPred: [], probTrue: [], counts: [] }),
    reliabilitySpec({ probPred: [NaN, 0.5], probTrue: [0.1, NaN], counts: [1, 2], ece: NaN }),
  ];
  for (const spec of specs) {
    const svg = await renderSvg(spec);
    assert.ok(!/NaN|Infinity/.test(svgTexts(svg).join(' ')), 'no NaN printed');
    const png = await svgToPng(svg);
    assert.equal((await sharp(png).metadata()).format, 'png');
  }
  assert.throws(() => rocSpec({ fpr: [0, 1], tpr: [0] }), /ROC curve \(fpr, tpr\): arrays differ in length \(2 vs 1\)/);
  assert.throws(() => histogramSpec({ probabilities: [0.1], labels: [], classes: ['a', 'b'] }), /1 probabilities but 0 labels/);
});

test('chart inputs from metrics.json and prediction rows', async () => {
  const metrics = {
    classes: CLASSES, threshold: 0.5, auc: 0.75, auc_ci95: null,
    confusion: { tn: 3, fp: 1, fn: 1, tp: 3 },
    roc: { fpr: [0, 0.25, 1], tpr: [0, 0.75, 1], thresholds: [null, 0.5, 0.1] },
  };
  const data = chartDataFromMetrics(metrics);
  assert.deepEqual(data.confusion, { classes: CLASSES, matrix: [[3, 1], [1, 3]], threshold: 0.5 });
  assert.equal(data.roc!.auc, 0.75);
  assert.deepEqual(chartSpecs(data).map((c) => c.name), ['roc_curve', 'confusion_matrix']);
  const p = probabilityDataFromPredictions([
    { path: 'a', label: CLASSES[1], probability: 0.9 },
    { path: 'b', label: 0, probability: 0.2 },
    { path: 'c', label: 'unknown', probability: 0.3 },
    { path: 'd', label: '1', probability: NaN },
  ], CLASSES, 0.5);
  assert.deepEqual(p, { probabilities: [0.9, 0.2], labels: [1, 0], classes: CLASSES, threshold: 0.5 });
});
