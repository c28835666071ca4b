// One call from a data argument to a checked dataset: load the source, read/hash/decode every file,
// audit, write manifest.csv and audit.json (atomically), drop unreadable files, and refuse a split
// that has lost one of the classes (labels).
import path from 'node:path';
import { buildAudit, formatAuditSummary, writeAudit, type Audit } from './audit.js';
import { probeDataset, writeManifest, type Probe } from './manifest.js';
import { loadSource, type SourceOptions } from './sources.js';
import type { ImageCache } from './cache.js';
import type { DicomWindow } from './dicom.js';
import type { ProbeMemo } from './probe-memo.js';
import { SPLITS, type Dataset, type ResizeMode, type Split } from './types.js';

export interface PrepareOptions extends SourceOptions {
  /** Network input size, for the small-image check (default 224). */
  imageSize?: number;
  /** Where to write manifest.csv and audit.json (omit to write nothing). */
  outDir?: string;
  /** Concurrent file probes (default: the cores plus 2). */
  concurrency?: number;
  /** Eval resize mode (default 'squash'); with `cache`, the check decode produces exactly the loader's image. */
  resize?: ResizeMode;
  /** The model's DICOM windows (null: each file's own), for the check decode as for the loader. */
  dicomWindows?: readonly DicomWindow[] | null;
  /**
   * The cache the DataLoaders will use: every file has to be decoded once to be checked anyway, so that
   * decode is done at the eval transform and stored, and the first epoch does not decode again.
   */
  cache?: ImageCache;
  /** The splits whose images go into `cache`, most used first (default: all). */
  cacheSplits?: readonly Split[];
  /** Earlier checks of these files to reuse (the folds of a cross-validation; with the cache those checks filled). */
  memo?: ProbeMemo;
  /** Called after each file is read, hashed and decoded, with the number done so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Require a train split with every class (default true; false for evaluating a test-only folder). */
  requireTrain?: boolean;
  /**
   * Require validation images when there are training images (default: requireTrain). Training monitors
   * val_auc; without val images the error says how to get some (val/ folder, val rows, valFraction > 0).
   */
  requireVal?: boolean;
}

export interface PreparedData {
  /** The dataset with unreadable files removed. */
  dataset: Dataset;
  audit: Audit;
  /** formatAuditSummary(audit). */
  summary: string;
  /** Probe of each usable item (same order as dataset.items). */
  probes: Probe[];
}

export async function prepareData(source: string, opts: PrepareOptions = {}): Promise<PreparedData> {
  const imageSize = opts.imageSize ?? 224;
  if (!(Number.isInteger(imageSize) && imageSize >= 1)) throw new Error(`imageSize must be a positive integer, got ${imageSize}`);
  // The run's own folder may lie inside the data folder: never scan it for images.
  const exclude = [...(opts.exclude ?? []), ...(opts.outDir ? [opts.outDir] : [])];
  const all = await loadSource(source, { ...opts, exclude });
  const probes = await probeDataset(all, {
    concurrency: opts.concurrency, cache: opts.cache, cacheSplits: opts.cacheSplits, onProgress: opts.onProgress, memo: opts.memo,
    decode: { imageSize, resize: opts.resize ?? 'squash', dicomWindows: opts.dicomWindows ?? null },
  });
  const audit = buildAudit(all, probes, imageSize);
  if (opts.outDir) {
    await writeManifest(path.join(opts.outDir, 'manifest.csv'), all, probes);
    await writeAudit(path.join(opts.outDir, 'audit.json'), audit);
  }
  const keep = all.items.map((_, i) => !probes[i]!.error);
  const dataset: Dataset = { ...all, items: all.items.filter((_, i) => keep[i]) };
  const requireTrain = opts.requireTrain ?? true;
  checkSplits(dataset, audit, requireTrain, opts.requireVal ?? requireTrain);
  return { dataset, audit, summary: formatAuditSummary(audit), probes: probes.filter((_, i) => keep[i]) };
}

/**
 * train must hold every class (when required); val must hold images when there are training images (when
 * required); val and test may otherwise be absent, but not lack a class. Beyond two classes the message gives
 * the class's images per split; a multi-label split needs an image of every label.
 */
export function checkSplits(ds: Dataset, audit: Audit, requireTrain = true, requireVal = false): void {
  const problems: string[] = [];
  if (SPLITS.every((s) => audit.split_totals[s] === 0)) problems.push('no usable images at all');
  if (requireVal && audit.split_totals.train > 0 && audit.split_totals.val === 0) problems.push(noValidation(ds, audit));
  for (const s of SPLITS) {
    const total = audit.split_totals[s];
    if (total === 0 && !(s === 'train' && requireTrain)) continue;
    for (const c of ds.classes) {
      if (audit.counts[s][c] !== 0) continue;
      const per = ds.task === 'binary' || ds.task === undefined ? ''
        : ` (${SPLITS.map((t) => `${t} ${audit.counts[t][c]}`).join(', ')})`;
      problems.push(`split '${s}' has no usable images of ${ds.task === 'multilabel' ? 'label' : 'class'} '${c}'${per}`);
    }
  }
  if (problems.length) {
    const why = audit.unreadable.length ? ` (${audit.unreadable.length} unreadable file(s) were skipped; see audit.json)` : '';
    throw new Error(`${ds.source}: ${problems.join('; ')}${why}`);
  }
}

/** Why there are no validation images, and the ways to get some that apply to this source. */
function noValidation(ds: Dataset, audit: Audit): string {
  const need = 'training needs validation images (it monitors val_auc, keeps the best epoch and picks the threshold on them)';
  const unreadable = audit.unreadable.filter((u) => u.split === 'val').length;
  if (unreadable > 0) return `no validation images: all ${unreadable} val image(s) are unreadable; ${need}`;
  const vf = ds.split.kind === 'given' ? 0 : ds.split.valFraction;
  if (ds.split.kind === 'drawn') {
    return `no validation images: valFraction is ${vf}, so no validation split was drawn; ${need}. ` +
      'Set valFraction above 0 (--val-fraction, e.g. 0.15)';
  }
  if (ds.layout === 'csv') {
    return `no validation images: the CSV's split column has no val rows and valFraction is ${vf}, so none were drawn ` +
      `from the train rows; ${need}. Mark some rows as val, or set valFraction above 0 (--val-fraction, e.g. 0.15) to draw them from the train rows`;
  }
  return `no validation images: there is no val/ folder and valFraction is ${vf}, so none were drawn from train/; ${need}. ` +
    'To fix it, add val/<class>/ folders, or set valFraction above 0 (--val-fraction, e.g. 0.15) to draw them from train/';
}
