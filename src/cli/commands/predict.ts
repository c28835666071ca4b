// `tlearn predict MODEL FILE_OR_DIR...`: probabilities and predicted classes, as a table, JSON or CSV.
import type fs from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, EXIT_FAILURE } from '../errors.js';
import type { CliIO } from '../io.js';
import type { PredictCommandOptions, PredictRow } from '../../eval/types.js';
import { loadPart } from '../planned.js';
import { checkModelFile } from './evaluate.js';
import { isOnnxFile, onnxPart } from './onnx-model.js';
import { IMAGE_EXTENSIONS } from '../../data/names.js';
import { imageFilesIn } from '../../data/walk.js';
import { notRegularReason, unopenableReason } from '../../io/regular-file.js';

/** The parsed flags: src/eval's options without the logger, files and folders as typed, and the output format. */
export interface PredictOptions extends Omit<PredictCommandOptions, 'files' | 'log'> {
  inputs: string[];
  format: 'table' | 'json' | 'csv';
}

export type { PredictRow };

/** What src/eval/index.ts `predict` receives: absolute image paths (folders already expanded). */
export type PredictRunOptions = PredictCommandOptions;

/** src/eval/index.ts `predict` (one row per file, in the order of `files`): its own type. */
export type PredictFn = typeof import('../../eval/index.js').predict;

/**
 * One file to predict, in input order; `error` for an input that yields no file (a path that does not exist,
 * a folder without images), reported as an error row.
 */
export interface InputFile { path: string; error?: string }

/**
 * Expands the command-line inputs: files are kept as given (whatever their extension: the decoder judges them),
 * folders are searched recursively for image extensions, in sorted order, by the walk train and evaluate use
 * (src/data/walk.ts: hidden entries skipped, links to files followed, a folder link only out of the folder;
 * any other folder link is an error naming it). A path that does not exist, is not a regular file (a FIFO
 * would be waited on for ever) or is a folder without images is kept as an entry with an `error`, like an
 * unreadable file, unless no input yields any file at all (then a usage error naming every input).
 */
export async function collectInputFiles(inputs: string[], cwd: string): Promise<InputFile[]> {
  const files: InputFile[] = [];
  const reasons: string[] = [];
  for (const input of inputs) {
    const abs = path.resolve(cwd, input);
    let st: fs.Stats;
    try { st = await stat(abs); } catch {
      const why = (await unopenableReason(abs)) ?? 'does not exist';
      files.push({ path: abs, error: why });
      reasons.push(why === 'does not exist' ? `${input} does not exist` : `${input}: ${why}`);
      continue;
    }
    if (st.isDirectory()) {
      const found = await imageFilesIn(abs);
      for (const f of found) files.push({ path: f });
      if (found.length === 0) {
        const why = `holds no images (${[...IMAGE_EXTENSIONS].join(', ')})`;
        files.push({ path: abs, error: why });
        reasons.push(`the folder ${input} ${why}`);
      }
      continue;
    }
    const special = notRegularReason(st);
    if (special) {
      files.push({ path: abs, error: special });
      reasons.push(`${input}: ${special}`);
    } else files.push({ path: abs });
  }
  if (files.every((f) => f.error !== undefined)) throw new UsageError(reasons.join('; '));
  return files;
}

/** RFC 4180 field: quoted when it holds a comma, quote, CR or LF. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A path as shown: relative to cwd when inside it, else absolute. */
function shownPath(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** Formats results; paths are shown relative to cwd when inside it. */
export function formatPredictions(rows: PredictRow[], format: PredictOptions['format'], cwd: string): string {
  const show = (p: string) => shownPath(p, cwd);
  if (format === 'json') {
    return JSON.stringify(rows.map((r) => ({ ...r, path: show(r.path) })), null, 2) + '\n';
  }
  if (format === 'csv') return predictionsCsv(rows, show);
  const cell = (p: string) => escapeControls(show(p));
  const shown = (r: PredictRow) => ('error' in r ? 'error' : escapeControls('labels' in r ? r.labels.join(', ') || '(none)' : r.label));
  const labelWidth = Math.max(5, ...rows.map((r) => displayWidth(shown(r))));
  const pad = (text: string) => text + ' '.repeat(Math.max(0, labelWidth - displayWidth(text)));
  // A multi-label row has no single probability: its labels are those at or above their thresholds.
  const multilabel = rows.some((r) => 'labels' in r);
  // A model with conformal sets: each image's set beside its label ({a, b}; {} when no class is likely enough).
  const withSets = rows.some((r) => 'set' in r);
  const setOf = (r: PredictRow) => ('set' in r && r.set ? escapeControls(`{${r.set.join(', ')}}`) : '-');
  const setWidth = Math.max(3, ...rows.map((r) => displayWidth(setOf(r))));
  const setCell = (text: string) => (withSets ? `${text}${' '.repeat(Math.max(0, setWidth - displayWidth(text)))}  ` : '');
  const lines = [`${multilabel ? '' : `${'probability'.padEnd(11)}  `}${pad(multilabel ? 'labels' : 'label')}  ${setCell('set')}path`];
  for (const r of rows) {
    const p = 'error' in r || 'labels' in r ? '-' : r.probability.toFixed(4);
    const tail = 'error' in r ? `${cell(r.path)}: ${escapeControls(r.error)}` : cell(r.path);
    lines.push(`${multilabel ? '' : `${p.padEnd(11)}  `}${pad(shown(r))}  ${setCell(setOf(r))}${tail}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * CSV: binary `path,probability,predicted,label`; multiclass `path,label,probability,<one column per class>`;
 * multilabel `path,labels,<one column per label>` (labels joined by ';'); a model with conformal sets adds a last
 * column `set` (the set's classes joined by ';'). A file that failed keeps its row
 * (empty fields) so the CSV lines up with the inputs; the reason goes to stderr.
 */
function predictionsCsv(rows: PredictRow[], show: (p: string) => string): string {
  const first = rows.find((r) => !('error' in r));
  const classes = first && 'probabilities' in first ? Object.keys(first.probabilities) : [];
  const header = !first || !('probabilities' in first) ? ['path', 'probability', 'predicted', 'label']
    : 'labels' in first ? ['path', 'labels', ...classes] : ['path', 'label', 'probability', ...classes];
  const withSets = rows.some((r) => 'set' in r);
  if (withSets) header.push('set');
  const lines = [header.map(csvField).join(',')];
  for (const r of rows) {
    const set = withSets ? [csvField('set' in r && r.set ? r.set.join(';') : '')] : [];
    const fields = 'error' in r ? new Array<string>(header.length - 1 - set.length).fill('')
      : 'labels' in r ? [csvField(r.labels.join(';')), ...classes.map((c) => String(r.probabilities[c]))]
        : 'probabilities' in r ? [csvField(r.label), String(r.probability), ...classes.map((c) => String(r.probabilities[c]))]
          : [String(r.probability), String(r.predicted), csvField(r.label)];
    lines.push([csvField(show(r.path)), ...fields, ...set].join(','));
  }
  return lines.join('\n') + '\n';
}

/** Control characters (a newline in a file name) as escapes, so that each file stays on one line of the table. */
function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** Terminal columns of a text: East Asian wide and fullwidth characters (and emoji) take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const wide = (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

/**
 * Exit code 1 only when no file could be predicted; single failures (unreadable or missing files) are rows of
 * the output. The reasons go to stderr in every format when nothing was predicted, and always with --json/--csv.
 */
export async function runPredict(opts: PredictOptions, io: CliIO): Promise<number> {
  const model = path.resolve(io.cwd, opts.model);
  checkModelFile(model);
  const inputs = await collectInputFiles(opts.inputs, io.cwd);
  const files = inputs.filter((f) => f.error === undefined).map((f) => f.path);
  const { inputs: _inputs, format, ...rest } = opts;
  let predicted: PredictRow[] = [];
  if (files.length > 0) {
    // An .onnx model runs in onnxruntime (src/deploy), without libtorch; a checkpoint in libtorch (src/eval).
    const predict = isOnnxFile(model) ? (await onnxPart()).predictOnnx : (await loadPart(() => import('../../eval/index.js'), 'prediction')).predict;
    predicted = await predict({ ...rest, model, files, log: (line) => io.err(`${line}\n`) });
    if (predicted.length !== files.length) throw new Error(`predict returned ${predicted.length} results for ${files.length} files`);
  }
  let next = 0;
  const rows: PredictRow[] = inputs.map((f) => (f.error !== undefined ? { path: f.path, error: f.error } : predicted[next++]!));
  io.out(formatPredictions(rows, format, io.cwd));
  const failed = rows.filter((r): r is Extract<PredictRow, { error: string }> => 'error' in r);
  const none = failed.length === rows.length;
  const show = (p: string) => shownPath(p, io.cwd);
  if (format !== 'table' || none) for (const r of failed) io.err(`cannot predict ${show(r.path)}: ${r.error}\n`);
  if (none) io.err(`no file could be predicted (${rows.length} file${rows.length === 1 ? '' : 's'})\n`);
  return none ? EXIT_FAILURE : 0;
}
