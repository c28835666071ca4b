// Sources (folder layouts, CSV) and the seeded stratified split. No pixels are decoded here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadSource, parseCsv, stratifiedSplit, formatCsv } from '../src/data/index.js';
import { tempDir, touch } from './data-fixtures.js';

function classDirs(counts: Record<string, number>, root = tempDir()): string {
  for (const [cls, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) touch(path.join(root, cls, `img${String(i).padStart(3, '0')}.png`), `${cls}${i}`);
  }
  return root;
}

test('class folders: hidden and non-image files ignored and counted; positive class', async () => {
  const root = classDirs({ cats: 10, dogs: 10 });
  touch(path.join(root, 'cats', '.DS_Store'));
  touch(path.join(root, 'dogs', 'notes.txt'));
  touch(path.join(root, 'dogs', '.hidden', 'x.png'));
  touch(path.join(root, 'README.md'));
  touch(path.join(root, 'dogs', 'nested', 'deep.JPG'));
  const ds = await loadSource(root);
  assert.equal(ds.layout, 'class-dirs');
  assert.deepEqual(ds.classes, ['cats', 'dogs']);
  assert.equal(ds.positiveClass, 'dogs');
  assert.equal(ds.items.length, 21);
  assert.ok(ds.items.some((it) => it.relPath === 'dogs/nested/deep.JPG'), 'nested images and upper-case extensions count');
  assert.deepEqual({ hidden: ds.ignored.hidden, nonImage: ds.ignored.nonImage, outside: ds.ignored.outside }, { hidden: 2, nonImage: 1, outside: 1 });
  for (const it of ds.items) {
    assert.equal(it.label, it.className === 'dogs' ? 1 : 0);
    assert.ok(path.isAbsolute(it.path) && fs.existsSync(it.path));
  }
  const flipped = await loadSource(root, { positive: 'cats' });
  assert.deepEqual(flipped.classes, ['dogs', 'cats']);
  assert.equal(flipped.items.find((it) => it.className === 'cats')!.label, 1);
  await assert.rejects(loadSource(root, { positive: 'birds' }), /positive class 'birds' is not one of .*'cats' \(10 images\)/);
});

test('drawn split is stratified, seeded and independent of listing order', async () => {
  const root = classDirs({ a: 20, b: 40 });
  const ds = await loadSource(root, { seed: 7 });
  assert.deepEqual(ds.split, { kind: 'drawn', seed: 7, valFraction: 0.15, testFraction: 0.15 });
  const count = (cls: string, s: string) => ds.items.filter((it) => it.className === cls && it.split === s).length;
  assert.deepEqual([count('a', 'train'), count('a', 'val'), count('a', 'test')], [14, 3, 3]);
  assert.deepEqual([count('b', 'train'), count('b', 'val'), count('b', 'test')], [28, 6, 6]);
  const again = await loadSource(root, { seed: 7 });
  assert.deepEqual(again.items.map((it) => [it.relPath, it.split]), ds.items.map((it) => [it.relPath, it.split]));
  const other = await loadSource(root, { seed: 8 });
  assert.notDeepEqual(other.items.map((it) => it.split), ds.items.map((it) => it.split));
  // Order of the input does not matter.
  const keys = ds.items.map((it) => it.relPath), cls = ds.items.map((it) => it.className);
  const rev = stratifiedSplit([...keys].reverse(), [...cls].reverse(), 7).reverse();
  assert.deepEqual(rev, ds.items.map((it) => it.split));
  const custom = await loadSource(root, { seed: 1, valFraction: 0.25, testFraction: 0 });
  assert.equal(custom.items.filter((it) => it.split === 'test').length, 0);
  assert.equal(custom.items.filter((it) => it.split === 'val').length, 15);
  assert.throws(() => stratifiedSplit(['x', 'y'], ['a', 'a'], 0, { valFraction: 0.5, testFraction: 0.5 }), /below 1/);
  assert.throws(() => stratifiedSplit(['x', 'y'], ['a', 'a'], 0, { valFraction: 0.3, testFraction: 0.3 }), /only 2 image/);
  // Small classes still get one val and one test image.
  assert.deepEqual(stratifiedSplit(['p', 'q', 'r'], ['a', 'a', 'a'], 0).sort(), ['test', 'train', 'val']);
});

test('class count errors list what was found', async () => {
  // Three classes are a multiclass task unless binary is asked for (issue 16).
  await assert.rejects(loadSource(classDirs({ a: 2, b: 1, c: 3 }), { task: 'binary' }), /3 classes found: a, b, c \(2, 1 and 3 images\); binary needs exactly 2/);
  await assert.rejects(loadSource(classDirs({ only: 3 })), /1 class found: only \(3 images\); at least 2 are needed/);
  const emptyClass = classDirs({ a: 3 });
  fs.mkdirSync(path.join(emptyClass, 'b'));
  touch(path.join(emptyClass, 'b', 'readme.txt'));
  // A folder without images is not a class (QA session 3, item 6): it is named as ignored.
  await assert.rejects(loadSource(emptyClass), /1 class found: a \(3 images\); at least 2 are needed; ignored folders without images: b\//);
  await assert.rejects(loadSource(path.join(emptyClass, 'missing')), /data source not found/);
});

test('split folders: given split, val/test optional, aliases, stray folders refused', async () => {
  const root = tempDir();
  classDirs({ x: 3, y: 4 }, path.join(root, 'train'));
  classDirs({ x: 1, y: 2 }, path.join(root, 'valid'));
  touch(path.join(root, 'train', 'x', '.hidden.png'));
  touch(path.join(root, 'train', 'stray.png'));
  const ds = await loadSource(root);
  assert.equal(ds.layout, 'split-dirs');
  assert.deepEqual(ds.split, { kind: 'given' });
  assert.deepEqual(ds.classes, ['x', 'y']);
  assert.equal(ds.items.filter((it) => it.split === 'train').length, 7);
  assert.equal(ds.items.filter((it) => it.split === 'val').length, 3);
  assert.equal(ds.items.filter((it) => it.split === 'test').length, 0);
  assert.equal(ds.ignored.hidden, 1);
  assert.equal(ds.ignored.outside, 1);
  assert.equal(ds.items.find((it) => it.split === 'val')!.relPath.startsWith('valid/'), true);
  classDirs({ z: 1 }, path.join(root, 'test'));
  await assert.rejects(loadSource(root, { task: 'binary' }), /3 classes found/);
  const stray = tempDir();
  classDirs({ x: 1, y: 1 }, path.join(stray, 'train'));
  touch(path.join(stray, 'extras', 'x.png'));
  await assert.rejects(loadSource(stray), /also has: extras\//);
  // Only split folders but no train/ (e.g. a test set for `evaluate`): accepted, training checks come later.
  const onlyTest = tempDir();
  classDirs({ x: 1, y: 1 }, path.join(onlyTest, 'test'));
  const t = await loadSource(onlyTest);
  assert.equal(t.layout, 'split-dirs');
  assert.deepEqual(t.items.map((it) => it.split), ['test', 'test']);
  // A split folder next to class folders is ambiguous.
  const mixed = tempDir();
  classDirs({ x: 1, y: 1 }, path.join(mixed, 'test'));
  classDirs({ cats: 1 }, mixed);
  await assert.rejects(loadSource(mixed), /no train\/ folder/);
});

test('CSV: header optional, paths relative to the CSV, split column, extra columns', async () => {
  const root = tempDir();
  for (const n of ['a1', 'a2', 'a3', 'b1', 'b2', 'b3']) touch(path.join(root, 'imgs', `${n}.png`));
  fs.mkdirSync(path.join(root, 'lists'));
  const withHeader = path.join(root, 'lists', 'data.csv');
  fs.writeFileSync(withHeader, 'notes,path,label,split\r\nx,../imgs/a1.png,ant,train\r\n"y, z",../imgs/a2.png,ant,val\r\n,../imgs/a3.png,ant,test\r\n' +
    ',../imgs/b1.png,bee,TRAIN\r\n,../imgs/b2.png,bee,validation\r\n,../imgs/b3.png,bee,test\r\n');
  const ds = await loadSource(withHeader);
  assert.equal(ds.layout, 'csv');
  assert.equal(ds.root, path.join(root, 'lists'));
  assert.deepEqual(ds.split, { kind: 'given' });
  assert.deepEqual(ds.items.map((it) => it.split), ['train', 'val', 'test', 'train', 'val', 'test']);
  assert.equal(ds.items[0]!.path, path.join(root, 'imgs', 'a1.png'));
  assert.equal(ds.items[0]!.relPath, '../imgs/a1.png');
  assert.deepEqual(ds.classes, ['ant', 'bee']);

  const noHeader = path.join(root, 'plain.csv');
  const rows = [];
  // Ten different files (a file listed twice is an error).
  for (let i = 0; i < 10; i++) {
    const rel = `imgs/${i < 5 ? 'a' : 'b'}${(i % 5) + 1}.png`;
    touch(path.join(root, rel));
    rows.push([rel, i < 5 ? 'ant' : 'bee']);
  }
  fs.writeFileSync(noHeader, rows.map((r) => r.join(',')).join('\n'));
  const d2 = await loadSource(noHeader, { positive: 'ant', seed: 3 });
  assert.equal(d2.split.kind, 'drawn');
  assert.deepEqual(d2.classes, ['bee', 'ant']);
  assert.equal(d2.items.length, 10);
});

test('CSV: missing files are all listed; bad rows are reported with line numbers', async () => {
  const root = tempDir();
  touch(path.join(root, 'ok1.png')); touch(path.join(root, 'ok2.png'));
  const csv = path.join(root, 'm.csv');
  fs.writeFileSync(csv, 'path,label\nok1.png,a\ngone1.png,a\nok2.png,b\nsub/gone2.png,b\n');
  await assert.rejects(loadSource(csv), (e: Error) => {
    assert.match(e.message, /2 listed file\(s\) not found/);
    assert.match(e.message, /line 3: gone1\.png/);
    assert.match(e.message, /line 5: sub\/gone2\.png/);
    return true;
  });
  fs.writeFileSync(csv, 'ok1.png,a\nok2.png\nok2.png,,train\nok1.png,b,holdout\n');
  await assert.rejects(loadSource(csv), (e: Error) => {
    assert.match(e.message, /3 bad row\(s\)/);
    assert.match(e.message, /line 2: 1 field/);
    assert.match(e.message, /line 3: empty label/);
    assert.match(e.message, /line 4: split 'holdout' is not train, val or test/);
    return true;
  });
  fs.writeFileSync(csv, 'ok1.png,a,train\nok2.png,b,\n');
  await assert.rejects(loadSource(csv), /filled on 1 row\(s\) but empty on 1/);
  fs.writeFileSync(csv, '');
  await assert.rejects(loadSource(csv), /CSV is empty/);
  fs.writeFileSync(csv, 'path,label\n');
  await assert.rejects(loadSource(csv), /no data rows/);
  fs.writeFileSync(csv, 'ok1.png,a\nok2.png,a\n');
  await assert.rejects(loadSource(csv), /1 class found: a \(2 images\)/);
});

test('CSV parser: quotes, escaped quotes, embedded newlines, BOM; writer round-trips', () => {
  const rows = parseCsv('\ufeffa,"b,c","say ""hi"""\n"multi\nline",x,\n\n');
  assert.deepEqual(rows.map((r) => r.fields), [['a', 'b,c', 'say "hi"'], ['multi\nline', 'x', '']]);
  assert.deepEqual(rows.map((r) => r.line), [1, 2]);
  assert.throws(() => parseCsv('a,"open\n'), /unterminated/);
  const text = formatCsv(['path', 'label'], [['dir/a, b.png', 'x'], ['q"uote.png', 'y']]);
  assert.deepEqual(parseCsv(text).map((r) => r.fields), [['path', 'label'], ['dir/a, b.png', 'x'], ['q"uote.png', 'y']]);
});

test('a class too small for the requested split is named, with its count, the fractions and what to do', async () => {
  const keys = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${i}`);
  const neg = keys(12, 'n'), pos = keys(2, 'p');
  const cls = [...neg.map(() => 'neg'), ...pos.map(() => 'pos')];
  assert.throws(() => stratifiedSplit([...neg, ...pos], cls, 0), (e: Error) => {
    assert.match(e.message, /class 'pos' has only 2 images/);
    assert.match(e.message, /val 0\.15, test 0\.15/);
    assert.match(e.message, /at least 3 images/);
    assert.match(e.message, /add images of 'pos'/i);
    assert.match(e.message, /lower the fractions/);
    assert.match(e.message, /split folders|split column/);
    assert.doesNotMatch(e.message, /'neg'/, 'the class that is large enough is not blamed');
    return true;
  });
  // Both classes too small: both are named in one message.
  assert.throws(() => stratifiedSplit(['a', 'b', 'c'], ['x', 'x', 'y'], 0), /class 'x' has only 2 images.*\n.*class 'y' has only 1 image\b/s);
  // The same through a folder of class folders.
  await assert.rejects(loadSource(classDirs({ neg: 12, pos: 2 })), /class 'pos' has only 2 images/);
  // With exactly one image per split available, each split gets one.
  const three = stratifiedSplit([...neg, ...keys(3, 'p')], [...neg.map(() => 'neg'), 'pos', 'pos', 'pos'], 0);
  assert.deepEqual(three.slice(12).sort(), ['test', 'train', 'val']);
  // Two images and only a val split asked for: one train, one val (rounding alone would give val none).
  assert.deepEqual(stratifiedSplit(['p', 'q'], ['a', 'a'], 0, { valFraction: 0.15, testFraction: 0 }).sort(), ['train', 'val']);
  // Two images, val and test asked for: not possible, said so.
  assert.throws(() => stratifiedSplit(['p', 'q'], ['a', 'a'], 0), /class 'a' has only 2 images/);
  // Property: whenever a class has enough images, every non-empty split gets at least one, train too.
  for (const fr of [{ valFraction: 0.15, testFraction: 0.15 }, { valFraction: 0.5, testFraction: 0.45 }, { valFraction: 0.05, testFraction: 0 }, { valFraction: 0.3, testFraction: 0.6 }]) {
    const need = 1 + (fr.valFraction > 0 ? 1 : 0) + (fr.testFraction > 0 ? 1 : 0);
    for (let n = need; n <= 25; n++) {
      const s = stratifiedSplit(keys(n, 'k'), keys(n, 'k').map(() => 'c'), n, fr);
      const c = (x: string) => s.filter((v) => v === x).length;
      assert.ok(c('train') >= 1, `n=${n} ${JSON.stringify(fr)}: train`);
      if (fr.valFraction > 0) assert.ok(c('val') >= 1, `n=${n}: val`); else assert.equal(c('val'), 0);
      if (fr.testFraction > 0) assert.ok(c('test') >= 1, `n=${n}: test`); else assert.equal(c('test'), 0);
      // Large classes keep their fractions (rounded).
      if (n >= 20 && fr.valFraction === 0.15) assert.deepEqual([c('val'), c('test')], [Math.round(n * 0.15), Math.round(n * 0.15)]);
    }
  }
});

test('folders without images are not classes: ignored and reported', async () => {
  const root = classDirs({ a: 3, b: 4 });
  fs.mkdirSync(path.join(root, 'empty_c'));
  touch(path.join(root, 'd', 'readme.txt'));
  fs.mkdirSync(path.join(root, 'e', 'sub'), { recursive: true });
  const ds = await loadSource(root);
  assert.deepEqual(ds.classes, ['a', 'b']);
  assert.equal(ds.items.length, 7);
  assert.deepEqual(ds.ignored.emptyFolders, ['d/', 'e/', 'empty_c/']);
  assert.ok(ds.notes.some((n) => /3 folders without images.*d\/, e\/, empty_c\//.test(n)), ds.notes.join('\n'));
  // Only one folder with images: the error lists what was found and what was ignored.
  const one = classDirs({ a: 3 });
  touch(path.join(one, 'b', 'readme.txt'));
  await assert.rejects(loadSource(one), /1 class found: a \(3 images\).*folders without images: b\//s);
  // In split folders too: an empty class folder of one split is not a class.
  const sp = tempDir();
  classDirs({ x: 3, y: 3 }, path.join(sp, 'train'));
  classDirs({ x: 1, y: 1 }, path.join(sp, 'val'));
  fs.mkdirSync(path.join(sp, 'train', 'z'));
  const d2 = await loadSource(sp);
  assert.deepEqual(d2.classes, ['x', 'y']);
  assert.deepEqual(d2.ignored.emptyFolders, ['train/z/']);
});

test('a run or evaluation folder inside the data folder is skipped; exclude names more', async () => {
  const root = classDirs({ a: 3, b: 3 });
  // A finished run: config.json, manifest.csv, audit.json and report images.
  for (const f of ['config.json', 'manifest.csv', 'audit.json', 'history.csv']) touch(path.join(root, 'run1', f), '{}');
  touch(path.join(root, 'run1', 'eval', 'roc_curve.png'));
  touch(path.join(root, 'run1', 'charts', 'loss.png'));
  // A run that failed after the data step (no config.json yet).
  for (const f of ['manifest.csv', 'audit.json']) touch(path.join(root, 'failed', f), 'x');
  touch(path.join(root, 'failed', 'stray.png'));
  // An evaluation folder, nested inside a class folder.
  for (const f of ['metrics.json', 'predictions.csv', 'roc_curve.png', 'pr_curve.png']) touch(path.join(root, 'a', 'ev', f));
  const ds = await loadSource(root);
  assert.deepEqual(ds.classes, ['a', 'b']);
  assert.equal(ds.items.length, 6);
  assert.deepEqual(ds.ignored.outputFolders, ['a/ev/', 'failed/', 'run1/']);
  assert.ok(ds.notes.some((n) => /skipped 3 tlearn output folders/.test(n)), ds.notes.join('\n'));
  // exclude: a folder without the marker files (e.g. a new run's --out), given relative to the cwd.
  const out = path.join(root, 'fresh');
  touch(path.join(out, 'partial.png'));
  const rel = path.relative(process.cwd(), out);
  const ex = await loadSource(root, { exclude: [rel] });
  assert.deepEqual(ex.classes, ['a', 'b']);
  assert.deepEqual(ex.ignored.outputFolders, ['a/ev/', 'failed/', 'fresh/', 'run1/']);
  await assert.rejects(loadSource(root, { task: 'binary' }), /3 classes found: a, b, fresh \(3, 3 and 1 images\)/);
  // Next to split folders: the output folder is not a stray folder.
  const sp = tempDir();
  classDirs({ x: 3, y: 3 }, path.join(sp, 'train'));
  classDirs({ x: 1, y: 1 }, path.join(sp, 'val'));
  touch(path.join(sp, 'out', 'partial.png'));
  await assert.rejects(loadSource(sp), /also has: out\//);
  fs.mkdirSync(path.join(sp, 'notes'));
  touch(path.join(sp, 'notes', 'todo.txt'));
  const d2 = await loadSource(sp, { exclude: [path.join(sp, 'out')] });
  assert.equal(d2.items.length, 8);
  for (const f of ['audit.json', 'manifest.csv']) touch(path.join(sp, 'run2', f));
  const d3 = await loadSource(sp, { exclude: [path.join(sp, 'out')] });
  assert.equal(d3.items.length, 8);
  assert.deepEqual(d3.ignored.outputFolders, ['out/', 'run2/']);
  assert.deepEqual(d3.ignored.emptyFolders, ['notes/'], 'a folder without images next to the split folders is ignored');
});

test('split folders without val/: a seeded stratified val split is drawn from train/; test only from test/', async () => {
  const root = tempDir();
  classDirs({ x: 20, y: 10 }, path.join(root, 'train'));
  classDirs({ x: 2, y: 2 }, path.join(root, 'test'));
  const ds = await loadSource(root, { seed: 5 });
  assert.deepEqual(ds.split, { kind: 'val_drawn', seed: 5, valFraction: 0.15 });
  const count = (cls: string, s: string) => ds.items.filter((it) => it.className === cls && it.split === s).length;
  assert.deepEqual([count('x', 'train'), count('x', 'val'), count('x', 'test')], [17, 3, 2]);
  assert.deepEqual([count('y', 'train'), count('y', 'val'), count('y', 'test')], [8, 2, 2]);
  assert.ok(ds.items.filter((it) => it.split === 'val').every((it) => it.relPath.startsWith('train/')));
  assert.ok(ds.items.filter((it) => it.split === 'test').every((it) => it.relPath.startsWith('test/')));
  assert.ok(ds.notes.some((n) => /no val\/ folder: drew 5 validation images from train\/ \(seeded, stratified; valFraction 0\.15, seed 5\)/.test(n)), ds.notes.join('\n'));
  const again = await loadSource(root, { seed: 5 });
  assert.deepEqual(again.items.map((it) => it.split), ds.items.map((it) => it.split));
  // Only train/: val drawn, no test split invented.
  const only = tempDir();
  classDirs({ x: 10, y: 10 }, path.join(only, 'train'));
  const o = await loadSource(only, { valFraction: 0.2 });
  assert.deepEqual(['train', 'val', 'test'].map((s) => o.items.filter((it) => it.split === s).length), [16, 4, 0]);
  // valFraction 0: nothing drawn, the split stays as given.
  const z = await loadSource(only, { valFraction: 0 });
  assert.deepEqual(z.split, { kind: 'given' });
  assert.equal(z.items.filter((it) => it.split === 'val').length, 0);
  // A class too small to give train/ a validation image: said so.
  const small = tempDir();
  classDirs({ x: 10, y: 1 }, path.join(small, 'train'));
  await assert.rejects(loadSource(small), /no val\/ folder, so a validation split is drawn from train\/: .*class 'y' has only 1 image/s);
  // A CSV whose split column has no val rows: the same, from its train rows.
  const csvDir = tempDir();
  const lines = ['path,label,split'];
  for (let i = 0; i < 10; i++) { touch(path.join(csvDir, `a${i}.png`)); lines.push(`a${i}.png,a,train`); }
  for (let i = 0; i < 10; i++) { touch(path.join(csvDir, `b${i}.png`)); lines.push(`b${i}.png,b,${i < 2 ? 'test' : 'train'}`); }
  fs.writeFileSync(path.join(csvDir, 'l.csv'), lines.join('\n'));
  const c = await loadSource(path.join(csvDir, 'l.csv'));
  assert.equal(c.split.kind, 'val_drawn');
  assert.deepEqual(['train', 'val', 'test'].map((s) => c.items.filter((it) => it.split === s).length), [15, 3, 2]);
  assert.ok(c.notes.some((n) => /no val rows: drew 3 validation images from the train rows/.test(n)), c.notes.join('\n'));
});

test('CSV headers: common column names accepted and reported; an unknown header is named, not read as data', async () => {
  const root = tempDir();
  for (const n of ['a1', 'a2', 'a3', 'b1', 'b2', 'b3']) touch(path.join(root, `${n}.png`));
  const csv = path.join(root, 'l.csv');
  const rows = (split: boolean) => ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'].map((n, i) => `${n}.png,${n[0]}${split ? ',' + ['train', 'val', 'test'][i % 3] : ''}`);
  fs.writeFileSync(csv, ['filename,class', ...rows(false)].join('\n'));
  const d1 = await loadSource(csv, { valFraction: 0.3, testFraction: 0.3 });
  assert.equal(d1.items.length, 6);
  assert.deepEqual(d1.classes, ['a', 'b']);
  assert.ok(d1.notes.some((n) => n === "CSV columns used: path from 'filename', label from 'class' (no split column)"), d1.notes.join('\n'));
  fs.writeFileSync(csv, ['Image,Label,Split', ...rows(true)].join('\n'));
  const d2 = await loadSource(csv);
  assert.deepEqual(d2.split, { kind: 'given' });
  assert.deepEqual(d2.items.map((it) => it.split), ['train', 'val', 'test', 'train', 'val', 'test']);
  assert.ok(d2.notes.some((n) => n === "CSV columns used: path from 'Image', label from 'Label', split from 'Split'"), d2.notes.join('\n'));
  fs.writeFileSync(csv, ['id,file_path,target,fold', ...rows(true).map((r, i) => `${i},${r}`)].join('\n'));
  assert.equal((await loadSource(csv)).items.length, 6);
  // Not recognised: said so with what was expected and what was found.
  fs.writeFileSync(csv, ['file_id,diagnosis', ...rows(false)].join('\n'));
  await assert.rejects(loadSource(csv), /header not recognised: expected path,label\[,split\] \(got: file_id,diagnosis\)/);
  fs.writeFileSync(csv, ['picture,kind,split', ...rows(true)].join('\n'));
  await assert.rejects(loadSource(csv), /header not recognised: expected path,label\[,split\] \(got: picture,kind,split\)/);
  fs.writeFileSync(csv, ['path,diagnosis', ...rows(false)].join('\n'));
  await assert.rejects(loadSource(csv), /header not recognised: .*no label column.*got: path,diagnosis/);
  // A headerless CSV still works.
  fs.writeFileSync(csv, rows(true).join('\n'));
  assert.equal((await loadSource(csv)).items.length, 6);
});

test('CSV: every row problem is reported in one error, in line order', async () => {
  const root = tempDir();
  touch(path.join(root, 'ok1.png')); touch(path.join(root, 'ok2.png'));
  const csv = path.join(root, 'm.csv');
  fs.writeFileSync(csv, 'path,label,split\nok1.png,a,train\nok2.png,b\ngone.png,a,train\nok2.png,b,holdout\nok1.png,,val\n');
  await assert.rejects(loadSource(csv), (e: Error) => {
    assert.match(e.message, /3 bad row\(s\) and 1 listed file\(s\) not found/);
    const lines = e.message.split('\n').filter((l) => /^\s+line \d+/.test(l)).map((l) => l.trim());
    assert.deepEqual(lines.map((l) => l.split(':')[0]), ['line 3', 'line 4', 'line 5', 'line 6']);
    assert.match(e.message, /line 4: gone\.png \(not found\)/);
    return true;
  });
});

test('CSV: a headerless first row whose file is missing is data (reported missing), even when its label is a column name', async () => {
  const root = tempDir();
  touch(path.join(root, 'b.png'));
  const csv = path.join(root, 'l.csv');
  fs.writeFileSync(csv, 'a.png,y\nb.png,n\n');
  await assert.rejects(loadSource(csv), /1 listed file\(s\) not found.*\n\s+line 1: a\.png \(not found\)/);
  fs.writeFileSync(csv, 'imgs/a,class\nb.png,n\n');
  await assert.rejects(loadSource(csv), /line 1: imgs\/a \(not found\)/);
});

test('CSV: the class count joins the row problems; case-only label differences and other delimiters are pointed out', async () => {
  const root = tempDir();
  for (const n of ['a1', 'a2', 'b1', 'b2']) touch(path.join(root, `${n}.png`));
  const csv = path.join(root, 'l.csv');
  fs.writeFileSync(csv, 'path,label\na1.png,neg\na2.png,neg\nb1.png,pos\nb2.png,Pos\ngone.png,neg\n');
  await assert.rejects(loadSource(csv, { task: 'binary' }), (e: Error) => {
    assert.match(e.message, /1 listed file\(s\) not found/);
    assert.match(e.message, /3 classes found: Pos, neg, pos \(1, 3 and 1 images\); binary needs exactly 2/);
    assert.match(e.message, /labels 'Pos' and 'pos' differ only in case/);
    return true;
  });
  // Three labels are a multiclass task by default: the case-only difference is still pointed out.
  await assert.rejects(loadSource(csv), /1 listed file\(s\) not found[\s\S]*Also: labels 'Pos' and 'pos' differ only in case/);
  fs.writeFileSync(csv, 'path;label\na1.png;neg\nb1.png;pos\n');
  await assert.rejects(loadSource(csv), /separated by ';'.*tlearn reads comma-separated/);
});

test('CSV written on Windows: relative paths with backslashes are read with slashes, and the audit notes say so', async () => {
  const root = tempDir();
  for (const n of ['a1', 'a2', 'b1', 'b2']) touch(path.join(root, 'imgs', 'sub', `${n}.png`));
  const csv = path.join(root, 'win.csv');
  fs.writeFileSync(csv, 'path,label,split\r\nimgs\\sub\\a1.png,a,train\r\nimgs\\sub\\a2.png,a,val\r\nimgs/sub/b1.png,b,train\r\nimgs\\sub\\b2.png,b,val\r\n');
  const ds = await loadSource(csv);
  assert.deepEqual(ds.items.map((it) => it.relPath), ['imgs/sub/a1.png', 'imgs/sub/a2.png', 'imgs/sub/b1.png', 'imgs/sub/b2.png']);
  assert.equal(ds.items[0]!.path, path.join(root, 'imgs', 'sub', 'a1.png'));
  assert.ok(ds.notes.some((n) => /3 paths written with '\\' \(Windows\) were read with '\/'/.test(n)), ds.notes.join('\n'));
  // A backslash path that exists neither way is reported missing as written, with the Windows hint.
  fs.writeFileSync(csv, 'path,label\r\nimgs\\sub\\a1.png,a\r\nimgs\\nope\\x.png,a\r\nimgs\\sub\\b1.png,b\r\nC:\\data\\b2.png,b\r\n');
  await assert.rejects(loadSource(csv), (e: Error) => {
    assert.match(e.message, /2 listed file\(s\) not found/);
    assert.match(e.message, /line 3: imgs\\nope\\x\.png \(not found\)/);
    assert.match(e.message, /line 5: C:\\data\\b2\.png \(not found\)/);
    assert.match(e.message, /paths with '\\' were also tried with '\/'/);
    return true;
  });
});

test('CSV: a file listed twice is an error naming both lines (different label/split, or an identical row)', async () => {
  const root = tempDir();
  for (const f of ['a1.png', 'a2.png', 'sub/b1.png', 'sub/b2.png']) touch(path.join(root, f), f);
  const csv = path.join(root, 'd.csv');
  // './sub/b1.png' and 'sub/b1.png' name the same file.
  fs.writeFileSync(csv, 'path,label,split\na1.png,a,train\nsub/b1.png,b,train\na2.png,a,val\nsub/b2.png,b,val\n./sub/b1.png,a,test\n');
  await assert.rejects(loadSource(csv), (e: Error) => {
    assert.match(e.message, /1 file\(s\) listed more than once/);
    assert.match(e.message, /line 6: \.\/sub\/b1\.png is listed twice \(lines 3 and 6\) with different labels \(b, a\) and splits \(train, test\)/);
    return true;
  });
  fs.writeFileSync(csv, 'path,label,split\na1.png,a,train\nsub/b1.png,b,train\na2.png,a,val\nsub/b2.png,b,val\nsub/b1.png,b,train\n');
  await assert.rejects(loadSource(csv), /line 6: sub\/b1\.png is listed twice \(lines 3 and 6\) with the same label and split: remove one \(a duplicate row would count the image twice\)/);
  fs.writeFileSync(csv, 'a1.png,a\nsub/b1.png,b\na2.png,a\nsub/b1.png,b\nsub/b1.png,b\n');
  // Three times: one line for the file, naming all its lines (not one line per repeat).
  await assert.rejects(loadSource(csv), (e: Error) => {
    assert.match(e.message, /1 file\(s\) listed more than once/);
    assert.match(e.message, /line 4: sub\/b1\.png is listed 3 times \(lines 2, 4 and 5\) with the same label: keep one/);
    assert.equal(e.message.match(/sub\/b1\.png is listed/g)?.length, 1, e.message);
    return true;
  });
});
