// What the data sources share: their options, the class list and task resolved from the images per class (or
// per label), and the dataset built from the files found (split drawn here when the source has none).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { shorten } from '../format/quote.js';
import { DEFAULT_FRACTIONS, stratifiedSplit, type SplitFractions } from './split.js';
import { iterativeSplit } from './split-multilabel.js';
import type { DataItem, Dataset, IgnoredFiles, Split, TaskKind, TaskRequest } from './types.js';

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

export const MAX_LISTED = 20;

export function listSome(items: string[], n = MAX_LISTED): string {
  const head = items.slice(0, n).map((s) => `  ${s}`).join('\n');
  return items.length > n ? `${head}\n  ... and ${items.length - n} more` : head;
}

export const toPosix = (p: string) => p.split(path.sep).join('/');
export const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function newIgnored(): IgnoredFiles {
  return { hidden: 0, nonImage: 0, unsupported: {}, outside: 0, examples: [], emptyFolders: [], outputFolders: [] };
}

/** One image found; `labels`: its label names, when labels are lists (multilabel). */
export interface Found { path: string; className: string; split?: Split; labels?: string[] }

export const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;

/** Class names that differ only in case (e.g. 'Pos' and 'pos'): most likely a typo in the labels. */
export function caseOnly(names: string[]): string {
  const groups = new Map<string, string[]>();
  for (const n of names) groups.set(n.toLowerCase(), [...(groups.get(n.toLowerCase()) ?? []), n]);
  const same = [...groups.values()].filter((g) => g.length > 1);
  return same.map((g) => `; labels ${g.map((n) => `'${n}'`).join(' and ')} differ only in case (labels are case-sensitive)`).join('');
}

/** The task the options ask for: a model's own, else `task`, else 'auto'. */
export function taskRequest(opts: SourceOptions): TaskRequest {
  const k = opts.knownClasses;
  if (k) return k.task ?? (k.classes.length === 2 ? 'binary' : 'multiclass');
  return opts.task ?? 'auto';
}

export interface Resolved { task: TaskKind; classes: string[] }

/** "3 classes found: a, b, c (2, 1 and 3 images)", at most MAX_LISTED names. */
export function foundText(names: string[], counts: Map<string, number>): string {
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
export function resolveClasses(counts: Map<string, number>, where: string, o: {
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
export function taskNotes(r: Resolved, counts: Map<string, number>, request: TaskRequest): string[] {
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

export function build(source: string, root: string, layout: Dataset['layout'], found: Found[], resolved: Resolved,
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

export const isFile = async (p: string) => { try { return (await stat(p)).isFile(); } catch { return false; } };

/** "a, b and c". */
export const joinAnd = (xs: Array<string | number>): string => xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
