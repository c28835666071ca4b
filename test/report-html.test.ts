// The HTML report: one self-contained file (no external URL, no script), every user string escaped,
// the gallery shows the most confidently wrong images as embedded thumbnails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  writeReport, renderReportHtml, escapeHtml, scopeSvgIds, mostConfidentlyWrong, buildGallery, makeThumbnail,
  classIndex, confusionFromCounts, REPORT_CSP, type ReportData, type PredictionRow, type RenderedParts,
} from '../src/report/index.js';

const EVIL = '<script>alert("x")</script>&';
const CLASSES: [string, string] = ['boot <img src=x onerror=alert(1)>', `sneaker ${EVIL}`];

async function makeImages(dir: string): Promise<void> {
  mkdirSync(join(dir, 'imgs'), { recursive: true });
  // A wide RGB gradient, a tiny grayscale digit-like image, and a file that is not an image.
  const w = 300, h = 120;
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.set([x % 256, y * 2, 128], (y * w + x) * 3);
  await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toFile(join(dir, 'imgs', 'wide <1>.png'));
  const g = Buffer.alloc(28 * 28);
  for (let i = 0; i < g.length; i++) g[i] = (i * 7) % 256;
  await sharp(g, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(dir, 'imgs', 'small.png'));
  writeFileSync(join(dir, 'imgs', 'broken.jpg'), 'not a jpeg');
}

/** Values of URL-bearing attributes of every start tag (a small tokenizer: text content is skipped). */
function urlAttributes(html: string): string[] {
  const out: string[] = [];
  for (const tag of html.matchAll(/<[a-zA-Z][\w:-]*((?:\s+[^\s=/>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*\/?>/g)) {
    for (const a of tag[1].matchAll(/([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
      if (/^(src|srcset|href|xlink:href|action|formaction|poster|data|background)$/i.test(a[1])) out.push(a[2] ?? a[3] ?? a[4] ?? '');
    }
  }
  return out;
}

function predictions(): PredictionRow[] {
  return [
    { path: 'imgs/wide <1>.png', label: CLASSES[0], probability: 0.97 },       // wrong, confidence 0.97
    { path: 'imgs/missing.png', label: CLASSES[1], probability: 0.01 },        // wrong, 0.99, file missing
    { path: 'imgs/broken.jpg', label: 0, probability: 0.9 },                   // wrong, 0.90, undecodable
    { path: 'imgs/small.png', label: '1', probability: 0.2 },                  // wrong, 0.80
    { path: 'imgs/right.png', label: CLASSES[1], probability: 0.8 },           // right
    { path: 'imgs/right2.png', label: CLASSES[0], probability: 0.1 },          // right
    { path: 'imgs/other.png', label: 'unknown class', probability: 0.99 },     // not a class: ignored
  ];
}

function reportData(dir: string): ReportData {
  const rows = [1, 2, 3].map((e) => ({ phase: e < 3 ? 1 : 2, epoch: e, lr: 1e-3 / e, train_loss: 1 / e, train_accuracy: 0.5 + e / 10, val_loss: 1.1 / e, val_accuracy: 0.5 + e / 10, val_auc: 0.6 + e / 10 }));
  return {
    title: `Run ${EVIL}`,
    summary: { model: 'resnet50', data: `/data/${EVIL}`, train_seconds: 3725, images: 700, ok: true, extra: { nested: EVIL } },
    config: { arch: 'resnet50', note: EVIL, lr1: 0.001 },
    audit: {
      counts: { train: { [CLASSES[0]]: 10, [CLASSES[1]]: 12 }, test: { [CLASSES[0]]: 4, [CLASSES[1]]: 3 } },
      warnings: [`duplicate file ${EVIL}`],
      details: { duplicates: [EVIL] },
    },
    metrics: {
      n: 7, classes: CLASSES, positive_class: CLASSES[1], threshold: 0.5, auc: 0.8123, auc_ci95: [0.7, 0.9], accuracy: 0.6,
      specificity: 0.3333, specificity_ci95: [0.0615, 0.7923], npv: 0.3333, f1: 0.5, mcc: NaN, custom_metric: 0.25, confusion: { tn: 1, fp: 2, fn: 2, tp: 2 }, roc: { fpr: [0, 1], tpr: [0, 1] },
    },
    classificationReport: `              precision    recall\n${CLASSES[1]}       0.50      0.50\n`,
    charts: {
      history: rows,
      roc: { fpr: [0, 0.5, 1], tpr: [0, 0.75, 1], auc: 0.8123 },
      confusion: confusionFromCounts(CLASSES, { tn: 1, fp: 2, fn: 2, tp: 2 }, 0.5),
    },
    predictions: predictions(),
    classes: CLASSES,
    threshold: 0.5,
    gallery: { imageRoot: dir, max: 3, thumbnailSize: 96 },
    footer: `tlearn ${EVIL}`,
  };
}

test('escapeHtml escapes the five HTML-special characters', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(escapeHtml(12), '12');
});

test('mostConfidentlyWrong: only misclassified rows, furthest from the threshold first, labels by name or index', () => {
  const wrong = mostConfidentlyWrong(predictions(), CLASSES, 0.5);
  assert.deepEqual(wrong.map((m) => [m.path, m.truth, m.predicted, Number(m.confidence.toFixed(2))]), [
    ['imgs/missing.png', 1, 0, 0.99],
    ['imgs/wide <1>.png', 0, 1, 0.97],
    ['imgs/broken.jpg', 0, 1, 0.9],
    ['imgs/small.png', 1, 0, 0.8],
  ]);
  assert.deepEqual(wrong.map((m) => Number(m.margin.toFixed(2))), [0.49, 0.47, 0.4, 0.3], 'distance from the threshold');
  // Ranked by the distance from the threshold: at 0.2, a false positive at 0.55 missed by more than a false
  // negative at 0.1, although the model gave the wrong class 0.9 there and only 0.55 here.
  const low = mostConfidentlyWrong([{ path: 'fn', label: 1, probability: 0.1 }, { path: 'fp', label: 0, probability: 0.55 }], CLASSES, 0.2);
  assert.deepEqual(low.map((m) => [m.path, Number(m.margin.toFixed(2)), Number(m.confidence.toFixed(2))]), [['fp', 0.35, 0.55], ['fn', 0.1, 0.9]]);
  // An explicit `predicted` column wins over the threshold.
  const explicit = mostConfidentlyWrong([{ path: 'a', label: 0, probability: 0.3, predicted: CLASSES[1] }], CLASSES, 0.5);
  assert.equal(explicit.length, 1);
  assert.equal(explicit[0].confidence, 0.3);
  // Class names that look like indices keep their meaning.
  assert.equal(classIndex('1', ['1', '0']), 0);
  assert.equal(classIndex(1, ['cat', 'dog']), 1);
  assert.equal(classIndex('dog', ['cat', 'dog']), 1);
  assert.equal(classIndex('cow', ['cat', 'dog']), null);
});

test('thumbnails: JPEG data URIs that fit the box; missing and broken files are skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tlearn-thumbs-'));
  try {
    await makeImages(dir);
    const t = await makeThumbnail(join(dir, 'imgs', 'wide <1>.png'), 96);
    assert.deepEqual([t.width, t.height], [96, 38]);
    assert.match(t.dataUri, /^data:image\/jpeg;base64,[A-Za-z0-9+/]+=*$/);
    const decoded = await sharp(Buffer.from(t.dataUri.split(',')[1], 'base64')).metadata();
    assert.deepEqual([decoded.format, decoded.width, decoded.height], ['jpeg', 96, 38]);
    const small = await makeThumbnail(join(dir, 'imgs', 'small.png'), 96);
    assert.deepEqual([small.width, small.height], [28, 28], 'no upscaling');
    await assert.rejects(makeThumbnail(join(dir, 'imgs', 'broken.jpg')));
    await assert.rejects(makeThumbnail(join(dir, 'imgs', 'small.png'), 0), /thumbnail size/);

    const { items, skipped } = await buildGallery(mostConfidentlyWrong(predictions(), CLASSES), { imageRoot: dir, max: 3 });
    assert.deepEqual(items.map((i) => i.path), ['imgs/wide <1>.png', 'imgs/small.png']);
    assert.deepEqual(skipped, ['imgs/missing.png', 'imgs/broken.jpg']);
    const capped = await buildGallery(mostConfidentlyWrong(predictions(), CLASSES), { imageRoot: dir, max: 1 });
    assert.deepEqual(capped.items.map((i) => i.path), ['imgs/wide <1>.png']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeReport: one self-contained file with every section, all user strings escaped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tlearn-report-'));
  try {
    await makeImages(dir);
    const file = join(dir, 'out', 'report.html');
    const res = await writeReport(file, reportData(dir));
    assert.deepEqual(res.charts, ['training_curves', 'roc_curve', 'confusion_matrix']);
    assert.equal(res.gallery, 2);
    assert.deepEqual(res.gallerySkipped, ['imgs/missing.png', 'imgs/broken.jpg']);
    const html = readFileSync(file, 'utf8');
    assert.equal(res.bytes, Buffer.byteLength(html));

    // Escaping: the hostile strings never appear raw, only escaped.
    assert.ok(!html.includes('<script'), 'no script element, injected or otherwise');
    assert.ok(!html.includes('<img src=x'), 'class name not injected as markup');
    assert.ok(html.includes('Run &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;'));
    assert.ok(html.includes('boot &lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(html.includes('title="imgs/wide &lt;1&gt;.png"'));

    // Self-contained: no external URL in any src/href/url(), a CSP that forbids fetching, images inline.
    const refs = urlAttributes(html);
    assert.ok(refs.length > 0);
    for (const r of refs) assert.ok(r.startsWith('#') || r.startsWith('data:'), `external reference ${r.slice(0, 60)}`);
    assert.ok(!/url\((?!#)/.test(html), 'CSS/SVG url() only to local fragments');
    assert.ok(!/<(link|iframe|object|embed|base)\b/i.test(html));
    assert.ok(!/@import/.test(html));
    assert.ok(html.includes(`content="${REPORT_CSP}"`));
    assert.equal((html.match(/<img\b/g) ?? []).length, 2);

    // Sections and contents.
    for (const id of ['summary', 'config', 'audit', 'training', 'metrics', 'classification-report', 'plots', 'errors']) {
      assert.ok(html.includes(`<section id="${id}">`), `section ${id}`);
      assert.ok(html.includes(`<a href="#${id}">`), `nav link ${id}`);
    }
    assert.match(html, /<details><summary>Resolved configuration \(JSON\)<\/summary><pre>\{\n {2}&quot;arch&quot;: &quot;resnet50&quot;/);
    assert.ok(html.includes('1 h 02 min'), 'durations are humanised');
    assert.ok(html.includes('<td class="num">0.8123 (95% CI 0.7000–0.9000)</td>'));
    // A proportion's Wilson interval beside it; the interval is not a row of its own.
    assert.ok(html.includes('<tr><th>Specificity</th><td class="num">0.3333 (95% CI 0.0615–0.7923)</td></tr>'));
    assert.ok(html.includes('<tr><th>Negative predictive value</th><td class="num">0.3333</td></tr>'));
    assert.ok(!html.includes('specificity_ci95'));
    assert.ok(html.includes('<th>custom_metric</th><td class="num">0.2500</td>'), 'unknown scalar metrics are listed too');
    assert.ok(html.includes('<th>Matthews corr. coef.</th><td class="num">–</td>'), 'NaN shows as a dash');
    assert.ok(html.includes('<td class="num">14</td>') && html.includes('<th class="num">29</th>'), 'audit totals');
    assert.match(html, /4 misclassified test images; the 2 furthest from the threshold \(0\.500\) shown\. 2 could not be read and were skipped\./);
    assert.ok(html.includes('<h2>Most confidently wrong test images</h2>'), 'errors far from the threshold keep the heading');
    assert.ok(html.includes('<div class="muted">0.470 above the threshold</div>') && html.includes('<div class="muted">0.300 below the threshold</div>'));
    assert.equal((html.match(/<svg\b/g) ?? []).length, 3);

    // Inline SVG ids are unique within the page, and every url(#id) reference resolves.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, 'duplicate ids');
    for (const m of html.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(m[1]), `dangling url(#${m[1]})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('renderReportHtml with minimal data still makes a valid page', () => {
  const html = renderReportHtml({}, { charts: [], gallery: [], gallerySkipped: [], mistakes: 0, generatedAt: new Date(0) });
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(html.includes('<title>tlearn report</title>'));
  assert.ok(html.includes('Generated 1970-01-01 00:00:00 UTC'));
  assert.ok(!html.includes('<section'));
  // Without explicit classes the gallery takes metrics.json's.
  const fromMetrics = renderReportHtml({ metrics: { classes: ['a', 'b'] }, predictions: [] }, { charts: [], gallery: [], gallerySkipped: [], mistakes: 0 });
  assert.ok(fromMetrics.includes('<section id="errors">') && fromMetrics.includes('0 misclassified test images.'));
  assert.equal(scopeSvgIds('<svg><linearGradient id="g"/><rect fill="url(#g)"/><use href="#g"/></svg>', 'c1'),
    '<svg><linearGradient id="c1-g"/><rect fill="url(#c1-g)"/><use href="#c1-g"/></svg>');
});

test('one-class metrics: the report shows metrics.json\'s warnings, no headline tiles (F1 and AP are trivial), and notes the support-0 class', () => {
  const warning = "the evaluated images hold only the class 'dog' (the model's positive class): ROC AUC ... are null";
  const html = renderReportHtml({
    metrics: {
      n: 3, classes: ['cat', 'dog'], positive_class: 'dog', threshold: 0.5, auc: null, accuracy: 1, f1: 1, average_precision: 1,
      specificity: null, confusion: { tn: 0, fp: 0, fn: 0, tp: 3 }, warnings: [warning],
    },
    classificationReport: '              precision    recall  f1-score   support\n\n         cat       0.00      0.00      0.00         0\n',
  }, { charts: [], gallery: [], gallerySkipped: [], mistakes: 0, generatedAt: new Date(0) });
  const metrics = html.slice(html.indexOf('<section id="metrics">'), html.indexOf('</section>', html.indexOf('<section id="metrics">')));
  const at = metrics.indexOf(escapeHtml(warning));
  assert.ok(at >= 0, 'the warning is in the metrics section');
  assert.match(metrics, /class="warnings"/);
  assert.doesNotMatch(metrics, /class="tiles"/, 'a trivial F1 1.000 / AP 1.000 is not headlined');
  assert.match(metrics, /<th>F1[^<]*<\/th><td class="num">1\.0000/, 'the table still lists every metric');
  const report = html.slice(html.indexOf('<section id="classification-report">'));
  assert.match(report, /support 0/);
  assert.match(report, /cat/);
  // Two classes, no warnings: no such block.
  const both = renderReportHtml({ metrics: { n: 2, accuracy: 1, confusion: { tn: 1, fp: 0, fn: 0, tp: 1 }, warnings: [] }, classificationReport: 'x' },
    { charts: [], gallery: [], gallerySkipped: [], mistakes: 0, generatedAt: new Date(0) });
  assert.doesNotMatch(both, /support 0/);
  assert.match(both, /class="tiles"/);
  assert.doesNotMatch(both.slice(both.indexOf('<section id="metrics">')), /<div class="warnings">/);
});

test("the report words scikit-learn's warnings for a reader (metrics.json keeps them verbatim), once each", () => {
  const sk = [
    'Precision is ill-defined and being set to 0.0 in labels with no predicted samples. Use `zero_division` parameter to control this behavior.',
    'Recall is ill-defined and being set to 0.0 in labels with no true samples. Use `zero_division` parameter to control this behavior.',
    'No negative samples in y_true, false positive value should be meaningless',
    'Only one class present in y_true: ROC AUC and its confidence interval are not defined',
    'auc_ci95: 12 of 1000 bootstrap resamples had one class only and were skipped',
  ];
  const html = renderReportHtml({ metrics: { n: 4, accuracy: 0.5, confusion: { tn: 2, fp: 0, fn: 2, tp: 0 }, warnings: sk }, classificationReport: 'x' },
    { charts: [], gallery: [], gallerySkipped: [], mistakes: 0, generatedAt: new Date(0) });
  const section = html.slice(html.indexOf('<section id="metrics">'), html.indexOf('</section>', html.indexOf('<section id="metrics">')));
  assert.doesNotMatch(section, /zero_division|y_true|ill-defined/);
  assert.match(section, /never predicted, so its precision \(and F1\) is undefined/);
  assert.match(section, /has no images here, so its recall is undefined/);
  assert.equal((section.match(/One class is absent/g) ?? []).length, 1, 'two messages about the same fact become one');
  assert.match(section, /12 of 1000 bootstrap resamples/);
});

test('misclassified images all near the threshold are headed as closest calls, each with its distance; none hidden', () => {
  const thumbnail = { dataUri: 'data:image/png;base64,AA==', width: 8, height: 8 };
  const rows = [
    { path: 'test/dog/1.png', label: 'dog', probability: 0.494 }, { path: 'test/cat/2.png', label: 'cat', probability: 0.501 },
    { path: 'test/cat/3.png', label: 'cat', probability: 0.2 }, { path: 'test/dog/4.png', label: 'dog', probability: 0.5 - 1e-5 },
  ];
  const render = (probabilityOf: (p: number) => number) => {
    const wrong = mostConfidentlyWrong(rows.map((r) => ({ ...r, probability: probabilityOf(r.probability) })), ['cat', 'dog'], 0.5);
    return renderReportHtml({ metrics: { n: 4, threshold: 0.5 }, classes: ['cat', 'dog'], predictions: [] }, {
      charts: [], gallerySkipped: [], mistakes: wrong.length, generatedAt: new Date(0), threshold: 0.5,
      gallery: wrong.map((m) => ({ ...m, thumbnail })),
    });
  };
  const near = render((p) => p);
  assert.ok(near.includes('<h2>Misclassified test images (closest calls)</h2>'), near.slice(near.indexOf('<section id="errors">')));
  assert.doesNotMatch(near, /Most confidently wrong/);
  assert.match(near, /3 misclassified test images, all shown, furthest from the threshold \(0\.500\) first, all within 0\.1 of it: near misses, not confident errors\./);
  // Every misclassified image is listed, furthest first, with its side of the threshold and distance.
  const captions = [...near.matchAll(/<div title="([^"]+)">.*?<div class="muted">p\(dog\) = ([0-9.]+)<\/div><div class="muted">([^<]+)<\/div>/g)].map((m) => [m[1], m[2], m[3]]);
  assert.deepEqual(captions, [
    ['test/dog/1.png', '0.494', '0.006 below the threshold'],
    ['test/cat/2.png', '0.501', '0.001 above the threshold'],
    ['test/dog/4.png', '0.500', 'less than 0.001 below the threshold'],
  ]);
  // One image far off: the list keeps its "most confidently wrong" heading.
  const far = render((p) => (p === 0.501 ? 0.8 : p));
  assert.ok(far.includes('<h2>Most confidently wrong test images</h2>'));
  assert.match(far, /3 misclassified test images, all shown, furthest from the threshold \(0\.500\) first\./);
  // More mistakes than shown: how many are shown, and which.
  const capped = renderReportHtml({ metrics: { n: 9, threshold: 0.5 }, classes: ['cat', 'dog'], predictions: [] }, {
    charts: [], gallerySkipped: [], mistakes: 5, generatedAt: new Date(0), threshold: 0.5,
    gallery: mostConfidentlyWrong(rows, ['cat', 'dog'], 0.5).slice(0, 2).map((m) => ({ ...m, thumbnail })),
  });
  assert.match(capped, /5 misclassified test images; the 2 furthest from the threshold \(0\.500\) shown, all within 0\.1/);
  // No mistakes: no claim either way.
  const none = renderReportHtml({ metrics: { n: 1, threshold: 0.5 }, classes: ['cat', 'dog'], predictions: [] },
    { charts: [], gallery: [], gallerySkipped: [], mistakes: 0, generatedAt: new Date(0) });
  assert.ok(none.includes('<h2>Misclassified test images</h2>') && none.includes('0 misclassified test images.'));
});

test('a gallery caption is the path as in predictions.csv, split folder included (train/x.png and test/x.png differ)', () => {
  const thumbnail = { dataUri: 'data:image/png;base64,AA==', width: 8, height: 8 };
  const html = renderReportHtml({ metrics: { n: 1 }, classes: ['cat', 'dog'], predictions: [] }, {
    charts: [], gallerySkipped: [], mistakes: 1, generatedAt: new Date(0),
    gallery: [{ path: 'test/dog/0003.png', truth: 1, predicted: 0, probability: 0.2, thumbnail }],
  } as unknown as RenderedParts);
  assert.ok(html.includes('<div title="test/dog/0003.png">test/dog/0003.png</div>'), html.slice(html.indexOf('<figcaption>'), html.indexOf('</figcaption>')));
});
