// The report of a C-class evaluation (issue 16): the row-normalised confusion matrix readable up to 50 classes,
// the per-class table from the scikit-learn-equal metrics, the one-vs-rest ROC chart (all classes up to 10, else
// the 5 best and 5 worst by AUC), the gallery grouped by confused pair (multilabel: by label and kind of error),
// and hostile class names escaped everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  confusedPairs, confusionCells, cellStep, labelErrorGroups, multiClassSections, multiClassStats, multiConfusionSpec,
  multiLabelSections, multiLabelStats, ovrRocSpec, renderReportHtml, renderSvg, selectRocCurves, svgSize, svgToPng,
  writeRenderedCharts, type MultiClassView, type MultiLabelView,
} from '../src/report/index.js';
import { averagePrecision, rocAucScore } from '../src/metrics/index.js';
import { runPython } from './helpers/python.js';
import { tempDir } from './helpers/temp.js';

function lcg(seed: number) {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** n images per class of C classes; class j is recognised the better the higher j (so AUCs differ by class). */
function multiClassView(c: number, perClass: number, seed: number, classes?: string[]): MultiClassView {
  const rnd = lcg(seed);
  const n = c * perClass;
  const yTrue = Int32Array.from({ length: n }, (_, i) => i % c);
  const probs = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    const e = Array.from({ length: c }, (_, j) => Math.exp(3 * rnd() + (j === yTrue[i] ? 3 * (j / c) + 0.5 : 0)));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, j) => { probs[i * c + j] = v / s; });
  }
  return { classes: classes ?? Array.from({ length: c }, (_, j) => `class_${j}`), yTrue, probs, paths: Array.from({ length: n }, (_, i) => `test/x${i}.png`) };
}

/** Text content of every <text> element, entity-decoded. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)].map((m) =>
    m[1].replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
}

async function assertPngNotBlank(svg: string) {
  const png = await svgToPng(svg, 1);
  const meta = await sharp(png).metadata();
  const { width, height } = svgSize(svg);
  assert.equal(meta.width, Math.round(width));
  assert.equal(meta.height, Math.round(height));
  const stats = await sharp(png).stats();
  assert.ok(stats.channels.slice(0, 3).every((ch) => ch.stdev > 10), 'PNG looks blank');
}

test('the confusion matrix and ROC specs are valid Vega-Lite that render to SVG and PNG (3 and 12 classes)', async () => {
  for (const c of [3, 12]) {
    const view = multiClassView(c, 20, c);
    const s = multiClassStats(view);
    for (const spec of [multiConfusionSpec(view.classes, s.confusion), ovrRocSpec(s.curves, c)]) {
      const svg = await renderSvg(spec);
      assert.match(svg, /^<svg\b/);
      await assertPngNotBlank(svg);
    }
  }
});

test('a 50-class matrix renders with every class label on both axes, long names cut with an ellipsis, full in the tooltip', async () => {
  const long = 'an extraordinarily long class name that would eat the chart';
  const classes = Array.from({ length: 50 }, (_, j) => (j === 7 ? long : `c${j}`));
  const view = multiClassView(50, 4, 50, classes);
  const spec = multiConfusionSpec(classes, multiClassStats(view).confusion);
  const svg = await renderSvg(spec);
  const texts = svgTexts(svg);
  const short = `${[...long].slice(0, 23).join('')}…`;
  for (const name of classes.map((n) => (n === long ? short : n))) {
    assert.equal(texts.filter((t) => t === name).length, 2, `${name} once on each axis`);
  }
  assert.ok(!texts.includes(long), 'the long name is cut on the axes');
  const values = (spec as { data: { values: { truthFull: string; predictedFull: string }[] } }).data.values;
  assert.ok(values.some((v) => v.truthFull === long) && values.some((v) => v.predictedFull === long), 'full name in the tooltip fields');
  // Grows with C (16 px cells, 800 px for the matrix alone), labels at a legible size, no cramped text in the cells.
  assert.equal(cellStep(50), 16);
  assert.ok(svgSize(svg).width >= 800 && svgSize(svg).height >= 800, JSON.stringify(svgSize(svg)));
  const fontSizes = [...svg.matchAll(/font-size="?(\d+(?:\.\d+)?)px/g)].map((m) => Number(m[1]));
  assert.ok(fontSizes.length > 0 && Math.min(...fontSizes) >= 10, `smallest font ${Math.min(...fontSizes)} px`);
  assert.equal((spec as { layer: unknown[] }).layer.length, 1, 'cells only, no text layer at 50 classes');
  assert.ok(!texts.some((t) => /^\d+\.\d%$/.test(t)), 'no per-cell percentages at 50 classes');
  // On the page the 50-class matrix keeps its size (scrolling sideways) instead of shrinking its labels.
  const page = await multiClassSections(view);
  assert.match(page.sections[1].html, /<figure id="fig-confusion_matrix" aria-label="Confusion matrix" style="overflow-x:auto"><svg style="max-width:none" /);
  assert.match(page.sections[1].html, /<figure id="fig-roc_curve" aria-label="One-vs-rest ROC curves"><svg xmlns/);
  // A few classes: every cell shows its count and its percentage.
  const small = svgTexts(await renderSvg(multiConfusionSpec(['a', 'b', 'c'], [[8, 2, 0], [1, 3, 0], [0, 0, 0]])));
  for (const t of ['8', '80.0%', '2', '20.0%', '75.0%', 'no image']) assert.ok(small.includes(t), t);
});

test('each non-empty row of the matrix is normalised to 1; an empty row has no fraction', () => {
  const matrix = [[5, 3, 2, 0], [0, 0, 0, 0], [1, 1, 1, 0], [0, 7, 0, 9]];
  const cells = confusionCells(['a', 'b', 'c', 'd'], matrix);
  for (const [i, truth] of ['a', 'b', 'c', 'd'].entries()) {
    const row = cells.filter((c) => c.truth === truth);
    assert.deepEqual(row.map((c) => c.count), matrix[i]);
    if (i === 1) assert.ok(row.every((c) => c.rate === null));
    else assert.ok(Math.abs(row.reduce((a, c) => a + (c.rate as number), 0) - 1) < 1e-12, `row ${truth}`);
  }
  assert.equal(cells.find((c) => c.truth === 'c' && c.predicted === 'a')!.rate, 1 / 3);
  assert.throws(() => confusionCells(['a', 'b'], [[1, 2]]), /2×2/);
});

test('ROC curves: every class up to 10; 11 classes show the 5 best and the 5 worst by AUC, and say so', async () => {
  const ten = multiClassStats(multiClassView(10, 12, 10));
  assert.equal(selectRocCurves(ten.curves).rule, 'all');
  const tenTexts = svgTexts(await renderSvg(ovrRocSpec(ten.curves, 10)));
  for (const c of ten.curves) assert.ok(tenTexts.some((t) => t.startsWith(`${c.name} (AUC `)), c.name);
  assert.ok(tenTexts.some((t) => /all 10 classes/.test(t)));

  const view = multiClassView(11, 12, 11);
  const { curves } = multiClassStats(view);
  // The AUCs checked against the binary rocAucScore of each class against the rest.
  for (const cv of curves) {
    assert.equal(cv.auc, rocAucScore(Array.from(view.yTrue, (y) => (y === cv.index ? 1 : 0)), Array.from({ length: view.paths.length }, (_, i) => view.probs[i * 11 + cv.index])));
  }
  const byAuc = [...curves].sort((a, b) => b.auc - a.auc);
  assert.ok(new Set(curves.map((c) => c.auc)).size === 11, 'distinct AUCs');
  const sel = selectRocCurves(curves);
  assert.equal(sel.rule, 'extremes');
  assert.deepEqual(sel.shown.map((c) => c.name), [...byAuc.slice(0, 5), ...byAuc.slice(6)].map((c) => c.name));
  const texts = svgTexts(await renderSvg(ovrRocSpec(curves, 11)));
  const legend = texts.filter((t) => / \(AUC \d\.\d{3}\)$/.test(t));
  assert.deepEqual(legend, sel.shown.map((c) => `${c.name} (AUC ${c.auc.toFixed(3)})`), 'legend: class and AUC, best first');
  assert.ok(!texts.some((t) => t.startsWith(`${byAuc[5].name} (`)), 'the median class is left out');
  assert.ok(texts.some((t) => /the 5 best and the 5 worst of 11 classes by AUC/.test(t)), texts.join(' | '));
});

test('confused pairs come most frequent first (ties by true, then predicted class), each pair most confident first', () => {
  // Rows: [truth, predicted, p(predicted)]; the rest of each row's probability goes to the true class and others.
  const rows: [number, number, number][] = [
    [0, 2, 0.5], [1, 2, 0.6], [0, 1, 0.5], [2, 0, 0.7], [0, 1, 0.9], [1, 2, 0.8], [2, 0, 0.6], [0, 1, 0.7], [1, 1, 0.9], [0, 0, 0.8],
  ];
  const c = 3;
  const probs = new Float32Array(rows.length * c);
  rows.forEach(([t, p, q], i) => {
    probs[i * c + p] = q;
    const rest = [0, 1, 2].filter((j) => j !== p);
    probs[i * c + rest[0]] = (1 - q) * (rest[0] === t ? 0.7 : 0.3);
    probs[i * c + rest[1]] = (1 - q) * (rest[1] === t ? 0.7 : 0.3);
  });
  const view: MultiClassView = { classes: ['a', 'b', 'c'], yTrue: Int32Array.from(rows, (r) => r[0]), probs, paths: rows.map((_, i) => `img${i}.png`) };
  const { predicted } = multiClassStats(view);
  assert.deepEqual(Array.from(predicted), rows.map((r) => r[1]));
  const pairs = confusedPairs(view, predicted);
  assert.deepEqual(pairs.map((p) => [p.truth, p.predicted, p.count]), [[0, 1, 3], [1, 2, 2], [2, 0, 2], [0, 2, 1]]);
  assert.deepEqual(pairs[0].images.map((img) => img.path), ['img4.png', 'img7.png', 'img2.png']);
  assert.deepEqual(pairs[2].images.map((img) => [img.path, Math.fround(img.pPredicted), img.pTrue]), [
    ['img3.png', Math.fround(0.7), probs[3 * c + 2]], ['img6.png', Math.fround(0.6), probs[6 * c + 2]],
  ]);
});

test('the per-class table equals scikit-learn (precision, recall, F1, support, one-vs-rest AUC) and scipy (Wilson intervals)', () => {
  const view = multiClassView(5, 15, 5);
  const { stats } = multiClassStats(view);
  const c = 5;
  const probs = Array.from({ length: view.paths.length }, (_, i) => Array.from(view.probs.subarray(i * c, (i + 1) * c)));
  const sk = runPython<{ p: number[]; r: number[]; f: number[]; s: number[]; auc: number[]; pci: ([number, number] | null)[]; rci: ([number, number] | null)[] }>(`
import numpy as np
from scipy.stats import binomtest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support, roc_auc_score
y = np.array(inp['y']); P = np.array(inp['p'], dtype=np.float64)
pred = P.argmax(axis=1)
p, r, f, s = precision_recall_fscore_support(y, pred, labels=list(range(${c})), zero_division=0)
auc = roc_auc_score(y, P / P.sum(axis=1, keepdims=True), multi_class='ovr', average=None)
M = confusion_matrix(y, pred, labels=list(range(${c})))
wilson = lambda k, n: list(binomtest(int(k), int(n)).proportion_ci(method='wilson')) if n else None
out({'p': p.tolist(), 'r': r.tolist(), 'f': f.tolist(), 's': s.tolist(), 'auc': auc.tolist(),
     'pci': [wilson(M[j, j], M[:, j].sum()) for j in range(${c})], 'rci': [wilson(M[j, j], M[j, :].sum()) for j in range(${c})]})`, { y: Array.from(view.yTrue), p: probs });
  assert.deepEqual(stats.map((s) => s.support), sk.s);
  for (const [k, key] of [['precision', 'p'], ['recall', 'r'], ['f1', 'f'], ['auc', 'auc']] as const) {
    stats.forEach((s, j) => assert.ok(Math.abs((s[k] as number) - sk[key][j]) < 1e-12, `${k} of class ${j}: ${s[k]} vs ${sk[key][j]}`));
  }
  for (const [k, key] of [['precisionCi95', 'pci'], ['recallCi95', 'rci']] as const) {
    stats.forEach((s, j) => {
      const want = sk[key][j];
      if (want === null) assert.equal(s[k], null, `${k} of class ${j}`);
      else s[k]!.forEach((v, e) => assert.ok(Math.abs(v - want[e]!) < 1e-12, `${k}[${e}] of class ${j}: ${v} vs ${want[e]}`));
    });
  }
  assert.ok(stats.some((s) => s.recallCi95 !== null), 'the intervals are not vacuous');
});

const HOSTILE = ['<script>alert(1)</script>', '"quoted" & \'single\'', 'plain'];

async function writeImages(dir: string, names: string[]) {
  for (const [k, name] of names.entries()) {
    await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 40 * k, g: 100, b: 200 - 40 * k } } }).png().toFile(join(dir, name));
  }
}

test('multiClassSections: table, charts and gallery grouped by pair, hostile class names escaped, charts written under the binary names', async () => {
  const dir = tempDir();
  const rows: [number, number][] = [[0, 1], [0, 1], [2, 0], [1, 1], [0, 0], [2, 2], [1, 0]];
  const c = 3;
  const probs = new Float32Array(rows.length * c);
  rows.forEach(([, p], i) => { for (let j = 0; j < c; j++) probs[i * c + j] = j === p ? 0.8 : 0.1; });
  const paths = rows.map((_, i) => `img${i}.png`);
  await writeImages(dir, paths.filter((p) => p !== 'img6.png')); // img6 (true 1 -> 0) is unreadable
  const view: MultiClassView = { classes: HOSTILE, yTrue: Int32Array.from(rows, (r) => r[0]), probs, paths };
  const out = await multiClassSections(view, { gallery: { imageRoot: dir } });
  assert.deepEqual(out.charts.map((ch) => ch.name), ['confusion_matrix', 'roc_curve']);
  assert.deepEqual(out.sections.map((s) => s.id), ['per-class', 'class-plots', 'errors']);
  assert.deepEqual(out.gallerySkipped, ['img6.png']);
  const errors = out.sections[2].html;
  // Groups in order: 0 -> 1 (2 images), then 1 -> 0, 2 -> 0 (one each; by true class).
  const heads = [...errors.matchAll(/<h3>([\s\S]*?)<\/h3>/g)].map((m) => m[1].replace(/<[^>]+>/g, ''));
  assert.equal(heads.length, 3);
  assert.match(heads[0], /^true &lt;script&gt;alert\(1\)&lt;\/script&gt; → predicted &quot;quoted&quot; &amp; &#39;single&#39; · 2 test images$/);
  assert.match(heads[1], /^true &quot;quoted&quot;.* → predicted &lt;script&gt;.* · 1 test image$/);
  assert.match(heads[2], /^true plain → predicted &lt;script&gt;/);
  assert.equal((errors.match(/<img /g) ?? []).length, 3, 'three readable thumbnails');
  assert.match(errors, /p\(&quot;quoted&quot; &amp; &#39;single&#39;\) = 0\.800/);
  assert.match(errors, /4 misclassified test images in 3 confused pairs/);
  assert.match(errors, /1 could not be read and was skipped/);

  const html = renderReportHtml({ title: 'multiclass', sections: out.sections }, { charts: [], gallery: [], gallerySkipped: [], mistakes: 0 });
  assert.ok(!html.includes('<script'), 'no live script tag anywhere in the page');
  assert.ok(!/"quoted" &/.test(html.replace(/<svg[\s\S]*?<\/svg>/g, '')), 'quotes escaped outside the SVG');
  assert.match(html, /<a href="#per-class">Per class<\/a><a href="#class-plots">Plots<\/a><a href="#errors">Misclassified<\/a>/);
  const table = out.sections[0].html;
  assert.match(table, /<td>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/td><td class="num">3<\/td>/);
  for (const svg of out.charts.map((ch) => ch.svg)) assert.ok(!svg.includes('<script'), 'SVG escapes the names too');

  const chartDir = join(dir, 'charts');
  const files = await writeRenderedCharts(chartDir, out.charts);
  assert.deepEqual(readdirSync(chartDir).sort(), ['confusion_matrix.png', 'confusion_matrix.svg', 'roc_curve.png', 'roc_curve.svg']);
  assert.equal(files.length, 4);
  assert.equal(readFileSync(join(chartDir, 'roc_curve.svg'), 'utf8'), out.charts[1].svg);
});

function multiLabelView(): MultiLabelView {
  // 4 labels on 8 images; label 3 never present (no AUC, no AP).
  const y = [[1, 0, 1, 0], [1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]];
  const p = [[0.9, 0.2, 0.3, 0.1], [0.2, 0.8, 0.1, 0.6], [0.6, 0.7, 0.2, 0.1], [0.1, 0.1, 0.9, 0.2], [0.3, 0.3, 0.4, 0.1], [0.1, 0.6, 0.7, 0.1], [0.8, 0.9, 0.8, 0.7], [0.1, 0.2, 0.1, 0.1]];
  return {
    classes: ['<b>cat</b>', 'dog', 'sky', 'never'], yTrue: Uint8Array.from(y.flat()), probs: Float32Array.from(p.flat()),
    thresholds: Float32Array.from([0.5, 0.5, 0.35, 0.5]), paths: y.map((_, i) => `m${i}.png`),
  };
}

test('multilabel: per-label table with threshold and average precision, errors grouped by label and kind', async () => {
  const view = multiLabelView();
  const { stats, predicted } = multiLabelStats(view);
  const col = (m: ArrayLike<number>, j: number) => Array.from({ length: 8 }, (_, i) => m[i * 4 + j]);
  assert.equal(stats[0].averagePrecision, averagePrecision(col(view.yTrue, 0), col(view.probs, 0)));
  assert.equal(stats[2].auc, rocAucScore(col(view.yTrue, 2), col(view.probs, 2)));
  assert.equal(stats[3].auc, null);
  assert.equal(stats[3].averagePrecision, null);
  assert.equal(stats[2].threshold, Math.fround(0.35));
  // Label 0: miss m1 (0.2), m4 (0.3); false alarm m2 (0.6). Label 1: none wrong. Label 2: miss m0 (0.3);
  // false alarm m4 (0.4). Label 3: false alarms m1 (0.6), m6 (0.7).
  const groups = labelErrorGroups(view, predicted);
  assert.deepEqual(groups.map((g) => [g.label, g.kind, g.count]), [[0, 'missed', 2], [3, 'false alarm', 2], [0, 'false alarm', 1], [2, 'missed', 1], [2, 'false alarm', 1]]);
  assert.deepEqual(groups[0].images.map((i) => i.path), ['m1.png', 'm4.png']);
  assert.deepEqual(groups[1].images.map((i) => i.path), ['m6.png', 'm1.png']);

  const out = await multiLabelSections(view, { gallery: { maxGroups: 2 } });
  assert.deepEqual(out.charts.map((c) => c.name), ['roc_curve']);
  const table = out.sections[0].html;
  assert.match(table, /<th>Label<\/th>.*<th class="num">Threshold<\/th><th class="num">Average precision<\/th>/);
  assert.match(table, /<td>&lt;b&gt;cat&lt;\/b&gt;<\/td><td class="num">4<\/td>/);
  // 'never' is on no image: its recall has no interval; its 2 false alarms bound its precision 0 of 2 (0 to 0.658).
  assert.match(table, /<td>never<\/td><td class="num">0<\/td><td class="num">0\.000<\/td><td class="num muted">0\.000–0\.658<\/td><td class="num">0\.000<\/td><td class="num muted">–<\/td>(<td class="num">[^<]*<\/td>){1}<td class="num">–<\/td><td class="num">0\.500<\/td><td class="num">–<\/td>/);
  const errors = out.sections[2].html;
  assert.match(errors, /7 wrong label decisions .* in 5 groups; the 2 largest shown/);
  const heads = [...errors.matchAll(/<h3>([\s\S]*?)<\/h3>/g)].map((m) => m[1].replace(/<[^>]+>/g, ''));
  assert.deepEqual(heads, ['&lt;b&gt;cat&lt;/b&gt; missed (the image has it) · 2 test images', 'never false alarm (the image does not have it) · 2 test images']);
  const roc = svgTexts(out.charts[0].svg);
  assert.ok(roc.some((t) => /all 3 labels; 1 label without both positive and negative images left out/.test(t)), roc.join(' | '));

  // Grad-CAM overlays (issue 20): one call for the gallery, each image with its group's label; an image without
  // an overlay falls back to its thumbnail (m4.png does not exist: skipped).
  const calls: [string[], number[]][] = [];
  const overlay = { dataUri: 'data:image/png;base64,AAAA', width: 8, height: 8 };
  const withCam = await multiLabelSections(view, { gallery: { maxGroups: 2, imageRoot: '/data', overlays: async (files, classes) => {
    calls.push([files, classes]);
    return new Map([0, 2, 3].map((k) => [k, overlay]));
  } } });
  assert.deepEqual(calls, [[['/data/m1.png', '/data/m4.png', '/data/m6.png', '/data/m1.png'], [0, 0, 3, 3]]]);
  assert.deepEqual(withCam.gallerySkipped, ['m4.png']);
  const camErrors = withCam.sections[2].html;
  assert.equal((camErrors.match(/Grad-CAM of &lt;b&gt;cat&lt;\/b&gt;/g) ?? []).length, 1);
  assert.equal((camErrors.match(/Grad-CAM of never/g) ?? []).length, 2);
  assert.equal((camErrors.match(/src="data:image\/png;base64,AAAA"/g) ?? []).length, 3);
});

test('inconsistent views are refused naming the problem', () => {
  const v = multiClassView(3, 2, 1);
  assert.throws(() => multiClassStats({ ...v, paths: v.paths.slice(1) }), /yTrue has 6 entries, expected 5/);
  assert.throws(() => multiClassStats({ ...v, yTrue: Int32Array.from([0, 1, 2, 0, 1, 3]) }), /yTrue\[5\] = 3 \(test\/x5\.png\): expected a class index from 0 to 2/);
  assert.throws(() => multiClassStats({ ...v, classes: ['only'] }), /1 class name given/);
  const bad = Float32Array.from(v.probs);
  bad[4] = NaN;
  assert.throws(() => multiClassStats({ ...v, probs: bad }), /image 1 \(test\/x1\.png\), class 1 is NaN/);
  assert.throws(() => multiLabelStats({ ...multiLabelView(), thresholds: new Float32Array(3) }), /3 thresholds for 4 labels/);
});
