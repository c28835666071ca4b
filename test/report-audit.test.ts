// The report's "Data audit" section shows the findings of the real audit (src/data's audit.json structure):
// unreadable files, duplicates, leakage across splits, conflicting labels, imbalance with the suggested
// pos_weight, images smaller than the input size; "No data warnings." only when there is none of these.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { prepareData } from '../src/data/index.js';
import { renderReportHtml, type RenderedParts } from '../src/report/index.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('tlearn-report-audit-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const NO_PARTS: RenderedParts = { charts: [], gallery: [], gallerySkipped: [], mistakes: 0 };

async function png(file: string, size: number, v: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: size, height: size, channels: 3, background: { r: v, g: (v * 5) % 256, b: 255 - v } } }).png().toFile(file);
}

/** The "Data audit" section of a page. */
function auditHtml(html: string): string {
  const m = /<section id="audit">[\s\S]*?<\/section>/.exec(html);
  assert.ok(m, 'the page has a Data audit section');
  return m[0];
}

test('an audit with findings: each is listed, with the files concerned; no "No data warnings."', async () => {
  const root = path.join(tmp, 'bad');
  for (let i = 0; i < 6; i++) await png(path.join(root, 'train', 'neg', `n${i}.png`), 40, 10 + i * 20);
  for (let i = 0; i < 2; i++) await png(path.join(root, 'train', 'pos', `p${i}.png`), 40, 150 + i * 20);
  await png(path.join(root, 'test', 'neg', 't0.png'), 40, 5);
  // A val/ folder, so that the split is exactly as given (no val is drawn from train).
  await png(path.join(root, 'val', 'neg', 'v0.png'), 40, 7);
  await png(path.join(root, 'val', 'pos', 'v1.png'), 40, 249);
  await png(path.join(root, 'test', 'pos', 'small <1>.png'), 12, 250);
  // Leakage (train/pos/p1 also in test), a duplicate inside train, the same bytes under both labels, unreadable files.
  fs.copyFileSync(path.join(root, 'train', 'pos', 'p1.png'), path.join(root, 'test', 'pos', 'p1-leak.png'));
  fs.copyFileSync(path.join(root, 'train', 'neg', 'n0.png'), path.join(root, 'train', 'neg', 'n0-copy.png'));
  fs.copyFileSync(path.join(root, 'train', 'neg', 'n1.png'), path.join(root, 'train', 'pos', 'p-conflict.png'));
  fs.writeFileSync(path.join(root, 'train', 'neg', 'broken.png'), 'not a png');
  fs.writeFileSync(path.join(root, 'train', 'pos', 'empty.jpg'), '');
  const out = path.join(tmp, 'run-bad');
  const { audit } = await prepareData(root, { imageSize: 32, outDir: out });
  // Sanity: the audit itself has the findings.
  assert.equal(audit.unreadable.length, 2);
  assert.equal(audit.leakage.length, 1);
  assert.equal(audit.conflicting_labels.length, 1);
  assert.equal(audit.imbalance.imbalanced, true);

  // Both the in-memory audit (what the trainer passes) and audit.json read back (nulls for infinities).
  const fromDisk = JSON.parse(fs.readFileSync(path.join(out, 'audit.json'), 'utf8'));
  for (const a of [audit, fromDisk]) {
    const s = auditHtml(renderReportHtml({ audit: a }, NO_PARTS));
    assert.doesNotMatch(s, /No data warnings/);
    assert.match(s, /2 unreadable files/);
    assert.match(s, /train\/neg\/broken\.png/);
    assert.match(s, /train\/pos\/empty\.jpg/);
    assert.match(s, /[Ll]eakage/);
    assert.match(s, /train\/pos\/p1\.png \(train\) = test\/pos\/p1-leak\.png \(test\)|test\/pos\/p1-leak\.png \(test\) = train\/pos\/p1\.png \(train\)/);
    assert.match(s, /[Cc]onflicting labels/);
    assert.match(s, /p-conflict\.png/);
    assert.match(s, /n0-copy\.png/);
    // train: 7 neg (n0..n5 + copy) against 3 pos (p0, p1, p-conflict) -> 2.33:1, pos_weight 7/3.
    assert.match(s, /imbalance/i);
    assert.match(s, /2\.33:1/);
    assert.match(s, /pos_weight 2\.333/);
    assert.match(s, /smaller than 32 px/);
    assert.match(s, /small &lt;1&gt;\.png \(12×12\)/, 'file names are escaped');
    assert.doesNotMatch(s, /small <1>/);
    // The class counts per split.
    assert.match(s, /<th class="num">train<\/th>/);
  }
});

test('a clean audit says "No data warnings." and still shows the split and the class balance', async () => {
  const root = path.join(tmp, 'clean');
  for (const [cls, base] of [['a', 10], ['b', 140]] as const) {
    for (let i = 0; i < 6; i++) await png(path.join(root, cls, `${cls}${i}.png`), 40, base + i * 15);
  }
  const { audit } = await prepareData(root, { imageSize: 32, outDir: path.join(tmp, 'run-clean'), seed: 3, valFraction: 0.2, testFraction: 0.2 });
  const s = auditHtml(renderReportHtml({ audit }, NO_PARTS));
  assert.match(s, /No data warnings\./);
  assert.match(s, /seed 3/);
  assert.match(s, /Class balance on train: 1\.00:1 \(balanced\)/);
  assert.doesNotMatch(s, /pos_weight 1 would balance/);
  // (The collapsible full audit.json lists its empty arrays by name; the findings above it must not.)
  assert.doesNotMatch(s.replace(/<details>[\s\S]*<\/details>/, ''), /unreadable|[Ll]eakage|[Cc]onflicting|smaller than/);
  assert.match(s, /<details><summary>Full audit/);
});

test('the older AuditData shape (counts, warnings, details) still renders', () => {
  const s = auditHtml(renderReportHtml({ audit: { counts: { train: { x: 1, y: 2 } }, warnings: ['w <1>'], details: { k: 1 } } }, NO_PARTS));
  assert.match(s, /w &lt;1&gt;/);
  assert.doesNotMatch(s, /No data warnings/);
  assert.equal(/No data warnings/.test(auditHtml(renderReportHtml({ audit: { counts: { train: { x: 1 } } } }, NO_PARTS))), true);
});

test('audit.json notes, a val drawn from train and folders left out are shown as notes', () => {
  const s = auditHtml(renderReportHtml({
    audit: {
      split: { kind: 'val_drawn', seed: 4, val_fraction: 0.2 }, notes: ['no val/ folder: drew 2 validation images from train/'],
      ignored: { hidden: 0, non_image: 0, outside_class_folders: 0, examples: [], empty_folders: ['empty_c'], output_folders: ['run1'] },
      unreadable: [], duplicates: [], leakage: [], conflicting_labels: [], small_images: { count: 0, files: [] },
      imbalance: { ratio: 1, majority_class: 'a', minority_class: 'b', pos_weight: 1, imbalanced: false },
    },
  }, NO_PARTS));
  assert.match(s, /val drawn from train with seed 4/);
  assert.match(s, /drew 2 validation images/);
  assert.match(s, /empty_c/);
  assert.match(s, /run1/);
  assert.match(s, /No data warnings\./);
});

test('pos_weight is written with the same rounding as the console (4 significant digits) in the summary and the audit', () => {
  const audit = { imbalance: { ratio: 19, majority_class: 'a', minority_class: 'b', pos_weight: 1 / 19, imbalanced: true } };
  for (const [pw, text] of [[1 / 19, '0.05263'], [3, '3'], [7 / 3, '2.333']] as const) {
    const html = renderReportHtml({ summary: { pos_weight: pw }, audit: audit as never, posWeight: pw }, NO_PARTS);
    const summary = html.slice(html.indexOf('<section id="summary">'), html.indexOf('</section>', html.indexOf('<section id="summary">')));
    assert.match(summary, new RegExp(`<th>pos_weight</th><td>${text.replace('.', '\\.')}</td>`), `summary ${pw}`);
    assert.match(auditHtml(html), new RegExp(`trained with pos_weight ${text.replace('.', '\\.')}[ ;.(]`), `audit ${pw}`);
  }
  // The suggested value too (0.05263 balances 19:1 exactly).
  assert.match(auditHtml(renderReportHtml({ audit: audit as never }, NO_PARTS)), /suggested pos_weight 0\.05263 /);
});

test('findings say what to do: one line for images that all share a small size, leakage not listed again as duplicates, next steps', () => {
  const file = (p: string, split: string, label: string) => ({ path: p, split, label });
  const s = auditHtml(renderReportHtml({
    audit: {
      image_size: 32,
      unreadable: [{ ...file('train/a/x.png', 'train', 'a'), reason: 'pngload: end of stream' }],
      leakage: [{ sha256: 'h1', splits: ['train', 'test'], files: [file('train/a/1.png', 'train', 'a'), file('test/a/9.png', 'test', 'a')] }],
      duplicates: [
        { sha256: 'h1', files: [file('train/a/1.png', 'train', 'a'), file('test/a/9.png', 'test', 'a')] },
        { sha256: 'h2', files: [file('train/b/2.png', 'train', 'b'), file('train/b/3.png', 'train', 'b')] },
      ],
      conflicting_labels: [],
      small_images: { count: 140, files: Array.from({ length: 20 }, (_, i) => ({ path: `train/a/${i}.png`, width: 28, height: 28 })) },
      imbalance: { ratio: 8, majority_class: 'a', minority_class: 'b', pos_weight: 0.125, imbalanced: true },
    },
  }, NO_PARTS)).replace(/<details>[\s\S]*<\/details>/, ''); // the collapsible full audit.json lists everything
  assert.match(s, /140 images smaller than 32 px \(all 28×28 among the 20 recorded\): they are upsampled, which cannot add detail\./);
  assert.doesNotMatch(s, /train\/a\/5\.png/, 'no wall of paths for one fact');
  assert.match(s, /remove each from all but one split; the validation and test metrics include them/);
  const dupPart = s.slice(s.indexOf('Exact duplicates'));
  assert.match(dupPart, /1 group /);
  assert.doesNotMatch(dupPart.slice(0, dupPart.indexOf('</li></ul>') + 1), /test\/a\/9\.png/, 'the leaked pair is not listed again');
  assert.match(s, /re-export or delete them/);
  assert.match(s, /--threshold-method youden or f1/);
});
