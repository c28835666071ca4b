// The CSV source: rows of path,label[,split] (or a labels column, or ';'-separated labels for a multi-label task),
// paths relative to the CSV file; every bad row is named with its line.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseCsv } from './csv.js';
import { csvColumns } from './csv-header.js';
import { shorten } from '../format/quote.js';
import { decodeText } from './text.js';
import { parseSplitName } from './names.js';
import { specialKind } from '../io/regular-file.js';
import type { Dataset } from './types.js';
import {
  type Found, type SourceOptions, build, byString, caseOnly, isFile, joinAnd, listSome, newIgnored, resolveClasses, taskNotes, taskRequest,
} from './source-build.js';

/** ';' or a tab when every row is a single field holding it: a CSV saved with another delimiter. */
function otherDelimiter(rows: Array<{ fields: string[] }>): string | undefined {
  if (!rows.every((r) => r.fields.length === 1)) return undefined;
  return [';', '\t', '|'].find((d) => rows.every((r) => r.fields[0]!.includes(d)));
}

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

export async function loadCsv(file: string, opts: SourceOptions): Promise<Dataset> {
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
