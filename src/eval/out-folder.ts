// Where an evaluation may write: never into a training run's own files (its report.html, RUN/eval, RUN/last) and
// never among the images of the data it evaluates. Checked by evaluate() itself, so library callers get the
// same protection as the CLI.
import fs from 'node:fs';
import path from 'node:path';
import { isImageFile, outputFolderKind } from '../data/names.js';
import { checkOutputPath } from '../io/output-path.js';

/** An `out` folder that evaluate refuses (bad input: the CLI exits 2). */
export class OutFolderError extends Error {
  override name = 'OutFolderError';
}

/** Refuses a file, a training run's folder (or a folder it keeps for itself) and a class/split folder of `data`. */
export function checkEvaluationOut(out: string, data: string): void {
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new OutFolderError(`--out ${out} is a file, not a folder`);
  // Under a file, through a dangling link, in a protected place: said now, not after the predictions.
  checkOutputPath(out, `the evaluation folder ${out}`);
  checkNotRunFolder(out, data);
  checkNotInsideDataFolders(out, data);
}

/** True for a folder written by `tlearn train`: config.json with a history, RUN/last/, or best_model_* checkpoints. */
export function isRunFolder(dir: string): boolean {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return false;
  }
  return (names.includes('config.json') && (names.includes('history.csv') || names.includes('history.jsonl'))) ||
    names.includes('last') || names.some((n) => n.startsWith('best_model_'));
}

/** Folders a training run writes for itself (src/train/run-dir.ts): never an evaluation's --out, nor inside. */
const RUN_FOLDERS = ['last', '.last.new', '.last.old', 'eval', '.feature-cache', '.image-cache'];

/** The nearest folder above `out` that is a training run, or null. */
function enclosingRun(out: string): string | null {
  for (let dir = path.dirname(out); ; dir = path.dirname(dir)) {
    if (isRunFolder(dir)) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

/** A folder an earlier `evaluate` wrote (it may be written again), or an empty one. */
function isEvaluationOrEmpty(dir: string): boolean {
  const names = fs.readdirSync(dir);
  return names.length === 0 || names.includes('metrics.json');
}

/**
 * Evaluation files (report.html, metrics.json, ...) written into a training run folder would replace the
 * run's own report, into RUN/eval the run's test evaluation, into RUN/last its resume state: inside a run,
 * only a new folder of its own (RUN/eval-NAME) or an earlier evaluation folder is taken.
 */
export function checkNotRunFolder(out: string, data: string): void {
  const suggestion = (run: string) => path.join(run, `eval-${path.parse(data).name || 'data'}`);
  if (isRunFolder(out)) {
    // A run killed before its evaluation has no report.html yet: the reason is then its own files.
    const why = fs.existsSync(path.join(out, 'report.html')) ? 'evaluate would replace its report.html'
      : "evaluate would write its files among the run's own files";
    throw new OutFolderError(`--out ${out} is a training run folder; ${why}. ` +
      `Write the evaluation into a folder of its own, e.g. --out ${suggestion(out)}`);
  }
  const run = enclosingRun(out);
  if (run === null) return;
  const top = path.relative(run, out).split(path.sep)[0]!;
  const topDir = path.join(run, top);
  const why = top === 'eval' ? `the test evaluation of the training run ${run}`
    : RUN_FOLDERS.includes(top) ? `a folder the training run ${run} keeps for itself (${top}/)`
    // An existing folder directly in the run that holds something else (not an earlier evaluation).
    : topDir === out && fs.existsSync(out) && fs.statSync(out).isDirectory() && !isEvaluationOrEmpty(out)
      ? `an existing folder inside the training run ${run} that does not hold an earlier evaluation` : null;
  if (why === null) return;
  throw new OutFolderError(`--out ${out} is ${out === topDir ? '' : 'inside '}${why}; evaluate writes only into a new folder inside the training run ` +
    `(or an earlier evaluation's), e.g. --out ${suggestion(run)}`);
}

/**
 * True when dir holds an image (recursively) the way the data loader sees it: hidden entries and tlearn
 * output folders are skipped. Stops at the first image found.
 */
function holdsDataImages(dir: string, seen = new Set<string>()): boolean {
  let entries: fs.Dirent[];
  try {
    // A symlink loop (or a folder linked twice) is walked once.
    const real = fs.realpathSync(dir);
    if (seen.has(real)) return false;
    seen.add(real);
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  // The data loader skips tlearn's own output folders, so their images are not data.
  if (outputFolderKind(new Set(entries.map((e) => e.name)))) return false;
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isFile() && isImageFile(e.name)) return true;
    if ((e.isDirectory() || e.isSymbolicLink()) && holdsDataImages(p, seen)) return true;
  }
  return false;
}

/**
 * An evaluation written into a class or split folder of DATA puts its files among the images, and the next
 * load of DATA skips that folder as tlearn output (a class silently gone). Writing into DATA itself, or
 * into a new folder directly in it, is harmless.
 */
export function checkNotInsideDataFolders(out: string, data: string): void {
  if (!fs.statSync(data).isDirectory()) return;
  const rel = path.relative(data, out);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return;
  let dir = data;
  for (const part of rel.split(path.sep)) {
    dir = path.join(dir, part);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return;
    if (!holdsDataImages(dir)) continue;
    const shown = path.relative(data, dir).split(path.sep).join('/');
    throw new OutFolderError(`--out ${out} is ${dir === out ? '' : 'inside '}a class or split folder of the data (${shown}/ of ${data} holds images): ` +
      'evaluate would write its files among the images, and a later load of the data would skip that folder. ' +
      `Write the evaluation outside the data, e.g. --out ${path.join(path.dirname(data), `eval-${path.basename(data)}`)}`);
  }
}
