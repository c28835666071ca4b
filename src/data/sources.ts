// Data sources: DIR/{train,val,test}/<class>/..., DIR/<class>/... (split drawn here, seeded and
// stratified), or a CSV of path,label[,split] with paths relative to the CSV. The task follows from the
// classes found unless one is asked for: 2 classes binary, more multiclass, ';'-separated labels multilabel.
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseCsv } from './csv.js';
import { csvColumns } from './csv-header.js';
import { shorten } from '../format/quote.js';
import { decodeText } from './text.js';
import {
  IMAGE_EXTENSIONS, isImageFile, outputFolderKind, parseSplitName, unsupportedImageExtension, unsupportedImagesText,
} from './names.js';
import { DEFAULT_FRACTIONS, stratifiedSplit, type SplitFractions } from './split.js';
import { iterativeSplit } from './split-multilabel.js';
import { FolderWalker } from './walk.js';
import { specialKind } from '../io/regular-file.js';
import type { DataItem, Dataset, IgnoredFiles, Split, TaskKind, TaskRequest } from './types.js';

export { IMAGE_EXTENSIONS, isImageFile, parseSplitName };

export interface SourceOptions {
  /**
   * The task (default 'auto': exactly 2 classes binary, more multiclass; a CSV whose labels hold ';'-separated
   * names, or whose label column is `labels`, multilabel). 'binary' needs exactly 2 classes; 'multiclass'
   * and 'multilabel' at least 2. Only 'multilabel' and 'auto' split a CSV's labels at ';'.
   */
  task?: TaskRequest;
  /** Name of the positive class (binary only); default: the second class in sorted order. */
  positive?: string;
  /** Seed of the drawn split (class-dirs layout, or a CSV without a split column). Default 0. */
  seed?: number;
  /** Fraction of each class drawn into val (default 0.15). */
  valFraction?: number;
  /** Fraction of each class drawn into test (default 0.15). */
  testFraction?: number;
  /**
   * Folders to leave out of a folder scan (resolved from the working directory), e.g. a run's --out
   * folder inside the data folder. Folders holding a tlearn run or evaluation are skipped anyway.
   */
  exclude?: string[];
  /**
   * When a given split has no val images, draw them from train (default true). Evaluating the test split
   * needs no val, so a train too small to give one must not stop it.
   */
  drawVal?: boolean;
  /**
   * The classes a model knows (binary: [negative, positive]) and its task (default: binary for 2 classes, else
   * multiclass), with the model's name for messages. The model's task is the data's; data with a subset of its
   * classes is accepted (evaluating a positives-only folder measures sensitivity), and returns these classes.
   * A binary model's data with two classes is returned as found, as before: its caller compares the names.
   */
  knownClasses?: { classes: readonly string[]; owner: string; task?: TaskKind };
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
  if (!st.isDirectory()) throw new Error(`${source}: not a regular file (${specialKind(st)}): the data is a folder of class folders, or a CSV file`);
  return loadFolder(abs, opts);
}

function newIgnored(): IgnoredFiles {
  return { hidden: 0, nonImage: 0, unsupported: {}, outside: 0, examples: [], emptyFolders: [], outputFolders: [] };
}

function noteIgnored(ig: IgnoredFiles, kind: 'hidden' | 'nonImage' | 'outside', p: string): void {
  ig[kind]++;
  if (ig.examples.length < 10) ig.examples.push(p);
  const ext = kind === 'hidden' ? undefined : unsupportedImageExtension(p);
  if (ext) ig.unsupported[ext] = (ig.unsupported[ext] ?? 0) + 1;
}

const countAll = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

const realOrResolved = async (p: string) => { try { return await realpath(p); } catch { return path.resolve(p); } };

/**
 * One scan of a data folder, through the shared walker (walk.ts: its link policy): what was ignored, what to
 * skip. Every entry that is not a folder counts as a file: a broken link or a special file (a FIFO) named like
 * an image becomes an item that the probe reports as unreadable, instead of being dropped without a word.
 */
class FolderScan {
  readonly ig = newIgnored();
  /** Folders without images that hold images tlearn cannot read (BMP, PNM): counts by extension. */
  readonly unsupportedIn = new Map<string, Record<string, number>>();
  constructor(readonly walker: FolderWalker, private readonly exclude: ReadonlySet<string>) {}

  rel(full: string): string { return this.walker.rel(full); }

  /**
   * All image files under dir (recursively; hidden entries and non-images skipped and counted), or null
   * when dir is tlearn output or excluded (recorded in ig.outputFolders).
   */
  async images(dir: string): Promise<string[] | null> {
    if (this.exclude.has(await this.walker.real(dir))) { this.ig.outputFolders.push(this.rel(dir) + '/'); return null; }
    const list = await this.walker.list(dir);
    if (outputFolderKind(new Set(list.map((e) => e.name)))) { this.ig.outputFolders.push(this.rel(dir) + '/'); return null; }
    const files: string[] = [];
    for (const e of list) {
      const rel = this.rel(e.full);
      if (e.name.startsWith('.')) { noteIgnored(this.ig, 'hidden', rel); continue; }
      if (e.isDir) files.push(...(await this.images(e.full)) ?? []);
      else if (isImageFile(e.name)) files.push(e.full);
      else noteIgnored(this.ig, 'nonImage', rel);
    }
    return files;
  }

  /** The images of a would-be class folder; a folder with none is not a class (recorded, returns null). */
  async classImages(dir: string): Promise<string[] | null> {
    const before = { ...this.ig.unsupported };
    const files = await this.images(dir);
    if (files && files.length === 0) {
      const rel = this.rel(dir) + '/';
      this.ig.emptyFolders.push(rel);
      const here: Record<string, number> = {};
      for (const [ext, n] of Object.entries(this.ig.unsupported)) if (n > (before[ext] ?? 0)) here[ext] = n - (before[ext] ?? 0);
      if (countAll(here)) this.unsupportedIn.set(rel, here);
    }
    return files && files.length ? files : null;
  }
}

/** One image found; `labels`: its label names, when labels are lists (multilabel). */
interface Found { path: string; className: string; split?: Split; labels?: string[] }

async function loadFolder(root: string, opts: SourceOptions): Promise<Dataset> {
  const exclude = new Set(await Promise.all((opts.exclude ?? []).map(realOrResolved)));
  const walker = await FolderWalker.open(root);
  const scan = new FolderScan(walker, exclude);
  const ig = scan.ig;
  const top = await walker.list(root);
  const dirs = top.filter((e) => e.isDir && !e.name.startsWith('.'));
  for (const e of top) {
    if (e.name.startsWith('.')) noteIgnored(ig, 'hidden', e.name);
    else if (!e.isDir) noteIgnored(ig, 'outside', e.name);
  }
  const splitDirs = dirs.filter((d) => parseSplitName(d.name));
  const found: Found[] = [];
  const classFolders = new Map<string, number>(); // class -> image count

  const addClass = (name: string, files: string[], split?: Split) => {
    classFolders.set(name, (classFolders.get(name) ?? 0) + files.length);
    for (const f of files) found.push({ path: f, className: name, split });
  };
  // Every other top-level folder is walked first: in the class-folders layout these are the classes; next
  // to split folders, those holding images are stray folders (an error) and those without are ignored.
  const others = new Map<string, string[]>();
  for (const d of dirs) {
    if (parseSplitName(d.name)) continue;
    const files = await scan.classImages(d.full);
    if (files) others.set(d.name, files);
  }

  let layout: Dataset['layout'];
  if (splitDirs.length === 0) {
    layout = 'class-dirs';
    for (const [name, files] of others) addClass(name, files);
  } else if (splitDirs.some((d) => parseSplitName(d.name) === 'train') || others.size === 0) {
    // Split folders: a train/ folder, or only split-named folders (e.g. just test/ for `evaluate`).
    layout = 'split-dirs';
    if (others.size) {
      throw new Error(`${root}: has split folders, so its folders should be train, val and test only, ` +
        `but it also has: ${[...others.keys()].map((d) => d + '/').join(', ')}`);
    }
    const bySplit = new Map<Split, string[]>();
    for (const d of splitDirs) {
      const s = parseSplitName(d.name)!;
      bySplit.set(s, [...(bySplit.get(s) ?? []), d.name]);
    }
    for (const [s, names] of bySplit) {
      if (names.length > 1) throw new Error(`${root}: several folders name the ${s} split: ${names.join(', ')}`);
    }
    for (const d of splitDirs) {
      const split = parseSplitName(d.name)!;
      for (const e of await walker.list(d.full)) {
        const rel = scan.rel(e.full);
        if (e.name.startsWith('.')) { noteIgnored(ig, 'hidden', rel); continue; }
        if (!e.isDir) { noteIgnored(ig, 'outside', rel); continue; }
        const files = await scan.classImages(e.full);
        if (files) addClass(e.name, files, split);
      }
    }
  } else {
    throw new Error(`${root}: has ${splitDirs.map((d) => d.name + '/').join(', ')} but no train/ folder ` +
      `(use train/ with optional val/ and test/, or class folders directly in ${root})`);
  }
  ig.emptyFolders.sort(byString);
  ig.outputFolders.sort(byString);
  const notes = ignoredFolderNotes(ig, scan.unsupportedIn);
  const twice = await walker.reachedTwice(found.map((f) => f.path));
  if (twice.length) notes.push(reachedTwiceNote(twice.map((g) => g.map((f) => walker.rel(f)))));
  const request = taskRequest(opts);
  if (request === 'multilabel') for (const f of found) f.labels = [f.className];
  const resolved = resolveClasses(classFolders, root, {
    task: request, positive: opts.positive, ignored: ignoredFolderText(ig, scan.unsupportedIn), known: opts.knownClasses,
  });
  return build(root, root, layout, found, resolved, opts, ig, [...notes, ...taskNotes(resolved, classFolders, request)]);
}

const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;

/** Files reached through links under several names: each name is an item, and the audit counts them as duplicates. */
function reachedTwiceNote(groups: string[][]): string {
  const shown = groups.slice(0, 3).map((g) => g.join(' = ')).join('; ');
  return `${plural(groups.length, 'file')} reached under more than one name through symbolic links (each name is used, ` +
    `see duplicates): ${shown}${groups.length > 3 ? `; ... and ${groups.length - 3} more` : ''}`;
}

/** Class names that differ only in case (e.g. 'Pos' and 'pos'): most likely a typo in the labels. */
function caseOnly(names: string[]): string {
  const groups = new Map<string, string[]>();
  for (const n of names) groups.set(n.toLowerCase(), [...(groups.get(n.toLowerCase()) ?? []), n]);
  const same = [...groups.values()].filter((g) => g.length > 1);
  return same.map((g) => `; labels ${g.map((n) => `'${n}'`).join(' and ')} differ only in case (labels are case-sensitive)`).join('');
}

/** ' (holds 4 .bmp files ...)' after a folder without images that holds images tlearn cannot read. */
function unsupportedNote(folder: string, unsupportedIn: ReadonlyMap<string, Record<string, number>>): string {
  const c = unsupportedIn.get(folder);
  if (!c) return '';
  const n = countAll(c);
  return ` (holds ${Object.keys(c).sort().map((e) => `${c[e]} ${e}`).join(', ')} file${n === 1 ? '' : 's'})`;
}

function ignoredFolderNotes(ig: IgnoredFiles, unsupportedIn: ReadonlyMap<string, Record<string, number>>): string[] {
  const notes: string[] = [];
  if (ig.emptyFolders.length) {
    notes.push(`ignored ${plural(ig.emptyFolders.length, 'folder')} without images (not classes): ` +
      ig.emptyFolders.map((f) => f + unsupportedNote(f, unsupportedIn)).join(', ') +
      (unsupportedIn.size ? '; tlearn cannot read BMP/PNM images: convert them to PNG' : ''));
  }
  if (ig.outputFolders.length) {
    notes.push(`skipped ${plural(ig.outputFolders.length, 'tlearn output folder')} inside the data folder ` +
      `(a run or an evaluation, or excluded): ${ig.outputFolders.join(', ')}`);
  }
  return notes;
}

/** For the class-count error: what was left out, so a folder the user expected as a class can be found. */
function ignoredFolderText(ig: IgnoredFiles, unsupportedIn: ReadonlyMap<string, Record<string, number>>): string {
  const unsupported = unsupportedImagesText(ig.unsupported);
  return (ig.emptyFolders.length
    ? `; ignored folders without images: ${ig.emptyFolders.map((f) => f + unsupportedNote(f, unsupportedIn)).join(', ')}` : '') +
    (ig.outputFolders.length ? `; skipped tlearn output folders: ${ig.outputFolders.join(', ')}` : '') +
    (unsupported ? `; ${unsupported}` : '');
}

/** The task the options ask for: a model's own, else `task`, else 'auto'. */
function taskRequest(opts: SourceOptions): TaskRequest {
  const k = opts.knownClasses;
  if (k) return k.task ?? (k.classes.length === 2 ? 'binary' : 'multiclass');
  return opts.task ?? 'auto';
}

interface Resolved { task: TaskKind; classes: string[] }

/** "3 classes found: a, b, c (2, 1 and 3 images)", at most MAX_LISTED names. */
function foundText(names: string[], counts: Map<string, number>): string {
  if (names.length === 0) return '0 classes found';
  const shown = names.slice(0, MAX_LISTED);
  const more = names.length > shown.length ? ` and ${names.length - shown.length} more` : '';
  const images = shown.length === 1 ? plural(counts.get(shown[0]!)!, 'image') : `${joinAnd(shown.map((n) => counts.get(n)!))}${more ? ', ...' : ''} images`;
  return `${plural(names.length, 'class', 'classes')} found: ${shown.map((n) => shorten(n)).join(', ')}${more} (${images})`;
}

/**
 * The task and its classes from the images per class (per label for a multilabel CSV). binary: exactly two
 * classes, [negative, positive]; multiclass and multilabel: at least two, sorted (a model's: its own order).
 */
function resolveClasses(counts: Map<string, number>, where: string, o: {
  task: TaskRequest; positive?: string; ignored?: string; known?: SourceOptions['knownClasses']; multilabel?: boolean;
}): Resolved {
  const names = [...counts.keys()].sort(byString);
  const desc = names.map((n) => `'${shorten(n)}' (${plural(counts.get(n)!, 'image')})`).join(', ');
  const ignored = o.ignored ?? '';
  const found = foundText(names, counts);
  const known = o.known;
  if (known && o.task !== 'binary') {
    const foreign = names.filter((n) => !known.classes.includes(n));
    if (foreign.length || names.length === 0) {
      throw new Error(`${where}: ${found}${foreign.length ? `; not among the classes of ${known.owner}: ${foreign.map((n) => `'${shorten(n)}'`).join(', ')}` : ''} ` +
        `(its classes: ${known.classes.join(', ')})${ignored}`);
    }
    return { task: o.task === 'multilabel' ? 'multilabel' : 'multiclass', classes: [...known.classes] };
  }
  if (known && names.length === 1) {
    if (known.classes.includes(names[0]!)) return { task: 'binary', classes: [...known.classes] };
    throw new Error(`${where}: the only class found, ${desc}, is not one of the classes of ${known.owner}: ${known.classes.join(', ')}${ignored}`);
  }
  let task: TaskKind;
  if (o.task !== 'auto') task = o.task;
  else if (o.multilabel) task = 'multilabel';
  else if (names.length === 2) task = 'binary';
  else if (names.length > 2) task = 'multiclass';
  else throw new Error(`${where}: ${found}; at least 2 are needed${ignored}${caseOnly(names)}`);
  if (task === 'binary') {
    if (names.length !== 2) {
      const what = known ? `${known.owner} is a binary model of ${known.classes.join(', ')}` : `binary needs exactly 2${names.length > 2 ? " (use task 'multiclass')" : ''}`;
      throw new Error(`${where}: ${found}; ${what}${ignored}${caseOnly(names)}`);
    }
  } else if (names.length < 2) {
    throw new Error(`${where}: ${found}; ${task} needs at least 2${ignored}${caseOnly(names)}`);
  }
  if (o.positive !== undefined && task !== 'binary') {
    throw new Error(`${where}: positive class '${shorten(o.positive)}' is given, but the task is ${task} (${found}): ` +
      'a positive class belongs to a binary task only');
  }
  if (task !== 'binary') return { task, classes: names };
  if (o.positive !== undefined) {
    if (!names.includes(o.positive)) throw new Error(`positive class '${shorten(o.positive)}' is not one of the classes found in ${where}: ${desc}`);
    return { task, classes: [names.find((n) => n !== o.positive)!, o.positive] };
  }
  return { task, classes: [names[0]!, names[1]!] };
}

/** What the user should know of a task chosen from the data (nothing for binary, the seed's protocol). */
function taskNotes(r: Resolved, counts: Map<string, number>, request: TaskRequest): string[] {
  if (r.task === 'binary') return [];
  const notes: string[] = [];
  if (request === 'auto') {
    notes.push(r.task === 'multilabel'
      ? `task multilabel: the labels are lists of names separated by ';' (${plural(r.classes.length, 'label')})`
      : `task multiclass: ${plural(r.classes.length, 'class', 'classes')} found`);
  }
  const same = caseOnly([...counts.keys()].sort(byString));
  if (same) notes.push(same.slice(2));
  return notes;
}

function build(source: string, root: string, layout: Dataset['layout'], found: Found[], resolved: Resolved,
  opts: SourceOptions, ignored: IgnoredFiles, notes: string[] = []): Dataset {
  const { task, classes } = resolved;
  const rel = found.map((f) => toPosix(path.relative(root, f.path)));
  // Multi-label images are split by iterative stratification, single-label ones per class.
  const draw = (idx: number[], fr: SplitFractions): Split[] => task === 'multilabel'
    ? iterativeSplit(idx.map((i) => rel[i]!), idx.map((i) => found[i]!.labels!), seed, fr)
    : stratifiedSplit(idx.map((i) => rel[i]!), idx.map((i) => found[i]!.className), seed, fr);
  let split: Dataset['split'];
  let splits: Split[];
  const seed = opts.seed ?? 0;
  const fractions: SplitFractions = {
    valFraction: opts.valFraction ?? DEFAULT_FRACTIONS.valFraction,
    testFraction: opts.testFraction ?? DEFAULT_FRACTIONS.testFraction,
  };
  if (found.every((f) => f.split)) {
    split = { kind: 'given' };
    splits = found.map((f) => f.split!);
    // Training needs validation images: when the given split has none, draw them from train (seeded,
    // stratified, valFraction) as Keras' validation_split does. A test split is never invented here:
    // whoever gave the split decided where test images come from.
    const train = splits.flatMap((s, i) => (s === 'train' ? [i] : []));
    if ((opts.drawVal ?? true) && !splits.includes('val') && train.length > 0 && fractions.valFraction > 0) {
      const where = layout === 'csv' ? { why: 'the split column has no val rows', from: 'the train rows' }
        : { why: 'no val/ folder', from: 'train/' };
      let drawn: Split[];
      try {
        drawn = draw(train, { valFraction: fractions.valFraction, testFraction: 0 });
      } catch (e) {
        throw new Error(`${source}: ${where.why}, so a validation split is drawn from ${where.from}: ${(e as Error).message}`);
      }
      train.forEach((i, k) => { splits[i] = drawn[k]!; });
      const n = drawn.filter((s) => s === 'val').length;
      notes.push(`${where.why}: drew ${n} validation image${n === 1 ? '' : 's'} from ${where.from} ` +
        `(seeded, stratified; valFraction ${fractions.valFraction}, seed ${seed})`);
      split = { kind: 'val_drawn', seed, valFraction: fractions.valFraction };
    }
  } else {
    try {
      splits = draw(found.map((_, i) => i), fractions);
    } catch (e) {
      throw new Error(`${source}: ${(e as Error).message}`);
    }
    split = { kind: 'drawn', seed, ...fractions };
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const items: DataItem[] = found.map((f, i) => {
    const at = { path: f.path, relPath: rel[i]! };
    if (task === 'binary') return { ...at, className: f.className, label: f.className === classes[1] ? 1 : 0, split: splits[i]! };
    if (task === 'multiclass') return { ...at, className: f.className, label: index.get(f.className)!, split: splits[i]! };
    const labels = [...new Set(f.labels!.map((l) => index.get(l)!))].sort((a, b) => a - b);
    return { ...at, className: labels.map((k) => classes[k]).join(';'), label: -1, labels, split: splits[i]! };
  });
  return { root, source, layout, task, classes, positiveClass: task === 'binary' ? classes[1]! : null, items, ignored, split, notes };
}

/** ';' or a tab when every row is a single field holding it: a CSV saved with another delimiter. */
function otherDelimiter(rows: Array<{ fields: string[] }>): string | undefined {
  if (!rows.every((r) => r.fields.length === 1)) return undefined;
  return [';', '\t', '|'].find((d) => rows.every((r) => r.fields[0]!.includes(d)));
}

const isFile = async (p: string) => { try { return (await stat(p)).isFile(); } catch { return false; } };

/** "a, b and c". */
const joinAnd = (xs: Array<string | number>): string => xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;

/**
 * Rows that name a file an earlier row names too (after resolving the path: './x.png' is 'x.png'): one problem
 * per file, at its first repeated row, naming all its lines. An error even when the rows are identical: the
 * image would be counted (and trained on) twice, and with different labels or splits it is unclear which one
 * is meant. Returns how many files.
 */
function listedTwice(parsed: Array<{ line: number; rel: string; label: string; split?: string }>, exists: string[],
  root: string, problems: Array<{ line: number; text: string }>): number {
  const byFile = new Map<string, Array<{ line: number; rel: string; label: string; split?: string }>>();
  parsed.forEach((p, i) => {
    if (exists[i]) return;
    const key = path.resolve(root, p.rel);
    const rows = byFile.get(key);
    if (rows) rows.push(p); else byFile.set(key, [p]);
  });
  let files = 0;
  for (const rows of byFile.values()) {
    if (rows.length < 2) continue;
    files++;
    const split = (r: { split?: string }) => parseSplitName(r.split ?? '') ?? r.split ?? '';
    const labels = [...new Set(rows.map((r) => r.label))];
    const splits = [...new Set(rows.map(split))];
    const differ = [
      labels.length > 1 ? `labels (${shorten(labels.join(', '))})` : '',
      splits.length > 1 ? `splits (${shorten(splits.join(', '))})` : '',
    ].filter(Boolean);
    const twice = rows.length === 2;
    const how = differ.length
      ? `with different ${differ.join(' and ')}`
      : `with the same label${rows.some((r) => r.split) ? ' and split' : ''}: ${twice ? 'remove one' : 'keep one'} (a duplicate row would count the image twice)`;
    const p = rows[1]!;
    problems.push({ line: p.line, text: `line ${p.line}: ${shorten(p.rel)} is listed ${twice ? 'twice' : `${rows.length} times`} (lines ${joinAnd(rows.map((r) => r.line))}) ${how}` });
  }
  return files;
}

/** Images per label: the label as written, or each name of its list. */
function labelCounts(parsed: ReadonlyArray<{ label: string }>, list?: (label: string) => string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of parsed) for (const l of list ? list(p.label) : [p.label]) counts.set(l, (counts.get(l) ?? 0) + 1);
  return counts;
}

async function loadCsv(file: string, opts: SourceOptions): Promise<Dataset> {
  const root = path.dirname(file);
  const rows = parseCsv(decodeText(await readFile(file), file), file);
  if (rows.length === 0) throw new Error(`${file}: CSV is empty (expected rows of path,label[,split])`);
  const firstPath = rows[0]!.fields[0]?.trim() ?? '';
  const cols = csvColumns(rows[0]!.fields, firstPath !== '' && await isFile(path.resolve(root, firstPath)), file);
  const body = cols.header ? rows.slice(1) : rows;
  const width = rows[0]!.fields.length;
  const notes: string[] = [];
  // Labels are lists (multilabel) when asked for, or under 'auto' when the column is `labels` or a label holds
  // ';'. A single-label task reads each label whole (a binary run's manifest of a class 'a;b' reads back as it was).
  const request = taskRequest(opts);
  const lists = request === 'multilabel' ||
    (request === 'auto' && (!!cols.multi || body.some((r) => (r.fields[cols.label] ?? '').includes(';'))));
  const labelList = (label: string) => [...new Set(label.split(';').map((l) => l.trim()).filter(Boolean))];
  if (cols.names) {
    const n = cols.names;
    notes.push(`CSV columns used: path from '${n.path}', label from '${n.label}'` +
      (n.split ? `, split from '${n.split}'` : ' (no split column)'));
  }

  // Every row-level problem (format, missing file, split column) is collected and reported at once.
  const problems: Array<{ line: number; text: string }> = [];
  let badRows = 0, missingFiles = 0, notRegular = 0;
  const parsed: Array<{ line: number; rel: string; label: string; split?: string }> = [];
  for (const r of body) {
    const f = r.fields;
    const problem = (text: string) => { problems.push({ line: r.line, text: `line ${r.line}: ${text}` }); badRows++; };
    if (cols.header) {
      if (f.length !== width) { problem(`${f.length} field(s), the header has ${width}`); continue; }
    } else if (f.length !== 2 && f.length !== 3) {
      problem(`${f.length} field(s), expected path,label or path,label,split`); continue;
    }
    const rel = f[cols.path]!.trim(), label = f[cols.label]!.trim();
    const sp = cols.split >= 0 ? f[cols.split]?.trim() : undefined;
    if (!rel) { problem('empty path'); continue; }
    // An empty list of labels is an image with none of them.
    if (!label && !lists) { problem(`empty label for ${shorten(rel)}`); continue; }
    if (sp && !parseSplitName(sp)) {
      problem(`split '${shorten(sp)}'${cols.names?.split ? ` (column '${cols.names.split}')` : ''} is not train, val or test`); continue;
    }
    parsed.push({ line: r.line, rel, label, split: sp || undefined });
  }
  // Every listed file must exist. A CSV written on Windows separates folders with '\\': such a path that is not
  // a file as written is tried with '/'.
  // Only regular files: a FIFO listed here would be opened later and wait for a writer for ever.
  const fileState = async (rel: string): Promise<string> => {
    try {
      const kind = specialKind(await stat(path.resolve(root, rel)));
      return kind === undefined ? '' : `not a regular file: ${kind}`;
    } catch { return 'not found'; }
  };
  let windowsPaths = 0;
  const exists = await Promise.all(parsed.map(async (p) => {
    const state = await fileState(p.rel);
    if (state === '' || !p.rel.includes('\\')) return state;
    const slashed = p.rel.replaceAll('\\', '/');
    if (await fileState(slashed) !== '') return state;
    p.rel = slashed;
    windowsPaths++;
    return '';
  }));
  parsed.forEach((p, i) => {
    if (!exists[i]) return;
    problems.push({ line: p.line, text: `line ${p.line}: ${shorten(p.rel)} (${exists[i]})` });
    if (exists[i] === 'not found') missingFiles++; else notRegular++;
  });
  const duplicates = listedTwice(parsed, exists, root, problems);
  if (windowsPaths) notes.push(`${windowsPaths} path${windowsPaths === 1 ? '' : 's'} written with '\\' (Windows) were read with '/'`);
  const triedSlashes = parsed.some((p, i) => exists[i] && p.rel.includes('\\'));
  const withSplit = parsed.filter((p) => p.split).length;
  const partialSplit = withSplit > 0 && withSplit < parsed.length;
  if (partialSplit) {
    for (const p of parsed) if (!p.split) problems.push({ line: p.line, text: `line ${p.line}: ${shorten(p.rel)} has no split` });
  }
  if (problems.length) {
    const delimiter = otherDelimiter(rows);
    if (delimiter) {
      throw new Error(`${file}: every row has a single field and the values are separated by '${delimiter}': ` +
        `tlearn reads comma-separated CSV (path,label[,split]); save it with ',' as the delimiter`);
    }
    const what = [
      badRows ? `${badRows} bad row(s)` : '',
      missingFiles ? `${missingFiles} listed file(s) not found (paths are relative to the CSV's folder ${root}` +
        `${triedSlashes ? "; paths with '\\' were also tried with '/'" : ''})` : '',
      notRegular ? `${notRegular} listed path(s) not regular files` : '',
      duplicates ? `${duplicates} file(s) listed more than once` : '',
      partialSplit ? `the split column is filled on ${withSplit} row(s) but empty on ${parsed.length - withSplit}; fill it on every row or on none` : '',
    ].filter(Boolean).join(' and ');
    problems.sort((a, b) => a.line - b.line);
    // The class count of the rows that parsed, too, so that one round of fixes is enough.
    const labels = labelCounts(parsed, lists ? labelList : undefined);
    let classes = '';
    try {
      resolveClasses(labels, file, { task: request, known: opts.knownClasses, multilabel: lists });
      const same = caseOnly([...labels.keys()].sort(byString));
      if (same) classes = `\nAlso: ${same.slice(2)}`;
    } catch (e) { classes = `\nAlso: ${(e as Error).message.slice(file.length + 2)}`; }
    throw new Error(`${file}: ${what}:\n${listSome(problems.map((p) => p.text))}${classes}`);
  }
  if (parsed.length === 0) throw new Error(`${file}: CSV has no data rows (expected rows of path,label[,split])`);
  const found: Found[] = parsed.map((p) => ({
    path: path.resolve(root, p.rel), className: p.label, split: p.split ? parseSplitName(p.split) : undefined,
    ...(lists ? { labels: labelList(p.label) } : {}),
  }));
  const counts = labelCounts(parsed, lists ? labelList : undefined);
  const resolved = resolveClasses(counts, file, { task: request, positive: opts.positive, known: opts.knownClasses, multilabel: lists });
  const ds = build(file, root, 'csv', found, resolved, opts, newIgnored(), [...notes, ...taskNotes(resolved, counts, request)]);
  // Keep the CSV's own spelling of each path (relative paths may contain '..').
  ds.items.forEach((it, i) => { it.relPath = parsed[i]!.rel; });
  return ds;
}
