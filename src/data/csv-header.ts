// Which columns of a CSV data source hold the path, the label and the split. A header is optional; when
// there is one, the usual names of other tools are accepted (pandas/Kaggle lists say filename,class or
// image,label or file_path,target; fold or set for the split), and a first row that reads like a header
// tlearn does not know is an error naming it, rather than a data row whose "file" is missing.
import { isImageFile, parseSplitName } from './names.js';
import { shorten } from '../format/quote.js';

export interface CsvColumns {
  /** The first row is a header (and not data). */
  header: boolean;
  path: number;
  label: number;
  /** -1: no split column (headerless CSVs: the third field, when present). */
  split: number;
  /** The label column is named as a list of labels (`labels`): each row holds ';'-separated names (multilabel). */
  multi?: boolean;
  /** As written in the header, for the note of which columns were used. */
  names?: { path: string; label: string; split?: string };
}

/** Accepted header names, compared lower-case with spaces, '_' and '-' removed; first match wins. */
export const COLUMN_NAMES = {
  path: ['path', 'filepath', 'file', 'filename', 'image', 'imagepath', 'img', 'imgpath', 'imagefile'],
  label: ['label', 'class', 'target', 'y', 'classname', 'category'],
  split: ['split', 'set', 'subset', 'fold', 'partition'],
  /** A label column holding a list of names (multilabel), used when there is no single-label column. */
  labels: ['labels', 'tags'],
} as const;

const norm = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, '');

function find(fields: string[], names: readonly string[]): number {
  const normed = fields.map(norm);
  for (const n of names) {
    const i = normed.indexOf(n);
    if (i >= 0) return i;
  }
  return -1;
}

/** A word-like cell (a letter first, then letters, digits, spaces, '_', '.', '-'): what header cells look like. */
const WORDLIKE = /^\p{L}[\p{L}\p{N} _.-]*$/u;

const EXPECTED = 'expected path,label[,split]';
const ACCEPTED = `accepted names: path: ${COLUMN_NAMES.path.join('/')}; label: ${COLUMN_NAMES.label.join('/')} ` +
  `(or ${COLUMN_NAMES.labels.join('/')}: ';'-separated names); ` +
  `split: ${COLUMN_NAMES.split.join('/')} (any case; spaces, '_' and '-' ignored)`;

/**
 * Reads the first row: a recognised header (a path and a label column by the names above), data (its first
 * field names an existing file, or does not read like a column name), or else a header that is not
 * recognised (throws). `firstIsFile` says whether the first field names an existing file.
 */
export function csvColumns(first: string[], firstIsFile: boolean, where: string): CsvColumns {
  const trimmed = first.map((f) => f.trim());
  const got = `(got: ${shorten(trimmed.join(','))})`;
  const p = find(trimmed, COLUMN_NAMES.path), s = find(trimmed, COLUMN_NAMES.split);
  const single = find(trimmed, COLUMN_NAMES.label);
  const l = single >= 0 ? single : find(trimmed, COLUMN_NAMES.labels);
  if (p >= 0 && l >= 0) {
    return {
      header: true, path: p, label: l, split: s, ...(single < 0 ? { multi: true } : {}),
      names: { path: trimmed[p]!, label: trimmed[l]!, ...(s >= 0 ? { split: trimmed[s] } : {}) },
    };
  }
  const data: CsvColumns = { header: false, path: 0, label: 1, split: 2 };
  // A file, or something shaped like a file path (an image extension, a folder): a data row, even if missing.
  const first0 = trimmed[0] ?? '';
  if (firstIsFile || isImageFile(first0) || /[\\/]/.test(first0)) return data;
  const prefix = `${where}: header not recognised: `;
  const why = 'line 1 is not a file and reads like column names';
  if (p >= 0 || l >= 0) throw new Error(`${prefix}no ${p < 0 ? 'path' : 'label'} column ${got}; ${EXPECTED}; ${why}; ${ACCEPTED}`);
  const third = trimmed[2];
  const splitWord = third !== undefined && !parseSplitName(third) && (COLUMN_NAMES.split as readonly string[]).includes(norm(third));
  const wordsOnly = trimmed.every((f) => WORDLIKE.test(f));
  if (splitWord || wordsOnly) throw new Error(`${prefix}${EXPECTED} ${got}; ${why}; ${ACCEPTED}`);
  return data;
}
