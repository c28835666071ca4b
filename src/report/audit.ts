// The "Data audit" section's content from audit.json (src/data's Audit): the findings a person must see
// before trusting the metrics, each with the files concerned. Read structurally and defensively, since the
// object may come from a file (infinities written as null) or from another version of tlearn.
import type { AuditData, AuditFinding, AuditJsonLike, FileRef } from './types.js';

export type { AuditJsonLike } from './types.js';
import { fmtSignificant } from './format.js';

/** How many files a finding lists before "... and N more" (the full list is in audit.json). */
const MAX_ITEMS = 20;

/** True for an audit.json-shaped object (as opposed to the free-form AuditData with `warnings`). */
export function isAuditJson(a: unknown): a is AuditJsonLike {
  if (!a || typeof a !== 'object') return false;
  const o = a as Record<string, unknown>;
  return !('warnings' in o) && (Array.isArray(o.unreadable) || Array.isArray(o.duplicates) || typeof o.imbalance === 'object');
}

const arr = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function capped(items: string[], total = items.length): string[] {
  const shown = items.slice(0, MAX_ITEMS);
  if (total > shown.length) shown.push(`… and ${total - shown.length} more (see audit.json)`);
  return shown;
}

const fileText = (f: FileRef, what: 'split' | 'label') => `${String(f.path ?? '?')} (${String(f[what] ?? '?')})`;
const group = (files: FileRef[] | undefined, what: 'split' | 'label') => arr(files).map((f) => fileText(f, what)).join(' = ');

export interface AuditReportOptions {
  /**
   * The pos_weight the run trained with (null/absent: none). Given, the imbalance finding states it
   * instead of advising --pos-weight, which the run already used.
   */
  posWeight?: number | null;
}

/** Findings (warnings), notes and the class counts of an audit.json object. */
export function auditReportData(a: AuditJsonLike, opts: AuditReportOptions = {}): AuditData {
  const findings: AuditFinding[] = [];
  const notes: string[] = [];

  if (a.split?.kind === 'drawn') {
    notes.push(`Split drawn with seed ${a.split.seed} (val ${a.split.val_fraction}, test ${a.split.test_fraction}, stratified by class).`);
  } else if (a.split?.kind === 'val_drawn') {
    notes.push(`Split as given, with val drawn from train with seed ${a.split.seed} (val ${a.split.val_fraction}, stratified by class).`);
  } else if (a.split?.kind === 'given') {
    notes.push(a.layout === 'csv' ? 'Split as given by the CSV\'s split column.' : 'Split as given by the split folders.');
  }

  for (const n of arr(a.notes)) if (typeof n === 'string') notes.push(n);

  const unreadable = arr(a.unreadable);
  if (unreadable.length) {
    findings.push({
      text: `${plural(unreadable.length, 'unreadable file')}, skipped (not trained or evaluated on); re-export or delete them:`,
      items: capped(unreadable.map((u) => `${fileText(u, 'split')}: ${String(u.reason ?? 'unknown reason')}`)),
    });
  }
  const leakage = arr(a.leakage);
  if (leakage.length) {
    findings.push({
      text: `Leakage: ${plural(leakage.length, 'image')} ${leakage.length === 1 ? 'is' : 'are'} in more than one split (byte-identical files), so the model is validated or tested on images it was trained on; ` +
        'remove each from all but one split; the validation and test metrics include them:',
      items: capped(leakage.map((g) => group(g.files, 'split'))),
    });
  }
  const conflicts = arr(a.conflicting_labels);
  if (conflicts.length) {
    findings.push({
      text: `Conflicting labels: ${plural(conflicts.length, 'image')} ${conflicts.length === 1 ? 'appears' : 'appear'} under more than one class (byte-identical files):`,
      items: capped(conflicts.map((g) => group(g.files, 'label'))),
    });
  }
  // A leaked group is also a duplicate group: listed once, under leakage.
  const leaked = new Set(leakage.map((g) => g.sha256).filter((h) => h !== undefined));
  const dups = arr(a.duplicates).filter((g) => !(g.sha256 !== undefined && leaked.has(g.sha256)));
  if (dups.length) {
    const extra = dups.reduce((n, g) => n + Math.max(0, arr(g.files).length - 1), 0);
    findings.push({
      text: `Exact duplicates: ${plural(dups.length, 'group')} of byte-identical files, ${plural(extra, 'extra copy', 'extra copies')}:`,
      items: capped(dups.map((g) => group(g.files, 'split'))),
    });
  }
  const im = a.imbalance;
  if (im) {
    const ratio = num(im.ratio), pw = num(im.pos_weight);
    const used = num(opts.posWeight);
    const usedText = used !== null ? `the run trained with pos_weight ${fmtSignificant(used)}` : null;
    const pwText = usedText ?? (pw !== null ? `suggested pos_weight ${fmtSignificant(pw)}` : 'no pos_weight can be computed');
    if (ratio === null) {
      findings.push({ text: `Class imbalance on train: one class has no training images (${pwText}).` });
    } else if (im.imbalanced) {
      findings.push({
        text: `Class imbalance on train: ${ratio.toFixed(2)}:1 (minority class ${String(im.minority_class)}); ` + (usedText
          ? `${usedText}${pw !== null ? ` (${fmtSignificant(pw)} balances it exactly)` : ''}; the threshold can also be chosen on validation with --threshold-method youden or f1.`
          : `${pwText} (train with --pos-weight auto, or choose the threshold on validation with --threshold-method youden or f1).`),
      });
    } else if (ratio < 1.05 && !usedText) {
      notes.push(`Class balance on train: ${ratio.toFixed(2)}:1 (balanced).`);
    } else {
      notes.push(`Class balance on train: ${ratio.toFixed(2)}:1; pos_weight ${pw !== null ? fmtSignificant(pw) : 'n/a'} would balance it exactly` +
        `${usedText ? `; ${usedText}` : ''}.`);
    }
  }
  const small = a.small_images;
  const smallCount = num(small?.count) ?? 0;
  if (smallCount > 0) {
    const files = arr(small!.files);
    const sizes = new Set(files.map((f) => `${String(f.width ?? '?')}×${String(f.height ?? '?')}`));
    const what = `${plural(smallCount, 'image')} smaller than ${a.image_size ?? 'the input size'} px`;
    // One size for all of them (a dataset of 28×28 images): one line says it; a list of paths would say it 20 times.
    if (sizes.size === 1 && files.length > 3) {
      findings.push({ text: `${what} (all ${[...sizes][0]} among the ${files.length} recorded): they are upsampled, which cannot add detail.` });
    } else {
      findings.push({
        text: `${what} (upsampled, which cannot add detail):`,
        items: capped(files.map((f) => `${String(f.path ?? '?')} (${String(f.width ?? '?')}×${String(f.height ?? '?')})`), smallCount),
      });
    }
  }
  const ig = a.ignored;
  const ignoredCount = (num(ig?.hidden) ?? 0) + (num(ig?.non_image) ?? 0) + (num(ig?.outside_class_folders) ?? 0);
  if (ig && ignoredCount > 0) {
    const ex = arr(ig.examples).slice(0, 5);
    notes.push(`Ignored files: ${ig.hidden ?? 0} hidden, ${ig.non_image ?? 0} not images, ${ig.outside_class_folders ?? 0} outside class folders` +
      `${ex.length ? ` (e.g. ${ex.join(', ')})` : ''}.`);
  }
  const empty = arr(ig?.empty_folders), output = arr(ig?.output_folders);
  if (empty.length) notes.push(`Folders without images (not classes): ${capped(empty.map(String), empty.length).join(', ')}.`);
  if (output.length) notes.push(`tlearn output folders inside the data (not scanned): ${capped(output.map(String), output.length).join(', ')}.`);

  // Empty splits (e.g. no val/ folder) would only add a column of zeros.
  const counts: Record<string, Record<string, number>> = {};
  for (const [split, byClass] of Object.entries(a.counts ?? {})) {
    if (Object.values(byClass ?? {}).some((n) => Number(n) > 0)) counts[split] = byClass;
  }
  return { counts, warnings: findings, notes, details: a };
}
