// The report in a real browser: headless Chromium loads it with no console error, no exception, no
// CSP violation and no request other than the file itself and its data: URIs, and renders a page
// that is not blank. Chromium is required: without it this test fails and says how to install it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { writeReport, confusionFromCounts } from '../src/report/index.js';
import { findChromium, inspectPage } from './helpers/chromium.js';

const CLASSES: [string, string] = ['ankle <boot>', 'sneaker & co'];

function requireChromium(): void {
  assert.ok(findChromium(), 'chromium is required for the report test but was not found: '
    + 'install it with `apt-get install -y chromium`, or point TLEARN_CHROMIUM at a Chromium/Chrome binary');
}

test('the report loads in headless Chromium without errors or requests, and is not blank', async () => {
  requireChromium();
  const dir = mkdtempSync(join(tmpdir(), 'tlearn-chromium-report-'));
  try {
    mkdirSync(join(dir, 'img'));
    const preds = [];
    for (let i = 0; i < 6; i++) {
      const px = Buffer.alloc(40 * 40 * 3, 40 * i);
      for (let k = 0; k < 40 * 40; k++) px[k * 3 + (i % 3)] = 255 - 20 * i;
      await sharp(px, { raw: { width: 40, height: 40, channels: 3 } }).png().toFile(join(dir, 'img', `${i}.png`));
      preds.push({ path: join(dir, 'img', `${i}.png`), label: CLASSES[i % 2], probability: i % 2 ? 0.1 + i / 100 : 0.9 - i / 100 });
    }
    preds.push({ path: join(dir, 'img', 'gone.png'), label: CLASSES[0], probability: 0.99 });
    const history = [1, 2, 3, 4].map((e) => ({ phase: e <= 2 ? 1 : 2, epoch: e, lr: e <= 2 ? 1e-3 : 1e-5, train_loss: 1 / e, train_accuracy: 0.6 + e / 20, val_loss: 1.2 / e, val_accuracy: 0.6 + e / 25, val_auc: 0.7 + e / 20 }));
    const file = join(dir, 'report.html');
    await writeReport(file, {
      title: 'Chromium check <run>',
      summary: { model: 'resnet50', data: dir, train_seconds: 42.5 },
      config: { arch: 'resnet50', note: '</pre><script>console.error("injected")</script>' },
      audit: { counts: { train: { [CLASSES[0]]: 3, [CLASSES[1]]: 3 } }, warnings: ['<script>console.error("warn")</script>'] },
      metrics: { n: 6, auc: 0.5, accuracy: 0.5, f1: 0.5, average_precision: 0.5 },
      classificationReport: '              precision    recall  f1-score   support\n',
      charts: {
        history,
        roc: { fpr: [0, 0.5, 1], tpr: [0, 0.5, 1], auc: 0.5 },
        pr: { precision: [0.5, 1], recall: [1, 0], averagePrecision: 0.5, prevalence: 0.5 },
        confusion: confusionFromCounts(CLASSES, { tn: 0, fp: 3, fn: 3, tp: 0 }, 0.5),
        probabilities: { probabilities: preds.map((p) => p.probability), labels: preds.map((p) => (p.label === CLASSES[1] ? 1 : 0)), classes: CLASSES, threshold: 0.5 },
        calibration: { probPred: [0.1, 0.9], probTrue: [0.5, 0.5], counts: [3, 4], nBins: 5 },
      },
      predictions: preds,
      classes: CLASSES,
      threshold: 0.5,
    });

    const page = await inspectPage(file, { width: 1200, height: 2000 });
    assert.deepEqual(page.exceptions, []);
    assert.deepEqual(page.problems, [], `console/log problems:\n${page.messages.join('\n')}`);
    const own = pathToFileURL(file).href;
    for (const url of page.requests) assert.ok(url === own || url.startsWith('data:'), `unexpected request ${url.slice(0, 80)}`);
    assert.equal(page.title, 'Chromium check <run>');
    assert.equal(page.svgCount, 6, 'six inline charts');
    assert.equal(page.imgCount, 6, 'six gallery thumbnails (the missing file skipped)');
    assert.ok(page.imagesComplete, 'every thumbnail decoded');
    assert.ok(page.textLength > 500);

    const shot = sharp(page.screenshot);
    const meta = await shot.metadata();
    assert.deepEqual([meta.width, meta.height], [1200, 2000]);
    const stats = await shot.stats();
    assert.ok(stats.channels.slice(0, 3).every((c) => c.stdev > 20), `screenshot looks blank: ${stats.channels.map((c) => c.stdev.toFixed(1))}`);
    // The dark page header is drawn: the inline stylesheet was applied.
    const { data } = await sharp(page.screenshot).extract({ left: 5, top: 5, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
    assert.ok(data[0] < 60 && data[1] < 60 && data[2] < 80, `header pixel ${[...data]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the browser check itself sees console errors, exceptions and outside requests (negative control)', async () => {
  requireChromium();
  const dir = mkdtempSync(join(tmpdir(), 'tlearn-chromium-bad-'));
  try {
    const file = join(dir, 'bad.html');
    // Port 9 is on Chromium's unsafe-port list: the request is refused locally, no network is touched.
    writeFileSync(file, '<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad</title></head><body><p>x</p>'
      + '<img src="http://127.0.0.1:9/x.png"><script>console.error("boom"); notDefined();</script></body></html>');
    const page = await inspectPage(file, { width: 400, height: 300 });
    assert.ok(page.problems.some((p) => p.includes('console.error: boom')), page.problems.join('\n'));
    assert.ok(page.exceptions.some((e) => e.includes('notDefined')), page.exceptions.join('\n'));
    assert.ok(page.requests.includes('http://127.0.0.1:9/x.png'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
