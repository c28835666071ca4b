// Manifest, audit and prepareData on small real images.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { auditWarnings, DataLoader, decodeCount, formatAuditSummary, ImageCache, loadSource, parseCsv, prepareData } from '../src/data/index.js';
import { rawSharp, tempDir, touch, writePng } from './data-fixtures.js';

async function dataset(): Promise<string> {
  const root = tempDir();
  for (let i = 0; i < 4; i++) await writePng(path.join(root, 'train', 'neg', `n${i}.png`), 12, 10, i);
  for (let i = 0; i < 2; i++) await writePng(path.join(root, 'train', 'pos', `p${i}.png`), 40, 30, 10 + i);
  for (let i = 0; i < 2; i++) await writePng(path.join(root, 'test', 'neg', `n${i}.png`), 12, 10, 20 + i);
  await writePng(path.join(root, 'test', 'pos', 'p0.png'), 40, 30, 30);
  // An exact duplicate inside train, and one across train/test (leakage).
  fs.copyFileSync(path.join(root, 'train', 'neg', 'n0.png'), path.join(root, 'train', 'neg', 'n0-copy.png'));
  fs.copyFileSync(path.join(root, 'train', 'pos', 'p1.png'), path.join(root, 'test', 'pos', 'p1-leak.png'));
  // The same picture under both labels.
  fs.copyFileSync(path.join(root, 'train', 'neg', 'n3.png'), path.join(root, 'train', 'pos', 'p-conflict.png'));
  // Unreadable files.
  touch(path.join(root, 'train', 'pos', 'broken.png'), 'not a png');
  touch(path.join(root, 'train', 'neg', 'empty.jpg'), '');
  touch(path.join(root, 'train', 'neg', 'skip.txt'), 'text');
  return root;
}

test('audit: counts, imbalance, unreadable, duplicates, leakage, conflicts, small images', async () => {
  const root = await dataset();
  const out = tempDir('tlearn-run-');
  // No val/ folder; valFraction 0 keeps train/ whole (val drawing is tested below), requireVal: false allows that.
  const noVal = { valFraction: 0, requireVal: false };
  const { dataset: ds, audit, summary, probes } = await prepareData(root, { imageSize: 32, outDir: out, ...noVal });
  assert.equal(audit.layout, 'split-dirs');
  assert.equal(ds.items.length, 12);
  assert.equal(probes.length, 12);
  assert.equal(audit.total, 12);
  assert.deepEqual(audit.counts.train, { neg: 5, pos: 3 });
  assert.deepEqual(audit.counts.test, { neg: 2, pos: 2 });
  assert.deepEqual(audit.counts.val, { neg: 0, pos: 0 });
  assert.deepEqual(audit.split_totals, { train: 8, val: 0, test: 4 });
  assert.equal(audit.imbalance.pos_weight, 5 / 3);
  assert.equal(audit.imbalance.ratio, 5 / 3);
  assert.equal(audit.imbalance.minority_class, 'pos');
  assert.equal(audit.imbalance.imbalanced, true);
  assert.deepEqual(audit.unreadable.map((u) => u.path).sort(), ['train/neg/empty.jpg', 'train/pos/broken.png']);
  assert.ok(audit.unreadable.every((u) => u.reason.length > 0));
  assert.equal(audit.ignored.non_image, 1);
  assert.equal(audit.duplicates.length, 3);
  assert.equal(audit.leakage.length, 1);
  assert.deepEqual(audit.leakage[0]!.splits, ['train', 'test']);
  assert.deepEqual(audit.leakage[0]!.files.map((f) => f.path).sort(), ['test/pos/p1-leak.png', 'train/pos/p1.png']);
  assert.equal(audit.conflicting_labels.length, 1);
  assert.deepEqual(audit.conflicting_labels[0]!.labels, ['neg', 'pos']);
  // 12x10 images are below 32 px (8 of them, copies included); 40x30 ones are 30 px high: also small.
  assert.equal(audit.small_images.count, 12);
  const big = await prepareData(root, { imageSize: 30, ...noVal });
  assert.equal(big.audit.small_images.count, 8);
  assert.deepEqual(big.audit.small_images.files[0], { path: 'test/neg/n0.png', width: 12, height: 10 });

  assert.equal(summary, formatAuditSummary(audit));
  assert.match(summary, /Classes: neg \(negative\), pos \(positive\)/);
  assert.match(summary, /suggested pos_weight 1\.667/);
  assert.match(summary, /Unreadable \(skipped\): 2/);
  assert.match(summary, /LEAKAGE: 1 duplicate group/);
  assert.match(summary, /Conflicting labels: 1/);
  assert.doesNotMatch(summary, /^\s+val/m, 'empty val split is not printed');
  assert.ok(summary.split('\n').length <= 14);
  // What the terminal must show beyond the numbers: one warning per kind of finding.
  const warnings = auditWarnings(audit);
  assert.equal(warnings.length, 4);
  assert.match(warnings[0]!, /^2 unreadable images skipped/);
  assert.match(warnings[1]!, /^1 image appears in more than one split \(leakage/);
  assert.ok(warnings[1]!.includes('train/pos/p1.png (train)') && warnings[1]!.includes('test/pos/p1-leak.png (test)'), warnings[1]);
  assert.match(warnings[2]!, /^1 image is present with both labels.*\(neg\) = .*\(pos\)/);
  assert.match(warnings[3]!, /imbalanced on train \(1\.67:1, minority 'pos'\): consider --pos-weight auto \(pos_weight 1\.667\)/);
  assert.equal(auditWarnings(audit, { posWeightSet: true }).length, 3, 'no imbalance advice when the run weights the classes');

  // audit.json parses back to the same object; manifest.csv lists the usable files with hashes.
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'audit.json'), 'utf8')), JSON.parse(JSON.stringify(audit)));
  const rows = parseCsv(fs.readFileSync(path.join(out, 'manifest.csv'), 'utf8'));
  assert.deepEqual(rows[0]!.fields, ['path', 'label', 'split', 'bytes', 'sha256']);
  assert.equal(rows.length, 13);
  for (const r of rows.slice(1)) {
    const [p, label, split, bytes, sha] = r.fields as [string, string, string, string, string];
    const abs = path.resolve(out, p);
    const buf = fs.readFileSync(abs);
    assert.equal(Number(bytes), buf.length);
    assert.equal(sha, createHash('sha256').update(buf).digest('hex'));
    assert.ok(['neg', 'pos'].includes(label) && ['train', 'test'].includes(split));
  }
  assert.deepEqual(fs.readdirSync(out).sort(), ['audit.json', 'manifest.csv'], 'no temp files left behind');
  // The manifest is itself a CSV source: the same files with the same splits.
  const again = await loadSource(path.join(out, 'manifest.csv'), { valFraction: 0 });
  assert.deepEqual(again.items.map((it) => [it.path, it.className, it.split]).sort(),
    ds.items.map((it) => [it.path, it.className, it.split]).sort());
});

test('a split left without one of its classes is a clear error', async () => {
  const root = tempDir();
  for (let i = 0; i < 3; i++) await writePng(path.join(root, 'train', 'a', `${i}.png`), 8, 8, i);
  for (let i = 0; i < 3; i++) await writePng(path.join(root, 'train', 'b', `${i}.png`), 8, 8, 5 + i);
  await writePng(path.join(root, 'val', 'a', '0.png'), 8, 8, 9);
  touch(path.join(root, 'val', 'b', 'bad.png'), 'corrupt');
  const out = tempDir('tlearn-run-');
  await assert.rejects(prepareData(root, { outDir: out }), /split 'val' has no usable images of class 'b' \(1 unreadable file\(s\) were skipped; see audit.json\)/);
  // The audit was still written, so the problem can be inspected.
  const audit = JSON.parse(fs.readFileSync(path.join(out, 'audit.json'), 'utf8'));
  assert.equal(audit.unreadable[0].path, 'val/b/bad.png');
  // A folder with only test/: fine to evaluate, not to train on.
  const testOnly = tempDir();
  for (const c of ['a', 'b']) await writePng(path.join(testOnly, 'test', c, '0.png'), 8, 8, c === 'a' ? 1 : 2);
  await assert.rejects(prepareData(testOnly), /split 'train' has no usable images of class 'a'; split 'train' has no usable images of class 'b'/);
  const ev = await prepareData(testOnly, { requireTrain: false });
  assert.equal(ev.dataset.items.length, 2);
});

test('balanced drawn split: pos_weight 1, no warnings', async () => {
  const root = tempDir();
  for (let i = 0; i < 10; i++) await writePng(path.join(root, 'cat', `${i}.png`), 8, 8, i);
  for (let i = 0; i < 10; i++) await writePng(path.join(root, 'dog', `${i}.png`), 8, 8, 50 + i);
  const { audit, summary } = await prepareData(root, { imageSize: 8, seed: 3 });
  assert.deepEqual(audit.split, { kind: 'drawn', seed: 3, val_fraction: 0.15, test_fraction: 0.15 });
  assert.equal(audit.imbalance.pos_weight, 1);
  assert.equal(audit.imbalance.imbalanced, false);
  assert.equal(audit.duplicates.length + audit.unreadable.length + audit.small_images.count, 0);
  assert.doesNotMatch(summary, /LEAKAGE|Unreadable|duplicates|Smaller/);
  assert.deepEqual(auditWarnings(audit), []);
  assert.match(summary, /split drawn with seed 3/);
});

test('the run folder inside the data folder is left out; ignored folders reach audit.json and the summary', async () => {
  const root = tempDir();
  for (let i = 0; i < 4; i++) await writePng(path.join(root, 'a', `${i}.png`), 8, 8, i);
  for (let i = 0; i < 4; i++) await writePng(path.join(root, 'b', `${i}.png`), 8, 8, 10 + i);
  fs.mkdirSync(path.join(root, 'empty_c'));
  // --out inside the data folder, holding an image from an earlier attempt but no run files yet.
  const out = path.join(root, 'run1');
  await writePng(path.join(out, 'charts', 'loss.png'), 8, 8, 30);
  const { audit, summary, dataset } = await prepareData(root, { imageSize: 8, outDir: out, valFraction: 0.25, testFraction: 0.25 });
  assert.deepEqual(dataset.classes, ['a', 'b']);
  assert.equal(audit.total, 8);
  assert.deepEqual(audit.ignored.empty_folders, ['empty_c/']);
  assert.deepEqual(audit.ignored.output_folders, ['run1/']);
  assert.ok(audit.notes.some((n) => n.includes('empty_c/')) && audit.notes.some((n) => n.includes('run1/')), audit.notes.join('\n'));
  assert.match(summary, /1 folder without images/);
  assert.match(summary, /1 tlearn output folder/);
  // Run again (now run1/ holds manifest.csv and audit.json): still skipped, also without outDir.
  const again = await prepareData(root, { imageSize: 8, valFraction: 0.25, testFraction: 0.25 });
  assert.deepEqual(again.audit.ignored.output_folders, ['run1/']);
});

test('training needs validation images: drawn from train/ when val/ is missing; clear advice when valFraction is 0', async () => {
  const root = tempDir();
  for (let i = 0; i < 7; i++) await writePng(path.join(root, 'train', 'a', `${i}.png`), 8, 8, i);
  for (let i = 0; i < 7; i++) await writePng(path.join(root, 'train', 'b', `${i}.png`), 8, 8, 10 + i);
  const { audit, summary } = await prepareData(root, { imageSize: 8, seed: 2 });
  assert.deepEqual(audit.split, { kind: 'val_drawn', seed: 2, val_fraction: 0.15 });
  assert.deepEqual(audit.counts.val, { a: 1, b: 1 });
  assert.ok(audit.notes.some((n) => n.startsWith('no val/ folder: drew 2 validation images from train/')), audit.notes.join('\n'));
  // Only train/ was given: the summary says so (no "train/test as given" without a test split).
  assert.match(summary, /\(split folders, train as given \(no test split\), val drawn from train with seed 2 \(fraction 0\.15, stratified\)\)/);
  // With a test/ folder too, both were given.
  for (let i = 0; i < 2; i++) await writePng(path.join(root, 'test', 'a', `${i}.png`), 8, 8, 30 + i);
  for (let i = 0; i < 2; i++) await writePng(path.join(root, 'test', 'b', `${i}.png`), 8, 8, 40 + i);
  assert.match((await prepareData(root, { imageSize: 8, seed: 2 })).summary, /train\/test as given, val drawn from train with seed 2/);
  for (const c of ['a', 'b']) fs.rmSync(path.join(root, 'test', c), { recursive: true });
  fs.rmdirSync(path.join(root, 'test'));
  // valFraction 0 and no val/ folder: tell the user both ways out, not what they already did.
  await assert.rejects(prepareData(root, { imageSize: 8, valFraction: 0 }), (e: Error) => {
    assert.match(e.message, /no validation images: there is no val\/ folder and valFraction is 0/);
    assert.match(e.message, /add val\/<class>\/ folders, or set valFraction above 0/);
    return true;
  });
  // Class folders with valFraction 0.
  const flat = tempDir();
  for (let i = 0; i < 6; i++) await writePng(path.join(flat, 'a', `${i}.png`), 8, 8, i);
  for (let i = 0; i < 6; i++) await writePng(path.join(flat, 'b', `${i}.png`), 8, 8, 10 + i);
  await assert.rejects(prepareData(flat, { imageSize: 8, valFraction: 0 }), (e: Error) => {
    assert.match(e.message, /no validation images: valFraction is 0, so no validation split was drawn/);
    assert.match(e.message, /set valFraction above 0 \(--val-fraction, e\.g\. 0\.15\)/i);
    assert.doesNotMatch(e.message, /class folders/);
    return true;
  });
  // requireVal: false (e.g. only auditing) accepts it.
  const ok = await prepareData(flat, { imageSize: 8, valFraction: 0, requireVal: false });
  assert.equal(ok.audit.split_totals.val, 0);
});

test('a dangling symlink named like an image is reported as unreadable (broken link), not dropped silently', async () => {
  const root = tempDir();
  for (let i = 0; i < 10; i++) await writePng(path.join(root, 'cat', `${i}.png`), 8, 8, i);
  for (let i = 0; i < 10; i++) await writePng(path.join(root, 'dog', `${i}.png`), 8, 8, 50 + i);
  fs.symlinkSync(path.join(root, 'nonexistent.png'), path.join(root, 'dog', 'dangling.png'));
  fs.symlinkSync(path.join(root, 'nonexistent.txt'), path.join(root, 'dog', 'notes.txt'));
  const { audit } = await prepareData(root, { imageSize: 8, seed: 3 });
  assert.deepEqual(audit.unreadable.map((u) => [u.path, u.reason]), [['dog/dangling.png', 'broken symbolic link (its target does not exist)']]);
  assert.equal(audit.ignored.non_image, 1, 'a dangling link without an image name counts as a non-image file');
});

test('audit: nearly black images (12-bit data in 16-bit files) and one-colour images are named, with a warning', async () => {
  const root = tempDir();
  for (const cls of ['neg', 'pos']) {
    for (let i = 0; i < 3; i++) await writePng(path.join(root, 'train', cls, `${i}.png`), 12, 10, i + (cls === 'pos' ? 5 : 0));
    await writePng(path.join(root, 'val', cls, 'v.png'), 12, 10, cls === 'pos' ? 9 : 8);
  }
  // An X-ray-like 16-bit PNG that uses only 12 bits: values up to 15 * 257 = 3855 of 65535, 15 of 255 once scaled.
  const dark = Buffer.from(Array.from({ length: 12 * 10 * 3 }, (_, k) => k % 16));
  await rawSharp(dark, 12, 10).toColourspace('rgb16').png().toFile(path.join(root, 'train', 'neg', 'xray16.png'));
  await rawSharp(Buffer.alloc(12 * 10 * 3, 200), 12, 10).png().toFile(path.join(root, 'train', 'pos', 'blank.png'));
  const { audit, summary } = await prepareData(root, { imageSize: 8, cache: new ImageCache() });
  // Brightest as the network sees it: after the resize to 8 px, which averages neighbours (at most 15).
  assert.deepEqual(audit.dark_images.files.map((f) => f.path), ['train/neg/xray16.png']);
  assert.ok(audit.dark_images.count === 1 && audit.dark_images.files[0]!.brightest <= 15 && audit.dark_images.files[0]!.brightest >= 8);
  assert.deepEqual(audit.uniform_images, { count: 1, files: ['train/pos/blank.png'] });
  assert.match(summary, /Nearly black: 1 image\(s\) \(brightest value under 32 of 255\)/);
  assert.match(summary, /One colour: 1 image\(s\)/);
  const warnings = auditWarnings(audit);
  assert.ok(warnings.some((w) => /1 image is nearly black .*12-bit data in 16-bit files.*audit\.json "dark_images"/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /1 image is one colour .*audit\.json "uniform_images"/.test(w)), warnings.join('\n'));
  // Without the decoded-image cache (evaluate's audit), the decode check finds them too.
  const plain = await prepareData(root, { imageSize: 8 });
  assert.deepEqual([plain.audit.dark_images.files.map((f) => f.path), plain.audit.uniform_images], [['train/neg/xray16.png'], audit.uniform_images]);
});

test('the check decode fills the cache with the splits asked for, most used first, and only while it has room', async () => {
  const root = tempDir();
  // Sorted paths put test/ before train/: the priority must come from cacheSplits, not from the file order.
  for (const split of ['test', 'train', 'val']) {
    for (const cls of ['neg', 'pos']) for (let i = 0; i < 2; i++) await writePng(path.join(root, split, cls, `${i}.png`), 12, 10, i + (cls === 'pos' ? 5 : 0));
  }
  const size = 8, entry = size * size * 3;
  const before = decodeCount();
  const cache = new ImageCache({ memoryBytes: 5 * entry });
  const { dataset } = await prepareData(root, { imageSize: size, cache, cacheSplits: ['train', 'val'] });
  assert.equal(decodeCount() - before, 12, 'every file decoded once');
  const stats = cache.stats;
  assert.equal(stats.memoryEntries, 5);
  assert.equal(cache.hasRoomFor(entry), false);
  // All 4 train images and one val image were kept; no test image.
  const loader = (split: string) => new DataLoader(dataset.items.filter((it) => it.split === split).map((it) => ({ path: it.path, label: it.label })),
    { imageSize: size, batchSize: 4, cache });
  for (const [split, hits] of [['train', 4], ['val', 1], ['test', 0]] as const) {
    const l = loader(split);
    const hitsBefore = cache.stats.memoryHits;
    for await (const _ of l.epoch(0)) { /* reading is the test */ }
    assert.equal(cache.stats.memoryHits - hitsBefore, hits, `${split} images served from the cache`);
  }
});
