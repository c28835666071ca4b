// The data audit: what the data looks like before any training — counts per class and split, the class
// imbalance with a suggested pos_weight, unreadable files, exact duplicates (by SHA-256), duplicates that
// cross splits (leakage), duplicates with conflicting labels, images smaller than the input size, and images
// that are nearly black or of one colour. Beyond two classes: the imbalance of the largest over the smallest
// class, classes under SMALL_CLASS images, and for multi-label data each label's frequency and the most frequent
// pairs of labels on one image.
// Written as audit.json (snake_case keys, like the other run files) plus a short printable summary.
import { writeFileAtomicAsync } from '../io/atomic.js';
import { fmtSignificant } from '../format/numbers.js';
import type { Probe } from './manifest.js';
import { unsupportedImagesText } from './names.js';
import { SPLITS, type Dataset, type Split, type TaskKind } from './types.js';

export interface AuditFile { path: string; split: Split; label: string }

export interface Audit {
  version: 1;
  source: string;
  layout: Dataset['layout'];
  root: string;
  /** binary: [negative, positive]; else the dataset's classes (labels) in order. */
  classes: string[];
  /** binary: classes[1]; else null. */
  positive_class: string | null;
  split: { kind: 'given' } | { kind: 'drawn'; seed: number; val_fraction: number; test_fraction: number }
    | { kind: 'val_drawn'; seed: number; val_fraction: number };
  image_size: number;
  /** Usable images (unreadable ones excluded). */
  total: number;
  /** counts[split][class] for usable images (multilabel: images carrying the label); every split and class present, zero when empty. */
  counts: Record<Split, Record<string, number>>;
  split_totals: Record<Split, number>;
  imbalance: {
    /** Larger class over smaller class (beyond two: the largest over the smallest), on train. */
    ratio: number;
    majority_class: string;
    minority_class: string;
    /** n_negative / n_positive on train: the BCE pos_weight that balances the classes (binary; else null). */
    pos_weight: number | null;
    /** True when the ratio exceeds 1.5. */
    imbalanced: boolean;
  };
  ignored: {
    hidden: number; non_image: number; outside_class_folders: number; examples: string[];
    /** Of non_image, the images tlearn cannot read (BMP, PPM/PGM/PBM), by extension: {".bmp": 4}. */
    unsupported_images: Record<string, number>;
    /** Folders without images where a class folder could be (not taken as classes). */
    empty_folders: string[];
    /** tlearn run/evaluation folders inside the data folder, and the run's own folder: not scanned. */
    output_folders: string[];
  };
  /** Decisions taken while loading the data that the user should know about (one sentence each). */
  notes: string[];
  unreadable: Array<AuditFile & { reason: string }>;
  /** Groups of byte-identical files (two or more files each). */
  duplicates: Array<{ sha256: string; files: AuditFile[] }>;
  /** Duplicate groups spanning more than one split: the same image is trained and evaluated on. */
  leakage: Array<{ sha256: string; splits: Split[]; files: AuditFile[] }>;
  /** Duplicate groups whose copies carry different labels. */
  conflicting_labels: Array<{ sha256: string; labels: string[]; files: AuditFile[] }>;
  /** Images whose width or height is below image_size (they are upsampled). */
  small_images: { count: number; files: Array<{ path: string; width: number; height: number }> };
  /** Images whose brightest value (any channel, once decoded to 8 bits) is under DARK_BELOW. */
  dark_images: { count: number; files: Array<{ path: string; brightest: number }> };
  /** Images of one colour (every pixel the same): they carry nothing to learn from. */
  uniform_images: { count: number; files: string[] };
  /** The dataset's task (added with multi-class data; the keys before it are the binary audit's). */
  task?: TaskKind;
  /** Classes (labels) with fewer than SMALL_CLASS usable images over all splits, smallest first. */
  small_classes?: Array<{ class: string; images: number }>;
  /** Multilabel: usable images carrying each label, and those carrying none. */
  label_frequencies?: Record<string, number>;
  images_without_labels?: number;
  /** Multilabel: the most frequent pairs of labels on one image (at most TOP_PAIRS, most frequent first). */
  co_occurrence?: Array<{ labels: [string, string]; images: number }>;
}

/** Most files listed per finding in audit.json (the counts are whole). */
const MAX_LISTED = 100;
/**
 * An image whose brightest 8-bit value is under this is "nearly black": how 12-bit data in 16-bit files (a
 * common X-ray and CT format: 4095 of 65535 becomes 15 of 255) and float images in [0, 1] come out, in tlearn
 * as in PIL and torchvision. The network then sees almost no contrast.
 */
export const DARK_BELOW = 32;
export const IMBALANCE_THRESHOLD = 1.5;
/** A class with fewer usable images than this is named (a warning beyond two classes): its metrics rest on few images. */
export const SMALL_CLASS = 10;
/** How many co-occurring label pairs the audit lists. */
export const TOP_PAIRS = 10;

/** Builds the audit from a dataset and the probe of each of its items (same order). */
export function buildAudit(ds: Dataset, probes: Probe[], imageSize: number): Audit {
  if (probes.length !== ds.items.length) throw new Error('buildAudit: one probe per item expected');
  const classes = ds.classes, task = ds.task ?? 'binary';
  const counts = {} as Record<Split, Record<string, number>>;
  const splitTotals = {} as Record<Split, number>;
  for (const s of SPLITS) { counts[s] = Object.fromEntries(classes.map((c) => [c, 0])); splitTotals[s] = 0; }
  const pairs = new Map<string, number>(); // "i,j" (class indices, i < j) -> images
  let withoutLabels = 0;
  const unreadable: Audit['unreadable'] = [];
  const groups = new Map<string, AuditFile[]>();
  const small: Audit['small_images']['files'] = [];
  const dark: Audit['dark_images'] = { count: 0, files: [] };
  const uniform: Audit['uniform_images'] = { count: 0, files: [] };
  let smallCount = 0, total = 0;
  ds.items.forEach((it, i) => {
    const p = probes[i]!;
    const f: AuditFile = { path: it.relPath, split: it.split, label: it.className };
    if (p.error) { unreadable.push({ ...f, reason: p.error }); return; }
    total++;
    if (task === 'multilabel') {
      const ls = it.labels ?? [];
      for (const l of ls) counts[it.split][classes[l]!]!++;
      if (ls.length === 0) withoutLabels++;
      for (let a = 0; a < ls.length; a++) for (let b = a + 1; b < ls.length; b++) pairs.set(`${ls[a]},${ls[b]}`, (pairs.get(`${ls[a]},${ls[b]}`) ?? 0) + 1);
    } else counts[it.split][it.className]!++;
    splitTotals[it.split]++;
    let g = groups.get(p.sha256);
    if (!g) groups.set(p.sha256, (g = []));
    g.push(f);
    if ((p.width ?? 0) < imageSize || (p.height ?? 0) < imageSize) {
      smallCount++;
      if (small.length < MAX_LISTED) small.push({ path: it.relPath, width: p.width ?? 0, height: p.height ?? 0 });
    }
    // A one-colour black image is both; it is named once, as one colour.
    if (p.uniform) {
      uniform.count++;
      if (uniform.files.length < MAX_LISTED) uniform.files.push(it.relPath);
    } else if (p.brightest !== undefined && p.brightest < DARK_BELOW) {
      dark.count++;
      if (dark.files.length < MAX_LISTED) dark.files.push({ path: it.relPath, brightest: p.brightest });
    }
  });
  const duplicates: Audit['duplicates'] = [];
  const leakage: Audit['leakage'] = [];
  const conflicting: Audit['conflicting_labels'] = [];
  for (const [sha256, files] of groups) {
    if (files.length < 2) continue;
    duplicates.push({ sha256, files });
    const splits = SPLITS.filter((s) => files.some((f) => f.split === s));
    if (splits.length > 1) leakage.push({ sha256, splits, files });
    const labels = [...new Set(files.map((f) => f.label))].sort();
    if (labels.length > 1) conflicting.push({ sha256, labels, files });
  }
  const totals = classes.map((c) => SPLITS.reduce((n, s) => n + counts[s][c]!, 0));
  const audit: Audit = {
    version: 1,
    source: ds.source,
    layout: ds.layout,
    root: ds.root,
    classes: [...classes],
    positive_class: task === 'binary' ? classes[1]! : null,
    split: ds.split.kind === 'given' ? { kind: 'given' }
      : ds.split.kind === 'val_drawn' ? { kind: 'val_drawn', seed: ds.split.seed, val_fraction: ds.split.valFraction }
      : { kind: 'drawn', seed: ds.split.seed, val_fraction: ds.split.valFraction, test_fraction: ds.split.testFraction },
    image_size: imageSize,
    total,
    counts,
    split_totals: splitTotals,
    imbalance: task === 'binary' ? binaryImbalance(counts.train, classes[0]!, classes[1]!) : classImbalance(counts.train, classes),
    ignored: {
      hidden: ds.ignored.hidden, non_image: ds.ignored.nonImage, outside_class_folders: ds.ignored.outside,
      examples: ds.ignored.examples, unsupported_images: { ...(ds.ignored.unsupported ?? {}) }, empty_folders: ds.ignored.emptyFolders, output_folders: ds.ignored.outputFolders,
    },
    notes: ds.notes,
    unreadable,
    duplicates,
    leakage,
    conflicting_labels: conflicting,
    small_images: { count: smallCount, files: small },
    dark_images: dark,
    uniform_images: uniform,
    task,
    small_classes: classes.map((c, i) => ({ class: c, images: totals[i]! })).filter((c) => c.images < SMALL_CLASS)
      .sort((a, b) => a.images - b.images || (a.class < b.class ? -1 : a.class > b.class ? 1 : 0)),
  };
  if (task === 'multilabel') {
    audit.label_frequencies = Object.fromEntries(classes.map((c, i) => [c, totals[i]!]));
    audit.images_without_labels = withoutLabels;
    audit.co_occurrence = [...pairs].map(([k, n]) => ({ ij: k.split(',').map(Number) as [number, number], n }))
      .sort((a, b) => b.n - a.n || a.ij[0] - b.ij[0] || a.ij[1] - b.ij[1]).slice(0, TOP_PAIRS)
      .map(({ ij, n }) => ({ labels: [classes[ij[0]]!, classes[ij[1]]!], images: n }));
  }
  return audit;
}

/** Two classes: the larger over the smaller, and the BCE pos_weight n_negative / n_positive. */
function binaryImbalance(train: Record<string, number>, neg: string, pos: string): Audit['imbalance'] {
  const nNeg = train[neg]!, nPos = train[pos]!;
  const big = Math.max(nNeg, nPos), little = Math.min(nNeg, nPos);
  return {
    ratio: little > 0 ? big / little : Infinity,
    majority_class: nPos > nNeg ? pos : neg,
    minority_class: nPos > nNeg ? neg : pos,
    pos_weight: nPos > 0 ? nNeg / nPos : Infinity,
    imbalanced: little === 0 || big / little > IMBALANCE_THRESHOLD,
  };
}

/** More classes (or labels): the largest over the smallest on train (the first in class order on ties); no pos_weight. */
function classImbalance(train: Record<string, number>, classes: readonly string[]): Audit['imbalance'] {
  let major = classes[0]!, minor = classes[0]!;
  for (const c of classes) {
    if (train[c]! > train[major]!) major = c;
    if (train[c]! < train[minor]!) minor = c;
  }
  const big = train[major]!, little = train[minor]!;
  return {
    ratio: little > 0 ? big / little : Infinity, majority_class: major, minority_class: minor, pos_weight: null,
    imbalanced: little === 0 || big / little > IMBALANCE_THRESHOLD,
  };
}

/** JSON has no Infinity: write it as null (a class missing from train is reported by the split check anyway). */
export async function writeAudit(file: string, audit: Audit): Promise<void> {
  await writeFileAtomicAsync(file, JSON.stringify(audit, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

/** A short human summary of the audit (a dozen lines), for the terminal and the report. */
export function formatAuditSummary(a: Audit): string {
  const lines: string[] = [];
  const how = a.layout === 'csv' ? 'CSV' : a.layout === 'split-dirs' ? 'split folders' : 'class folders';
  // Describe what was given: "train/test" only when there is a test split.
  const noTest = a.split_totals.test === 0 ? ' (no test split)' : '';
  const split = a.split.kind === 'given' ? `split as given${noTest}`
    : a.split.kind === 'val_drawn'
      ? `${noTest ? `train as given${noTest}` : 'train/test as given'}, val drawn from train with seed ${a.split.seed} (fraction ${a.split.val_fraction}, stratified)`
      : `split drawn with seed ${a.split.seed} (val ${a.split.val_fraction}, test ${a.split.test_fraction}, stratified)`;
  lines.push(`Data: ${a.source} (${how}, ${split})`);
  const im = a.imbalance;
  const ratio = Number.isFinite(im.ratio) ? `${im.ratio.toFixed(2)}:1` : 'one class missing';
  if (a.task !== undefined && a.task !== 'binary') lines.push(...classesSummary(a));
  else {
    const [neg, pos] = a.classes as [string, string];
    lines.push(`Classes: ${neg} (negative), ${pos} (positive)`);
    const w = Math.max(7, neg.length, pos.length) + 1;
    lines.push(`  ${''.padEnd(6)}${pad(neg, w)}${pad(pos, w)}${pad('total', 7)}`);
    for (const s of SPLITS) {
      if (a.split_totals[s] === 0) continue;
      lines.push(`  ${s.padEnd(6)}${pad(a.counts[s][neg]!, w)}${pad(a.counts[s][pos]!, w)}${pad(a.split_totals[s], 7)}`);
    }
    const pw = im.pos_weight !== null && Number.isFinite(im.pos_weight) ? fmtSignificant(im.pos_weight) : 'n/a';
    if (a.split_totals.train > 0) {
      lines.push(`Imbalance (train): ${ratio}${im.imbalanced && Number.isFinite(im.ratio) ? ` (minority: ${im.minority_class})` : ''}; suggested pos_weight ${pw}`);
    }
  }
  const ig = a.ignored;
  const folders = [
    ig.empty_folders.length ? `${ig.empty_folders.length} folder${ig.empty_folders.length === 1 ? '' : 's'} without images` : '',
    ig.output_folders.length ? `${ig.output_folders.length} tlearn output folder${ig.output_folders.length === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  if (ig.hidden + ig.non_image + ig.outside_class_folders > 0 || folders.length) {
    lines.push(`Ignored: ${[`${ig.hidden} hidden`, `${ig.non_image} non-image`, `${ig.outside_class_folders} outside class folders`, ...folders].join(', ')}`);
  }
  const unsupported = unsupportedImagesText(ig.unsupported_images ?? {});
  if (unsupported) lines.push(`  ${unsupported}`);
  if (a.unreadable.length) {
    const ex = a.unreadable.slice(0, 3).map((u) => `${u.path}: ${u.reason}`).join('; ');
    lines.push(`Unreadable (skipped): ${a.unreadable.length} — ${ex}${a.unreadable.length > 3 ? '; ...' : ''}`);
  }
  if (a.duplicates.length) {
    const extra = a.duplicates.reduce((n, g) => n + g.files.length - 1, 0);
    lines.push(`Exact duplicates: ${a.duplicates.length} group(s), ${extra} extra cop${extra === 1 ? 'y' : 'ies'}`);
  }
  if (a.leakage.length) lines.push(`LEAKAGE: ${a.leakage.length} duplicate group(s) span several splits (e.g. ${a.leakage[0]!.files.map((f) => f.path).join(' = ')})`);
  if (a.conflicting_labels.length) lines.push(`Conflicting labels: ${a.conflicting_labels.length} duplicate group(s) carry both labels`);
  if (a.small_images.count) lines.push(`Smaller than ${a.image_size}px: ${a.small_images.count} image(s) (upsampled)`);
  if (a.dark_images?.count) lines.push(`Nearly black: ${a.dark_images.count} image(s) (brightest value under ${DARK_BELOW} of 255)`);
  if (a.uniform_images?.count) lines.push(`One colour: ${a.uniform_images.count} image(s)`);
  for (const note of a.notes) lines.push(`Note: ${note}`);
  return lines.join('\n');
}

/** Most classes the summary's table lists (audit.json has them all). */
const MAX_SUMMARY_CLASSES = 30;

/**
 * Beyond two classes: one row per class (label) with its images per split, the imbalance, the small classes and,
 * for multi-label data, the images without labels and the most frequent pairs.
 */
function classesSummary(a: Audit): string[] {
  const lines: string[] = [];
  const word = a.task === 'multilabel' ? 'labels' : 'classes';
  lines.push(`${word === 'labels' ? 'Labels' : 'Classes'} (${a.task}): ${a.classes.length}` +
    (a.task === 'multilabel' ? `; ${a.images_without_labels ?? 0} image(s) without any label` : ''));
  const splits = SPLITS.filter((s) => a.split_totals[s] > 0);
  const shown = a.classes.slice(0, MAX_SUMMARY_CLASSES);
  const w = Math.max(5, ...shown.map((c) => c.length)) + 1;
  lines.push(`  ${''.padEnd(w)}${splits.map((s) => pad(s, 7)).join('')}${pad('total', 7)}`);
  for (const c of shown) {
    lines.push(`  ${c.padEnd(w)}${splits.map((s) => pad(a.counts[s][c]!, 7)).join('')}${pad(SPLITS.reduce((n, s) => n + a.counts[s][c]!, 0), 7)}`);
  }
  if (a.classes.length > shown.length) lines.push(`  ... and ${a.classes.length - shown.length} more (audit.json)`);
  lines.push(`  ${'images'.padEnd(w)}${splits.map((s) => pad(a.split_totals[s], 7)).join('')}${pad(a.total, 7)}`);
  const im = a.imbalance;
  if (a.split_totals.train > 0) {
    lines.push(`Imbalance (train): ${Number.isFinite(im.ratio) ? `${im.ratio.toFixed(2)}:1` : `'${im.minority_class}' missing`}` +
      ` (largest: ${im.majority_class}, smallest: ${im.minority_class})`);
  }
  if (a.small_classes?.length) {
    lines.push(`Under ${SMALL_CLASS} images: ${a.small_classes.map((c) => `${c.class} (${c.images})`).join(', ')}`);
  }
  if (a.co_occurrence?.length) {
    lines.push(`Most frequent label pairs: ${a.co_occurrence.slice(0, 3).map((p) => `${p.labels.join(' + ')} (${p.images})`).join(', ')}`);
  }
  return lines;
}

/**
 * The findings a user must not miss, one sentence each, for the terminal (the summary has the numbers;
 * audit.json the files). `posWeightSet`: the run already weights the classes, so imbalance needs no advice.
 */
export function auditWarnings(a: Audit, o: { posWeightSet?: boolean } = {}): string[] {
  const out: string[] = [];
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  if (a.unreadable.length) out.push(`${n(a.unreadable.length, 'unreadable image', 'unreadable images')} skipped (reasons in audit.json)`);
  const unsupported = unsupportedImagesText(a.ignored.unsupported_images ?? {});
  if (unsupported) out.push(unsupported);
  if (a.leakage.length) {
    out.push(`${n(a.leakage.length, 'image appears', 'images appear')} in more than one split (leakage: validation/test scores will be optimistic); ` +
      `e.g. ${a.leakage[0]!.files.map((f) => `${f.path} (${f.split})`).join(' = ')}; see audit.json "leakage"`);
  }
  if (a.conflicting_labels.length) {
    out.push(`${n(a.conflicting_labels.length, 'image is', 'images are')} present with both labels; e.g. ` +
      `${a.conflicting_labels[0]!.files.map((f) => `${f.path} (${f.label})`).join(' = ')}; see audit.json "conflicting_labels"`);
  }
  if (a.dark_images?.count) {
    out.push(`${n(a.dark_images.count, 'image is', 'images are')} nearly black (brightest value under ${DARK_BELOW} of 255, e.g. ` +
      `${a.dark_images.files[0]!.path}): 12-bit data in 16-bit files, or float images in [0, 1], come out this way; rescale them ` +
      'to the full range before training; see audit.json "dark_images"');
  }
  if (a.uniform_images?.count) {
    out.push(`${n(a.uniform_images.count, 'image is', 'images are')} one colour (every pixel the same, e.g. ${a.uniform_images.files[0]}): ` +
      'nothing to learn from; see audit.json "uniform_images"');
  }
  const im = a.imbalance;
  if (a.task !== undefined && a.task !== 'binary') {
    if (im.imbalanced && Number.isFinite(im.ratio)) {
      out.push(`${a.task === 'multilabel' ? 'labels' : 'classes'} are imbalanced on train (${im.ratio.toFixed(2)}:1, largest '${im.majority_class}', ` +
        `smallest '${im.minority_class}'): consider weighting them in the loss`);
    }
    const small = a.small_classes ?? [];
    if (small.length) {
      out.push(`${small.length === 1 ? `1 ${a.task === 'multilabel' ? 'label has' : 'class has'}` : `${small.length} ${a.task === 'multilabel' ? 'labels have' : 'classes have'}`} ` +
        `fewer than ${SMALL_CLASS} images (${small.map((c) => `'${c.class}' ${c.images}`).join(', ')}): their metrics rest on few images`);
    }
    return out;
  }
  if (im.imbalanced && Number.isFinite(im.ratio) && !o.posWeightSet && im.pos_weight !== null) {
    out.push(`classes are imbalanced on train (${im.ratio.toFixed(2)}:1, minority '${im.minority_class}'): consider --pos-weight auto ` +
      `(pos_weight ${fmtSignificant(im.pos_weight)}) and a threshold chosen on validation (--threshold-method youden or f1)`);
  }
  return out;
}
