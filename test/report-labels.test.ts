// The report names the split it shows (an evaluation of --split train is not "test images"), lists the
// images that could not be read, never advises --pos-weight to a run that trained with one, and formats
// metric-like summary values (val_auc 1 -> 1.0000).
import test from 'node:test';
import assert from 'node:assert/strict';
import { auditReportData, renderReportHtml } from '../src/report/index.js';

const parts = { charts: [], gallery: [], gallerySkipped: [], mistakes: 2, generatedAt: new Date(0) };
const metrics = { n: 27, classes: ['cat', 'dog'], positive_class: 'dog', threshold: 0.5, auc: 0.9 };

test('the metrics and gallery sections name the evaluated split', () => {
  for (const [split, heading, images] of [
    ['train', 'Train metrics', '27 train images'], ['val', 'Val metrics', '27 val images'], ['all', 'Metrics on all images', '27 images (all splits)'],
  ] as const) {
    const html = renderReportHtml({ metrics, predictions: [], split }, parts);
    assert.ok(html.includes(`<h2>${heading}</h2>`), `${split}: ${heading}`);
    assert.ok(html.includes(images), `${split}: ${images}`);
    assert.ok(!/test image|Test metrics/.test(html), `${split}: no "test" wording`);
    assert.match(html, /Most confidently wrong (train|val|) ?images/);
  }
  // The default (a run's test split) keeps its wording.
  const test = renderReportHtml({ metrics, predictions: [] }, parts);
  assert.ok(test.includes('<h2>Test metrics</h2>') && test.includes('27 test images') && test.includes('Most confidently wrong test images'));
  // The navigation names the section as its heading does (it said "Errors").
  assert.match(test, /<a href="#errors">Misclassified<\/a>/);
});

test('images skipped as unreadable are listed in the report', () => {
  const html = renderReportHtml({
    metrics, split: 'train',
    skipped: [{ path: 'train/cat/broken.png', reason: 'unsupported image format' }, { path: 'train/dog/<x>.png', reason: 'truncated' }],
  }, parts);
  assert.match(html, /2 images could not be read and are not in these metrics/);
  assert.ok(html.includes('train/cat/broken.png: unsupported image format'));
  assert.ok(html.includes('train/dog/&lt;x&gt;.png: truncated'), 'escaped');
  assert.ok(!renderReportHtml({ metrics }, parts).includes('could not be read'));
});

const imbalanced = {
  counts: { train: { neg: 19, pos: 1 } },
  imbalance: { ratio: 19, majority_class: 'neg', minority_class: 'pos', pos_weight: 19, imbalanced: true },
};

test('the audit advises --pos-weight only to a run that did not use one, and shows the one used', () => {
  const advice = (a: ReturnType<typeof auditReportData>) => (a.warnings ?? []).map((w) => (typeof w === 'string' ? w : w.text)).join('\n');
  assert.match(advice(auditReportData(imbalanced)), /--pos-weight auto/);
  for (const used of [19, 2.5]) {
    const a = auditReportData(imbalanced, { posWeight: used });
    const text = advice(a) + '\n' + (a.notes ?? []).join('\n');
    assert.ok(!/--pos-weight/.test(text), text);
    assert.match(text, new RegExp(`trained with pos_weight ${String(used).replace('.', '\\.')}\\b`));
  }
  // The page passes the value through.
  const html = renderReportHtml({ audit: imbalanced, posWeight: 19 }, parts);
  assert.ok(html.includes('trained with pos_weight 19 ') && !html.includes('--pos-weight'));
  // A balanced train split with a pos_weight: the note names the value used as well.
  const balanced = { counts: { train: { a: 5, b: 5 } }, imbalance: { ratio: 1, majority_class: 'a', minority_class: 'b', pos_weight: 1, imbalanced: false } };
  assert.match((auditReportData(balanced, { posWeight: 3 }).notes ?? []).join('\n'), /trained with pos_weight 3\b/);
});

test('summary values that are metrics keep 4 decimals even when whole numbers', () => {
  const html = renderReportHtml({ summary: { val_auc: 1, epoch: 3, 'best val_loss': 0, 'test images': 4 } }, parts);
  assert.ok(html.includes('<th>val_auc</th><td>1.0000</td>'), html);
  assert.ok(html.includes('<th>best val_loss</th><td>0.0000</td>'));
  assert.ok(html.includes('<th>epoch</th><td>3</td>') && html.includes('<th>test images</th><td>4</td>'));
});
