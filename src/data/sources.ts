// Data sources: DIR/{train,val,test}/<class>/..., DIR/<class>/... (split drawn here, seeded and
// stratified), or a CSV of path,label[,split] with paths relative to the CSV. Exactly two classes.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseCsv } from './csv.js';
import { DEFAULT_FRACTIONS, stratifiedSplit, type SplitFractions } from './split.js';
import type { DataItem, Dataset, IgnoredFiles, Split } from './types.js';

/** Extensions decoded by the pipeline (case-insensitive). Anything else in a folder is ignored and counted. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif',
]);

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

export interface SourceOptions {
  /** Name of the positive class; default: the second class in sorted order. */
  positive?: string;
  /** Seed of the drawn split (class-dirs layout, or a CSV without a split column). Default 0. */
  seed?: number;
  /** Fraction of each class drawn into val (default 0.15). */
  valFraction?: number;
  /** Fraction of each class drawn into test (default 0.15). */
  testFraction?: number;
}

const SPLIT_NAMES: Record<string, Split> = { train: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test' };

export function parseSplitName(s: string): Split | undefined {
  return SPLIT_NAMES[s.trim().toLowerCase()];
}

const MAX_LISTED = 20;

function listSome(items: string[], n = MAX_LISTED): string {
  const head = items.slice(0, n).map((s) => `  ${s}`).join('\n');
  return items.length > n ? `${head}\n  ... and ${items.length - n} more` : head;
}

const toPosix = (p: string) => p.split(path.sep).join('/');
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Loads a dataset description (no pixels are read here). */
export async function loadSource(source: string, opts: SourceOptions = {}): Promise<Dataset> {
  let st;
  try { st = await stat(source); } catch {
    throw new Error(`data source not found: ${source} (expected a folder of class folders, or a CSV file)`);
  }
  const abs = path.resolve(source);
  if (st.isFile()) return loadCsv(abs, opts);
  if (!st.isDirectory()) throw new Error(`data source is neither a folder nor a file: ${source}`);
  return loadFolder(abs, opts);
}

function newIgnored(): IgnoredFiles { return { hidden: 0, nonImage: 0, outside: 0, examples: [] }; }

function noteIgnored(ig: IgnoredFiles, kind: 'hidden' | 'nonImage' | 'outside', p: string): void {
  ig[kind]++;
  if (ig.examples.length < 10) ig.examples.push(p);
}

interface Entry { name: string; full: string; isDir: boolean; isFile: boolean }

async function entries(dir: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, d.name);
    let isDir = d.isDirectory(), isFile = d.isFile();
    if (d.isSymbolicLink()) {
      try { const s = await stat(full); isDir = s.isDirectory(); isFile = s.isFile(); } catch { isDir = false; isFile = false; }
    }
    out.push({ name: d.name, full, isDir, isFile });
  }
  return out.sort((a, b) => byString(a.name, b.name));
}

/** All image files under dir (recursively, hidden entries and non-images skipped and counted). */
async function walkImages(dir: string, root: string, ig: IgnoredFiles, seen: Set<string>): Promise<string[]> {
  const real = await realpath(dir);
  if (seen.has(real)) return []; // a symlink loop, or the same folder linked twice
  seen.add(real);
  const files: string[] = [];
  for (const e of await entries(dir)) {
    const rel = toPosix(path.relative(root, e.full));
    if (e.name.startsWith('.')) { noteIgnored(ig, 'hidden', rel); continue; }
    if (e.isDir) files.push(...await walkImages(e.full, root, ig, seen));
    else if (e.isFile) {
      if (isImageFile(e.name)) files.push(e.full); else noteIgnored(ig, 'nonImage', rel);
    }
  }
  return files;
}

interface Found { path: string; className: string; split?: Split }

async function loadFolder(root: string, opts: SourceOptions): Promise<Dataset> {
  const ig = newIgnored();
  const top = await entries(root);
  const dirs = top.filter((e) => e.isDir && !e.name.startsWith('.'));
  for (const e of top) {
    if (e.name.startsWith('.')) noteIgnored(ig, 'hidden', e.name);
    else if (!e.isDir) noteIgnored(ig, 'outside', e.name);
  }
  const splitDirs = dirs.filter((d) => parseSplitName(d.name));
  const found: Found[] = [];
  const classFolders = new Map<string, number>(); // class -> image count (folders with none included)
  const seen = new Set<string>();

  const readClassDirs = async (parent: string, split?: Split) => {
    for (const e of await entries(parent)) {
      const rel = toPosix(path.relative(root, e.full));
      if (e.name.startsWith('.')) { if (parent !== root) noteIgnored(ig, 'hidden', rel); continue; }
      if (!e.isDir) { if (parent !== root) noteIgnored(ig, 'outside', rel); continue; }
      const files = await walkImages(e.full, root, ig, seen);
      classFolders.set(e.name, (classFolders.get(e.name) ?? 0) + files.length);
      for (const f of files) found.push({ path: f, className: e.name, split });
    }
  };

  let layout: Dataset['layout'];
  // Split folders: a train/ folder, or only split-named folders (e.g. just test/ for `evaluate`).
  if (splitDirs.some((d) => parseSplitName(d.name) === 'train') || (splitDirs.length > 0 && splitDirs.length === dirs.length)) {
    layout = 'split-dirs';
    const others = dirs.filter((d) => !parseSplitName(d.name));
    if (others.length) {
      throw new Error(`${root}: has split folders, so its folders should be train, val and test only, ` +
        `but it also has: ${others.map((d) => d.name + '/').join(', ')}`);
    }
    const bySplit = new Map<Split, string[]>();
    for (const d of splitDirs) {
      const s = parseSplitName(d.name)!;
      bySplit.set(s, [...(bySplit.get(s) ?? []), d.name]);
    }
    for (const [s, names] of bySplit) {
      if (names.length > 1) throw new Error(`${root}: several folders name the ${s} split: ${names.join(', ')}`);
    }
    for (const d of splitDirs) await readClassDirs(d.full, parseSplitName(d.name)!);
  } else {
    if (splitDirs.length) {
      throw new Error(`${root}: has ${splitDirs.map((d) => d.name + '/').join(', ')} but no train/ folder ` +
        `(use train/ with optional val/ and test/, or class folders directly in ${root})`);
    }
    layout = 'class-dirs';
    await readClassDirs(root);
  }
  const classes = checkClasses(classFolders, root, opts.positive);
  return build(root, root, layout, found, classes, opts, ig);
}

/** Exactly two classes with images; returns [negative, positive]. */
function checkClasses(counts: Map<string, number>, where: string, positive?: string): [string, string] {
  const names = [...counts.keys()].sort(byString);
  const desc = names.map((n) => `'${n}' (${counts.get(n)} image${counts.get(n) === 1 ? '' : 's'})`).join(', ');
  if (names.length !== 2) {
    throw new Error(`${where}: expected exactly 2 classes, found ${names.length}${names.length ? ': ' + desc : ''}`);
  }
  const empty = names.filter((n) => counts.get(n) === 0);
  if (empty.length) throw new Error(`${where}: class ${empty.map((n) => `'${n}'`).join(' and ')} has no images (classes found: ${desc})`);
  if (positive !== undefined) {
    if (!names.includes(positive)) throw new Error(`positive class '${positive}' is not one of the classes found in ${where}: ${desc}`);
    return [names.find((n) => n !== positive)!, positive];
  }
  return [names[0]!, names[1]!];
}

function build(source: string, root: string, layout: Dataset['layout'], found: Found[], classes: [string, string],
  opts: SourceOptions, ignored: IgnoredFiles): Dataset {
  const rel = found.map((f) => toPosix(path.relative(root, f.path)));
  let split: Dataset['split'];
  let splits: Split[];
  if (found.every((f) => f.split)) {
    split = { kind: 'given' };
    splits = found.map((f) => f.split!);
  } else {
    const fractions: SplitFractions = {
      valFraction: opts.valFraction ?? DEFAULT_FRACTIONS.valFraction,
      testFraction: opts.testFraction ?? DEFAULT_FRACTIONS.testFraction,
    };
    const seed = opts.seed ?? 0;
    try {
      splits = stratifiedSplit(rel, found.map((f) => f.className), seed, fractions);
    } catch (e) {
      throw new Error(`${source}: ${(e as Error).message}`);
    }
    split = { kind: 'drawn', seed, ...fractions };
  }
  const items: DataItem[] = found.map((f, i) => ({
    path: f.path, relPath: rel[i]!, className: f.className, label: f.className === classes[1] ? 1 : 0, split: splits[i]!,
  }));
  return { root, source, layout, classes, positiveClass: classes[1], items, ignored, split };
}

async function loadCsv(file: string, opts: SourceOptions): Promise<Dataset> {
  const root = path.dirname(file);
  const rows = parseCsv(await readFile(file, 'utf8'), file);
  if (rows.length === 0) throw new Error(`${file}: CSV is empty (expected rows of path,label[,split])`);
  const first = rows[0]!.fields.map((f) => f.trim().toLowerCase());
  let pathCol = 0, labelCol = 1, splitCol = -1, body = rows;
  const hasHeader = first.includes('path') && first.includes('label');
  if (hasHeader) {
    pathCol = first.indexOf('path'); labelCol = first.indexOf('label'); splitCol = first.indexOf('split');
    body = rows.slice(1);
  }
  const bad: string[] = [];
  const parsed: Array<{ line: number; rel: string; label: string; split?: string }> = [];
  for (const r of body) {
    const f = r.fields;
    if (hasHeader) {
      if (f.length !== first.length) { bad.push(`line ${r.line}: ${f.length} fields, header has ${first.length}`); continue; }
    } else if (f.length !== 2 && f.length !== 3) {
      bad.push(`line ${r.line}: ${f.length} field(s), expected path,label or path,label,split`); continue;
    }
    const rel = f[pathCol]!.trim(), label = f[labelCol]!.trim();
    const sp = hasHeader ? (splitCol >= 0 ? f[splitCol]!.trim() : undefined) : f[2]?.trim();
    if (!rel) { bad.push(`line ${r.line}: empty path`); continue; }
    if (!label) { bad.push(`line ${r.line}: empty label for ${rel}`); continue; }
    if (sp && !parseSplitName(sp)) { bad.push(`line ${r.line}: split '${sp}' is not train, val or test`); continue; }
    parsed.push({ line: r.line, rel, label, split: sp || undefined });
  }
  if (bad.length) throw new Error(`${file}: ${bad.length} bad row(s):\n${listSome(bad)}`);
  if (parsed.length === 0) throw new Error(`${file}: CSV has no data rows (expected rows of path,label[,split])`);
  const withSplit = parsed.filter((p) => p.split).length;
  if (withSplit > 0 && withSplit < parsed.length) {
    const missing = parsed.filter((p) => !p.split).map((p) => `line ${p.line}: ${p.rel}`);
    throw new Error(`${file}: the split column is filled on ${withSplit} row(s) but empty on ${missing.length}; fill it on every row or on none:\n${listSome(missing)}`);
  }
  // Every listed file must exist; report them all at once.
  const missing: string[] = [];
  const found: Found[] = [];
  const counts = new Map<string, number>();
  await Promise.all(parsed.map(async (p) => {
    const full = path.resolve(root, p.rel);
    try {
      const s = await stat(full);
      if (!s.isFile()) { missing.push(`line ${p.line}: ${p.rel} (not a file)`); return; }
    } catch { missing.push(`line ${p.line}: ${p.rel}`); return; }
  }));
  if (missing.length) {
    missing.sort((a, b) => parseInt(a.slice(5), 10) - parseInt(b.slice(5), 10));
    throw new Error(`${file}: ${missing.length} listed file(s) not found (paths are relative to the CSV's folder ${root}):\n${listSome(missing)}`);
  }
  for (const p of parsed) {
    found.push({ path: path.resolve(root, p.rel), className: p.label, split: p.split ? parseSplitName(p.split) : undefined });
    counts.set(p.label, (counts.get(p.label) ?? 0) + 1);
  }
  const classes = checkClasses(counts, file, opts.positive);
  const ds = build(file, root, 'csv', found, classes, opts, newIgnored());
  // Keep the CSV's own spelling of each path (relative paths may contain '..').
  ds.items.forEach((it, i) => { it.relPath = parsed[i]!.rel; });
  return ds;
}
