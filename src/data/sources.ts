// Data sources: DIR/{train,val,test}/<class>/..., DIR/<class>/... (split drawn here, seeded and
// stratified), or a CSV of path,label[,split] with paths relative to the CSV. The task follows from the
// classes found unless one is asked for: 2 classes binary, more multiclass, ';'-separated labels multilabel.
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  IMAGE_EXTENSIONS, isImageFile, outputFolderKind, parseSplitName, unsupportedImageExtension, unsupportedImagesText,
} from './names.js';
import { FolderWalker } from './walk.js';
import { specialKind } from '../io/regular-file.js';
import type { Dataset, IgnoredFiles, Split } from './types.js';
import { type Found, type SourceOptions, build, byString, newIgnored, plural, resolveClasses, taskNotes, taskRequest } from './source-build.js';
import { loadCsv } from './source-csv.js';

export { IMAGE_EXTENSIONS, isImageFile, parseSplitName };
export type { SourceOptions } from './source-build.js';

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

/** Files reached through links under several names: each name is an item, and the audit counts them as duplicates. */
function reachedTwiceNote(groups: string[][]): string {
  const shown = groups.slice(0, 3).map((g) => g.join(' = ')).join('; ');
  return `${plural(groups.length, 'file')} reached under more than one name through symbolic links (each name is used, ` +
    `see duplicates): ${shown}${groups.length > 3 ? `; ... and ${groups.length - 3} more` : ''}`;
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
