// The labelled images of one split of DATA as a model sees them: the data's own split, or the one the model was
// trained with (seed and fractions from its metadata) when DATA has none; labels as indices in the model's class
// order; the data's classes checked against the model's. Shared by evaluate and calibrate.
import { loadSource } from '../data/sources.js';
import { unsupportedImagesText } from '../data/names.js';
import type { DataItem, IgnoredFiles, Split } from '../data/types.js';
import type { ModelMetadata } from '../models/metadata.js';
import { describeSplitParams, resolveSplitParams } from './split-params.js';

export interface SplitRequest {
  model: string;
  data: string;
  split: Split | 'all';
  seed?: number;
  valFraction?: number;
  testFraction?: number;
  log: (line: string) => void;
  /** What is done with the images, in the line about a drawn split (default 'evaluating'). */
  verb?: string;
}

/** The split's items (labels in the model's classes), DATA's root, and the notes on a drawn split for the report. */
export async function labelledSplit(opts: SplitRequest, metadata: ModelMetadata): Promise<{ items: DataItem[]; root: string; splitNotes: Record<string, string> }> {
  // Data without its own split is split as in training (seed and fractions from the model), unless overridden.
  const given = { seed: opts.seed, valFraction: opts.valFraction, testFraction: opts.testFraction };
  const params = resolveSplitParams(metadata, opts.model, given);
  const ds = await loadSource(opts.data, {
    seed: params.seed, valFraction: params.valFraction, testFraction: params.testFraction,
    // A val drawn from train changes only the val and train parts.
    drawVal: opts.split === 'val' || opts.split === 'train',
    // Data of one of the model's classes only is evaluated (e.g. the sensitivity on a positives-only folder).
    // The model's task reads the data as it was trained (a multi-label CSV's label lists, say).
    knownClasses: { classes: metadata.classes, owner: opts.model, task: metadata.task },
  });
  checkClasses(ds.classes, metadata.classes, opts.model, opts.data);
  // Folders the loader left out (tlearn output inside the data, folders without images) are named.
  for (const note of ds.notes) opts.log(`note: ${note}`);
  const ignored = ignoredFilesLine(ds.ignored);
  if (ignored) opts.log(ignored);
  // The model's class order decides the labels (which class is positive), whatever the data's sorted order.
  const labelled = ds.items.map((it) => inModelClasses(it, ds.classes, metadata.classes));
  const splitNotes: Record<string, string> = {};
  const drawnVal = ds.split.kind === 'val_drawn';
  const noSplit = ds.layout === 'csv' ? (drawnVal ? 'has no val rows' : 'has no split column')
    : (drawnVal ? 'has no val/ folder' : 'has no split folders');
  // A drawn split matters for every split asked for; a val drawn from train only for val and train.
  if ((ds.split.kind === 'drawn' && opts.split !== 'all') || (drawnVal && (opts.split === 'val' || opts.split === 'train'))) {
    const d = describeSplitParams(params, given);
    opts.log(`${opts.data} ${noSplit}: ${opts.verb ?? 'evaluating'} the ${opts.split} part of the ${d.info}; --split all evaluates every image`);
    if (d.warning) opts.log(`warning: ${d.warning}`);
    // d.info starts with "split drawn"; the key says it once.
    splitNotes['split drawn'] = d.info.replace(/^split drawn /, '');
    if (d.warning) splitNotes['split warning'] = d.warning;
  } else if (ds.split.kind === 'given' && Object.values(given).some((v) => v !== undefined)) {
    opts.log(`note: --seed, --val-fraction and --test-fraction are not used: ${opts.data} has its own split`);
  }
  const items = opts.split === 'all' ? labelled : labelled.filter((it) => it.split === (opts.split as Split));
  if (items.length === 0) throw new Error(`${opts.data}: the split '${opts.split}' has no images (use --split train|val|test|all)`);
  return { items, root: ds.root, splitNotes };
}

/**
 * The files of DATA that are not evaluated because they are not images (or hidden, or outside the class
 * folders), in the words of train's summary line ("Ignored: ..."), with a few of them named; null when none.
 */
export function ignoredFilesLine(ig: Pick<IgnoredFiles, 'hidden' | 'nonImage' | 'outside' | 'examples'> & Partial<Pick<IgnoredFiles, 'unsupported'>>): string | null {
  if (ig.hidden + ig.nonImage + ig.outside === 0) return null;
  const shown = ig.examples.slice(0, 3);
  // BMP/PNM images among the non-image files: said as train's summary says it, on a line of its own.
  const unsupported = unsupportedImagesText(ig.unsupported ?? {});
  return `Ignored: ${ig.hidden} hidden, ${ig.nonImage} non-image, ${ig.outside} outside class folders` +
    (shown.length ? ` (e.g. ${shown.join(', ')}${ig.examples.length > shown.length ? ', ...' : ''})` : '') +
    (unsupported ? `\n  ${unsupported}` : '');
}

/**
 * The data's class names must be the model's (compared as sets; the model's order decides the labels). A
 * multi-class or multi-label model may be evaluated on data holding some of its classes only.
 */
// (Binary data with one class only comes back from loadSource with the model's classes when it is one of them.)
function checkClasses(dataClasses: readonly string[], modelClasses: readonly string[], modelFile: string, data: string): void {
  const binary = modelClasses.length === 2 && dataClasses.length === 2;
  const ok = binary ? modelClasses.every((c) => dataClasses.includes(c)) : dataClasses.every((c) => modelClasses.includes(c));
  if (!ok) {
    const unknown = dataClasses.filter((c) => !modelClasses.includes(c));
    throw new Error(`${data} has classes [${dataClasses.join(', ')}] but ${modelFile} was trained on [${modelClasses.join(', ')}]` +
      `${unknown.length ? ` (unknown to the model: ${unknown.join(', ')})` : ''}; ` +
      'rename the class folders, or for a plain PyTorch state_dict pass --classes with its class names in order');
  }
}

/** An item's label(s) as indices in the model's class list (the data's own indices follow its sorted classes). */
function inModelClasses<T extends Pick<DataItem, 'className' | 'label' | 'labels'>>(it: T, dataClasses: readonly string[], modelClasses: readonly string[]): T {
  const index = (c: string) => modelClasses.indexOf(c);
  if (it.labels) return { ...it, labels: it.labels.map((j) => index(dataClasses[j]!)).sort((a, b) => a - b) };
  return { ...it, label: index(it.className) as T['label'] };
}
