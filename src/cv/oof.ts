// Out-of-fold probabilities: each fold's final model on its held-out images (RUN/fold-K/oof.csv, written as the
// fold's run picks its final model), gathered into RUN/oof.csv in the pool's order. Columns: path, label (the
// class name; multilabel: `labels`, names joined by ';'), fold (1-based), then the probabilities: binary one
// column `probability` (of the positive class, as predictions.csv), else one column per class.
import fs from 'node:fs';
import { formatCsv, parseCsv } from '../data/csv.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { TaskKind } from '../data/index.js';

export interface OofRow {
  path: string;
  /** Class index (binary 0/1, multiclass 0..C-1); multilabel: -1 (see labels). */
  label: number;
  labels?: readonly number[];
  fold: number;
  /** Binary: [p(positive)]; else one per class. */
  probs: number[];
}

export function probColumns(task: TaskKind, classes: readonly string[]): string[] {
  return task === 'binary' ? ['probability'] : [...classes];
}

function labelText(r: OofRow, task: TaskKind, classes: readonly string[]): string {
  return task === 'multilabel' ? (r.labels ?? []).map((i) => classes[i]).join(';') : classes[r.label]!;
}

export function writeOof(file: string, rows: readonly OofRow[], task: TaskKind, classes: readonly string[]): void {
  const header = ['path', task === 'multilabel' ? 'labels' : 'label', 'fold', ...probColumns(task, classes)];
  const text = formatCsv(header, rows.map((r) => [r.path, labelText(r, task, classes), r.fold, ...r.probs.map((p) => String(p))]));
  writeFileAtomic(file, [Buffer.from(text)]);
}

export function readOof(file: string, task: TaskKind, classes: readonly string[]): OofRow[] {
  const rows = parseCsv(fs.readFileSync(file, 'utf8'), file);
  const width = probColumns(task, classes).length;
  return rows.slice(1).map((r) => {
    const [p, label, fold, ...probs] = r.fields;
    if (probs.length !== width) throw new Error(`${file} line ${r.line}: expected ${width} probabilities, got ${probs.length}`);
    const names = task === 'multilabel' ? (label === '' ? [] : label!.split(';')) : [label!];
    const idx = names.map((n) => classes.indexOf(n));
    if (idx.some((i) => i < 0)) throw new Error(`${file} line ${r.line}: unknown class in '${label}'`);
    return {
      path: p!, label: task === 'multilabel' ? -1 : idx[0]!, ...(task === 'multilabel' ? { labels: idx } : {}),
      fold: Number(fold), probs: probs.map(Number),
    };
  });
}
