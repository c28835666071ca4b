// Issue 16, the data side of tasks: the task found in the data (binary, multiclass, multilabel) or asked for,
// its messages, the multiclass and the iterative (multi-label) stratified splits, the loader's multi-hot
// targets, the audit's per-class numbers and a multi-label manifest read back.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  allocate, auditWarnings, DataLoader, formatAuditSummary, iterativeSplit, loadSource, parseCsv, prepareData, Rng,
  stratifiedSplit, TASK_KINDS, type Split,
} from '../src/data/index.js';
import { tempDir, touch, writePng } from './data-fixtures.js';

function classDirs(counts: Record<string, number>, root = tempDir()): string {
  for (const [cls, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) touch(path.join(root, cls, `img${String(i).padStart(3, '0')}.png`), `${cls}${i}`);
  }
  return root;
}

/** A CSV in a fresh folder listing placeholder files: rows of [path, label field], with `header`. */
function csvOf(header: string, rows: Array<[string, string]>): string {
  const root = tempDir();
  for (const [p] of rows) touch(path.join(root, p), p);
  const file = path.join(root, 'labels.csv');
  fs.writeFileSync(file, `${header}\n${rows.map(([p, l]) => `${p},"${l}"`).join('\n')}\n`);
  return file;
}

/** Seeded random label sets over `labels` (each label with probability p; some images with none). */
function randomSets(n: number, labels: string[], seed: number, p = 0.3): string[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => labels.filter(() => rng.next() < p));
}

const count = (splits: Split[], sets: string[][], label: string, s: Split) => splits.filter((x, i) => x === s && sets[i]!.includes(label)).length;

test('task kinds are binary, multiclass and multilabel', () => {
  assert.deepEqual(TASK_KINDS, ['binary', 'multiclass', 'multilabel']);
});

test('auto: two class folders are the binary task as before; three are multiclass with sorted classes', async () => {
  const root = classDirs({ cats: 10, dogs: 10 });
  const two = await loadSource(root, { seed: 3 });
  assert.equal(two.task, 'binary');
  assert.deepEqual(two.classes, ['cats', 'dogs']);
  assert.equal(two.positiveClass, 'dogs');
  assert.ok(two.items.every((it) => it.label === (it.className === 'dogs' ? 1 : 0) && it.labels === undefined));
  assert.deepEqual(two.notes, [], 'binary data gets no task note');
  // Asking for binary changes nothing.
  const asked = await loadSource(root, { seed: 3, task: 'binary' });
  assert.deepEqual(asked.items.map((it) => [it.relPath, it.label, it.split]), two.items.map((it) => [it.relPath, it.label, it.split]));

  const three = await loadSource(classDirs({ zebra: 6, ant: 5, mole: 7 }));
  assert.equal(three.task, 'multiclass');
  assert.deepEqual(three.classes, ['ant', 'mole', 'zebra']);
  assert.equal(three.positiveClass, null);
  for (const it of three.items) assert.equal(it.label, three.classes.indexOf(it.className));
  assert.ok(three.notes.some((n) => /task multiclass: 3 classes found/.test(n)), three.notes.join('\n'));
});

test('explicit tasks: multiclass on two classes, binary on three refused, one class named, positive only for binary', async () => {
  const two = classDirs({ b: 4, a: 4 });
  const mc = await loadSource(two, { task: 'multiclass' });
  assert.equal(mc.task, 'multiclass');
  assert.deepEqual(mc.classes, ['a', 'b']);
  assert.equal(mc.positiveClass, null);
  assert.deepEqual(mc.items.map((it) => it.label).sort(), [0, 0, 0, 0, 1, 1, 1, 1]);
  await assert.rejects(loadSource(two, { task: 'multiclass', positive: 'a' }),
    /positive class 'a' is given, but the task is multiclass \(2 classes found: a, b \(4 and 4 images\)\): a positive class belongs to a binary task only/);

  const three = classDirs({ a: 3, b: 4, c: 5 });
  await assert.rejects(loadSource(three, { task: 'binary' }), /: 3 classes found: a, b, c \(3, 4 and 5 images\); binary needs exactly 2 \(use task 'multiclass'\)/);
  await assert.rejects(loadSource(three, { positive: 'b' }), /positive class 'b' is given, but the task is multiclass/);

  const one = classDirs({ cats: 3 });
  await assert.rejects(loadSource(one, { task: 'multiclass' }), /: 1 class found: cats \(3 images\); multiclass needs at least 2/);
  await assert.rejects(loadSource(one, { task: 'binary' }), /: 1 class found: cats \(3 images\); binary needs exactly 2$/);
  await assert.rejects(loadSource(one), /: 1 class found: cats \(3 images\); at least 2 are needed/);
  await assert.rejects(loadSource(tempDir()), /: 0 classes found; at least 2 are needed/);
});

test('auto: a CSV with ;-separated labels or a labels column is multilabel; a single-label task reads the label whole', async () => {
  const rows: Array<[string, string]> = [];
  for (let i = 0; i < 12; i++) rows.push([`i${i}.png`, ['sky;sea', 'sea', 'tree;sky', 'tree'][i % 4]!]);
  const file = csvOf('path,label', rows);
  const ds = await loadSource(file);
  assert.equal(ds.task, 'multilabel');
  assert.deepEqual(ds.classes, ['sea', 'sky', 'tree']);
  assert.equal(ds.positiveClass, null);
  const first = ds.items.find((it) => it.relPath === 'i0.png')!;
  assert.deepEqual(first.labels, [0, 1]);
  assert.equal(first.label, -1);
  assert.equal(first.className, 'sea;sky');
  assert.deepEqual(ds.items.find((it) => it.relPath === 'i2.png')!.labels, [1, 2]);
  assert.ok(ds.notes.some((n) => /task multilabel: the labels are lists of names separated by ';' \(3 labels\)/.test(n)), ds.notes.join('\n'));
  // Asked for multiclass, 'sky;sea' is one class of its own.
  const whole = await loadSource(file, { task: 'multiclass' });
  assert.deepEqual(whole.classes, ['sea', 'sky;sea', 'tree', 'tree;sky']);
  await assert.rejects(loadSource(file, { positive: 'sea' }), /positive class 'sea' is given, but the task is multilabel/);

  // A `labels` column: multilabel even with one label per row; an empty field is an image without labels.
  const col = csvOf('file,labels', [['a.png', 'x'], ['b.png', 'y'], ['c.png', ''], ['d.png', ' y ; x ;']]);
  const lc = await loadSource(col, { valFraction: 0, testFraction: 0 });
  assert.equal(lc.task, 'multilabel');
  assert.deepEqual(lc.items.map((it) => [it.relPath, it.labels]), [['a.png', [0]], ['b.png', [1]], ['c.png', []], ['d.png', [0, 1]]]);
  // An empty label stays an error for a single-label task.
  await assert.rejects(loadSource(csvOf('path,label', [['a.png', 'x'], ['b.png', ''], ['c.png', 'y']])), /line 3: empty label for b\.png/);
  // One label is not a task.
  await assert.rejects(loadSource(csvOf('path,labels', [['a.png', 'x'], ['b.png', 'x']])), /1 class found: x \(2 images\); multilabel needs at least 2/);
});

test('multiclass split: each class keeps its ratio in every split, seeded, whatever the listing order', async () => {
  const root = classDirs({ a: 20, b: 40, c: 7, d: 100 });
  const ds = await loadSource(root, { seed: 11 });
  assert.equal(ds.task, 'multiclass');
  for (const [cls, n] of [['a', 20], ['b', 40], ['c', 7], ['d', 100]] as const) {
    const { nVal, nTest } = allocate(n, { valFraction: 0.15, testFraction: 0.15 })!;
    const got = (s: Split) => ds.items.filter((it) => it.className === cls && it.split === s).length;
    assert.deepEqual([got('train'), got('val'), got('test')], [n - nVal - nTest, nVal, nTest], cls);
  }
  const keys = ds.items.map((it) => it.relPath), cls = ds.items.map((it) => it.className);
  assert.deepEqual(stratifiedSplit([...keys].reverse(), [...cls].reverse(), 11).reverse(), ds.items.map((it) => it.split));
  const again = await loadSource(root, { seed: 11 });
  assert.deepEqual(again.items.map((it) => [it.relPath, it.split]), ds.items.map((it) => [it.relPath, it.split]));
});

test('iterative stratification: every label in every split, near the fractions, seeded, whatever the listing order', () => {
  const labels = ['a', 'b', 'c', 'd', 'e', 'f'];
  for (const seed of [0, 1, 2, 3, 4]) {
    const n = 300;
    const sets = randomSets(n, labels, seed, 0.25);
    sets[0] = []; sets[1] = [];
    // Two rare labels that only come together with common ones.
    sets[2] = ['a', 'rare']; sets[3] = ['b', 'rare']; sets[4] = ['rare', 'c'];
    sets[5] = ['scarce', 'a', 'b']; sets[6] = ['scarce']; sets[7] = ['scarce', 'd']; sets[8] = ['scarce', 'e'];
    const keys = sets.map((_, i) => `img/${String(i).padStart(4, '0')}.png`);
    const splits = iterativeSplit(keys, sets, seed);
    assert.equal(splits.length, n);
    for (const l of [...labels, 'rare', 'scarce']) {
      for (const s of ['train', 'val', 'test'] as Split[]) assert.ok(count(splits, sets, l, s) >= 1, `seed ${seed}: label ${l} missing from ${s}`);
    }
    // Each common label near its 70/15/15 share.
    for (const l of labels) {
      const total = sets.filter((x) => x.includes(l)).length;
      assert.ok(Math.abs(count(splits, sets, l, 'val') - 0.15 * total) <= 3, `seed ${seed}: ${l} val ${count(splits, sets, l, 'val')} of ${total}`);
      assert.ok(Math.abs(count(splits, sets, l, 'test') - 0.15 * total) <= 3, `seed ${seed}: ${l} test`);
    }
    // Images without labels are placed too, and the split sizes follow the fractions.
    assert.ok(splits.every((s) => s === 'train' || s === 'val' || s === 'test'));
    const size = (s: Split) => splits.filter((x) => x === s).length;
    assert.ok(Math.abs(size('val') - 45) <= 4 && Math.abs(size('test') - 45) <= 4, `${size('val')} val, ${size('test')} test`);
    // Deterministic, and independent of the order the items come in.
    assert.deepEqual(iterativeSplit(keys, sets, seed), splits);
    const rev = iterativeSplit([...keys].reverse(), [...sets].reverse(), seed).reverse();
    assert.deepEqual(rev, splits);
  }
  const sets = randomSets(200, labels, 9);
  const keys = sets.map((_, i) => `k${i}`);
  assert.notDeepEqual(iterativeSplit(keys, sets, 1), iterativeSplit(keys, sets, 2));
  // Fractions of 0 leave that split out.
  assert.ok(!iterativeSplit(keys, sets, 1, { valFraction: 0.2, testFraction: 0 }).includes('test'));
});

test('iterative stratification: small dense data, where the greedy pass leaves a label out of a split, is repaired', () => {
  // Found by search: with seed 1 the greedy pass leaves one label out of a split; one image is then moved.
  const sets = [['d'], ['a'], ['a', 'b'], ['a', 'c', 'd'], ['a', 'c'], ['a', 'b', 'c'], ['b', 'c', 'd'], ['a', 'b', 'd'], ['b', 'c'], ['b']];
  const keys = sets.map((_, i) => `k${i}`);
  const splits = iterativeSplit(keys, sets, 1);
  for (const l of ['a', 'b', 'c', 'd']) {
    for (const s of ['train', 'val', 'test'] as Split[]) assert.ok(count(splits, sets, l, s) >= 1, `label ${l} missing from ${s}: ${splits.join(',')}`);
  }
});

test('iterative stratification: labels with too few images are named, each with its count', () => {
  const sets = [['a', 'b'], ['a'], ['a', 'c'], ['b'], ['a'], []];
  assert.throws(() => iterativeSplit(sets.map((_, i) => `k${i}`), sets, 0), (e: Error) => {
    assert.match(e.message, /every split needs at least one image of each label/);
    assert.match(e.message, /label 'b' has only 2 images; it needs at least 3 images \(one for each of train, val, test\)/);
    assert.match(e.message, /label 'c' has only 1 image;/);
    assert.doesNotMatch(e.message, /label 'a'/);
    return true;
  });
  // With test left out, two images are enough.
  const two = iterativeSplit(['p', 'q', 'r'], [['b'], ['b'], []], 0, { valFraction: 0.15, testFraction: 0 });
  assert.deepEqual([two[0], two[1]].sort(), ['train', 'val']);
});

test('a multilabel CSV is split by iterative stratification through loadSource', async () => {
  const sets = randomSets(120, ['cat', 'dog', 'car'], 5, 0.35);
  const file = csvOf('path,labels', sets.map((s, i) => [`im${i}.png`, s.join(';')]));
  const ds = await loadSource(file, { seed: 4 });
  assert.equal(ds.split.kind, 'drawn');
  const expected = iterativeSplit(ds.items.map((it) => it.relPath), ds.items.map((it) => it.labels!.map((k) => ds.classes[k]!)), 4);
  assert.deepEqual(ds.items.map((it) => it.split), expected);
});

test('loader: labelWidth C gives multi-hot rows from labels; width 1 the class index; bad labels refused', async () => {
  const root = tempDir();
  const files = await Promise.all([0, 1, 2].map((i) => writePng(path.join(root, `m${i}.png`), 8, 8, i)));
  const items = [{ path: files[0]!, label: -1, labels: [0, 2] }, { path: files[1]!, label: -1, labels: [] }, { path: files[2]!, label: null }];
  const batches = [];
  for await (const b of new DataLoader(items, { imageSize: 8, batchSize: 3, labelWidth: 3, cache: null })) batches.push(b);
  assert.equal(batches.length, 1);
  assert.deepEqual([...batches[0]!.y], [1, 0, 1, 0, 0, 0, NaN, NaN, NaN]);
  const single = [];
  for await (const b of new DataLoader([{ path: files[0]!, label: 2 }, { path: files[1]!, label: 0 }, { path: files[2]!, label: null }],
    { imageSize: 8, batchSize: 3, cache: null })) single.push(b);
  assert.deepEqual([...single[0]!.y], [2, 0, NaN]);
  assert.throws(() => new DataLoader([{ path: 'a', label: -1, labels: [3] }], { labelWidth: 3 }), /labels must be integers in \[0, 3\), got 3/);
  assert.throws(() => new DataLoader([{ path: 'a', label: 1 }], { labelWidth: 3 }), /has no labels, and labelWidth 3/);
  assert.throws(() => new DataLoader([{ path: 'a', label: 1 }], { labelWidth: 0 }), /labelWidth must be an integer >= 1/);
});

/** A multilabel CSV of distinct real PNGs, with a split column when `split` gives one per row. */
async function multilabelCsv(sets: string[][], split?: (i: number) => Split): Promise<string> {
  const root = tempDir();
  const lines = [`path,labels${split ? ',split' : ''}`];
  for (const [i, s] of sets.entries()) {
    await writePng(path.join(root, `im${i}.png`), 10, 10, i);
    lines.push(`im${i}.png,"${s.join(';')}"${split ? `,${split(i)}` : ''}`);
  }
  const file = path.join(root, 'labels.csv');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

test('audit of multilabel data: per-label counts, frequencies, co-occurring pairs (a direct count), small labels; manifest reads back', async () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  const sets = randomSets(70, names, 21, 0.4).map((s, i) => (i < 4 ? [...new Set([...s, 'e'])] : s.filter((l) => l !== 'e')));
  const file = await multilabelCsv(sets);
  const out = tempDir('tlearn-run-');
  const { dataset: ds, audit, summary } = await prepareData(file, { imageSize: 8, outDir: out, seed: 2 });
  assert.equal(audit.task, 'multilabel');
  assert.deepEqual(audit.classes, names);
  assert.equal(audit.positive_class, null);
  const freq = Object.fromEntries(names.map((l) => [l, sets.filter((s) => s.includes(l)).length]));
  assert.deepEqual(audit.label_frequencies, freq);
  assert.equal(audit.images_without_labels, sets.filter((s) => s.length === 0).length);
  for (const s of ['train', 'val', 'test'] as Split[]) {
    for (const l of names) assert.equal(audit.counts[s][l], ds.items.filter((it) => it.split === s && it.labels!.includes(names.indexOf(l))).length);
  }
  // Pairs counted directly from the label sets.
  const pairs = new Map<string, number>();
  for (const s of sets) for (const x of s) for (const y of s) if (x < y) pairs.set(`${x}+${y}`, (pairs.get(`${x}+${y}`) ?? 0) + 1);
  const top = [...pairs].sort((p, q) => q[1] - p[1] || (p[0] < q[0] ? -1 : 1)).slice(0, 10);
  assert.deepEqual(audit.co_occurrence!.map((p) => [p.labels.join('+'), p.images]), top);
  const train = names.map((l) => audit.counts.train[l]!);
  assert.equal(audit.imbalance.ratio, Math.max(...train) / Math.min(...train));
  assert.equal(audit.imbalance.pos_weight, null);
  assert.deepEqual(audit.small_classes, [{ class: 'e', images: 4 }]);
  assert.ok(auditWarnings(audit).some((w) => /1 label has fewer than 10 images \('e' 4\)/.test(w)), auditWarnings(audit).join('\n'));
  assert.match(summary, /Labels \(multilabel\): 5;/);
  assert.match(summary, /Under 10 images: e \(4\)/);
  const written = JSON.parse(fs.readFileSync(path.join(out, 'audit.json'), 'utf8'));
  assert.deepEqual(written.co_occurrence, audit.co_occurrence);

  // manifest.csv: label names joined by ';' under a `labels` header; read back, the same images, labels and split.
  const manifest = path.join(out, 'manifest.csv');
  const rows = parseCsv(fs.readFileSync(manifest, 'utf8'));
  assert.deepEqual(rows[0]!.fields, ['path', 'labels', 'split', 'bytes', 'sha256']);
  const back = await loadSource(manifest);
  assert.equal(back.task, 'multilabel');
  assert.deepEqual(back.classes, ds.classes);
  assert.equal(back.split.kind, 'given');
  const key = (d: typeof ds) => d.items.map((it) => [it.path, it.labels, it.split, it.className]).sort((p, q) => (String(p[0]) < String(q[0]) ? -1 : 1));
  assert.deepEqual(key(back), key(ds));
});

test('audit of multiclass data: per-class table, imbalance largest/smallest, small classes; binary audit keeps its keys', async () => {
  const root = tempDir();
  const n: Record<string, number> = { ant: 24, bee: 6, cow: 12 };
  let seed = 0;
  for (const [c, k] of Object.entries(n)) for (let i = 0; i < k; i++) await writePng(path.join(root, c, `${i}.png`), 8, 8, seed++);
  const { audit, summary } = await prepareData(root, { imageSize: 8 });
  assert.equal(audit.task, 'multiclass');
  assert.deepEqual(audit.classes, ['ant', 'bee', 'cow']);
  assert.deepEqual(audit.counts.train, { ant: 24 - 8, bee: 4, cow: 12 - 4 });
  assert.equal(audit.imbalance.ratio, 16 / 4);
  assert.deepEqual([audit.imbalance.majority_class, audit.imbalance.minority_class], ['ant', 'bee']);
  assert.deepEqual(audit.small_classes, [{ class: 'bee', images: 6 }]);
  assert.equal(audit.label_frequencies, undefined);
  assert.match(summary, /Classes \(multiclass\): 3/);
  assert.match(summary, /Imbalance \(train\): 4\.00:1 \(largest: ant, smallest: bee\)/);
  const warnings = auditWarnings(audit);
  assert.ok(warnings.some((w) => /classes are imbalanced on train \(4\.00:1, largest 'ant', smallest 'bee'\)/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /1 class has fewer than 10 images \('bee' 6\)/.test(w)), warnings.join('\n'));

  // Binary: the audit's numbers and printed lines as before, plus the task.
  const two = tempDir();
  for (let i = 0; i < 6; i++) await writePng(path.join(two, i < 3 ? 'neg' : 'pos', `${i}.png`), 8, 8, i);
  const b = await prepareData(two, { imageSize: 8 });
  assert.equal(b.audit.task, 'binary');
  assert.equal(b.audit.positive_class, 'pos');
  assert.equal(b.audit.imbalance.pos_weight, 1);
  assert.match(formatAuditSummary(b.audit), /Classes: neg \(negative\), pos \(positive\)/);
  assert.ok(!auditWarnings(b.audit).some((w) => /fewer than 10/.test(w)), 'no small-class warning for binary');
});

test('prepareData: a given split without a class (label) in val names it with its images per split', async () => {
  const root = tempDir();
  let seed = 0;
  const lines = ['path,label,split'];
  for (const [c, splits] of Object.entries({ a: 'tttvv', b: 'tttvv', c: 'tttxx' })) {
    for (const [i, s] of [...splits].entries()) {
      await writePng(path.join(root, `${c}${i}.png`), 8, 8, seed++);
      lines.push(`${c}${i}.png,${c},${s === 't' ? 'train' : s === 'v' ? 'val' : 'test'}`);
    }
  }
  fs.writeFileSync(path.join(root, 'l.csv'), lines.join('\n') + '\n');
  await assert.rejects(prepareData(path.join(root, 'l.csv'), { imageSize: 8 }),
    /split 'val' has no usable images of class 'c' \(train 3, val 0, test 2\)/);
  // Multilabel: a label missing from val.
  const bad = await multilabelCsv([['x'], ['y'], ['x', 'y'], ['x'], ['x']], (i) => (i < 3 ? 'train' : 'val'));
  await assert.rejects(prepareData(bad, { imageSize: 8 }), /split 'val' has no usable images of label 'y' \(train 2, val 0, test 0\)/);
});

test('knownClasses with C classes: data with a subset of the model\'s classes is read in the model\'s order', async () => {
  const root = classDirs({ cow: 3, ant: 3 });
  const known = { classes: ['dog', 'cow', 'bee', 'ant'], owner: 'model.pth' };
  const ds = await loadSource(root, { knownClasses: known, valFraction: 0, testFraction: 0 });
  assert.equal(ds.task, 'multiclass');
  assert.deepEqual(ds.classes, known.classes);
  for (const it of ds.items) assert.equal(it.label, known.classes.indexOf(it.className));
  await assert.rejects(loadSource(classDirs({ cow: 3, emu: 2, yak: 1 }), { knownClasses: known }),
    /3 classes found: cow, emu, yak \(3, 2 and 1 images\); not among the classes of model\.pth: 'emu', 'yak' \(its classes: dog, cow, bee, ant\)/);
  // A multilabel model reads ';' lists, even from a `label` column without any ';'.
  const file = csvOf('path,label', [['p.png', 'cow'], ['q.png', 'ant'], ['r.png', '']]);
  const ml = await loadSource(file, { knownClasses: { ...known, task: 'multilabel' }, valFraction: 0, testFraction: 0 });
  assert.equal(ml.task, 'multilabel');
  assert.deepEqual(ml.items.map((it) => it.labels), [[1], [3], []]);
  // A binary model: two classes come back as found (the caller compares the names), one as the model's.
  const bin = await loadSource(classDirs({ pos: 2 }), { knownClasses: { classes: ['neg', 'pos'], owner: 'm' }, valFraction: 0, testFraction: 0 });
  assert.equal(bin.task, 'binary');
  assert.deepEqual(bin.classes, ['neg', 'pos']);
});
