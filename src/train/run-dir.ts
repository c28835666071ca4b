// The run directory's layout (see ARCHITECTURE.md, "Run directory") and the checks made before a run
// writes into it: a new run never mixes its files with an earlier run's unless asked to replace them.
import fs from 'node:fs';
import path from 'node:path';
// TEMP_NAME is the atomic writers' temp-file pattern, shared with the evaluation folder's cleanup.
import { isStaleTempName, TEMP_NAME, writeFileAtomic } from '../io/atomic.js';
import { checkOutputPath, makeOutputFolder } from '../io/output-path.js';
import type { CheckpointFormat } from './config/index.js';
import { STATE_FILE, stateFromJson } from './resume/last.js';

export interface RunPaths {
  root: string;
  config: string;
  manifest: string;
  audit: string;
  historyCsv: string;
  historyJsonl: string;
  /** The resume state, replaced as a whole (see resume/last.ts). */
  last: string;
  /** Where a new resume state is written before it replaces `last`. */
  lastNew: string;
  /** Where the previous state waits while the new one is renamed into place. */
  lastOld: string;
  /** Spill folder of the frozen-prefix feature cache (removed after each phase). */
  featureCache: string;
  /** Decoded images beyond imageCache.memoryMB (removed when the run ends). */
  imageCache: string;
  eval: string;
  best(phase: string, format: CheckpointFormat): string;
  final(format: CheckpointFormat): string;
}

export function runPaths(root: string): RunPaths {
  const r = path.resolve(root);
  const j = (...p: string[]) => path.join(r, ...p);
  return {
    root: r,
    config: j('config.json'),
    manifest: j('manifest.csv'),
    audit: j('audit.json'),
    historyCsv: j('history.csv'),
    historyJsonl: j('history.jsonl'),
    last: j('last'),
    lastNew: j('.last.new'),
    lastOld: j('.last.old'),
    featureCache: j('.feature-cache'),
    imageCache: j('.image-cache'),
    eval: j('eval'),
    // With 'both' the .safetensors file is the one read back; the .pth beside it is for PyTorch users.
    best: (phase, format) => j(`best_model_${phase}.${format === 'both' ? 'safetensors' : format}`),
    final: (format) => j(`best_model_final.${format === 'both' ? 'safetensors' : format}`),
  };
}

/** Files and folders a run writes; a new run refuses a directory holding any of them (unless overwrite). */
function runEntries(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) =>
    ['config.json', 'history.csv', 'history.jsonl', 'last', '.last.new', '.last.old', 'eval', 'report.html', '.feature-cache', '.image-cache', 'logs'].includes(n) ||
    RANK_CACHE.test(n) || /^best_model_.+\.(safetensors|pth)(\.json)?$/.test(n));
}

/** Thrown for a run directory that cannot be used as asked (bad usage: the CLI exits with 2). */
export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDirError';
  }
}

/**
 * Files a run writes before its first training step (the data check's decoded images, manifest and audit,
 * the configuration, a history without rows). A folder holding only these (and stale temporary files) is what
 * a run that failed during its start left behind: a new run may reuse it.
 */
const PRE_TRAINING_NAMES = new Set(['.image-cache', 'config.json', 'manifest.csv', 'audit.json', 'history.csv', 'history.jsonl', 'logs']);
/** A data-parallel rank's own cache folders (rank N > 0; removed at its end, left by a kill). */
const RANK_CACHE = /^\.(image|feature)-cache-rank-\d+$/;
const PRE_TRAINING = { has: (n: string): boolean => PRE_TRAINING_NAMES.has(n) || RANK_CACHE.test(n) };

/** Where a resume state can be: RUN/last, or (a kill during the swap) .last.new / .last.old, put back by recoverLast. */
const STATE_DIRS = ['last', '.last.new', '.last.old'];

function historyIsEmpty(dir: string, name: string): boolean {
  try {
    const lines = fs.readFileSync(path.join(dir, name), 'utf8').split('\n').filter((l) => l.trim() !== '');
    return lines.length <= (name === 'history.csv' ? 1 : 0);
  } catch {
    return false;
  }
}

export interface RunDirUse {
  /**
   * missing or empty; 'pretraining': a failed start's files only (no completed epoch); 'run': an earlier run;
   * 'other': other files.
   */
  kind: 'missing' | 'empty' | 'pretraining' | 'run' | 'other';
  /** The entries behind the verdict (run files for 'run', the unknown entries for 'other'). */
  entries: string[];
  /** For 'run': whether it has a complete resume state, so that --resume can continue it. */
  resumable?: boolean;
}

/**
 * A resume state folder being written (.last.new) or swapped out (.last.old) without state.json, beside no
 * RUN/last: what a first save killed half-way leaves. It holds no state, so it is not a run's.
 */
function partialState(dir: string, name: string): boolean {
  return (name === '.last.new' || name === '.last.old') && !fs.existsSync(path.join(dir, 'last')) &&
    !fs.existsSync(path.join(dir, name, STATE_FILE));
}

/**
 * Whether the complete resume state in `dir/name` has trained anything: an epoch, or batches of one (Ctrl-C).
 * The state a run saves right before its first batch has not. An unreadable state counts as trained: it is
 * kept, and --resume says what is wrong with it.
 */
function stateHasTrained(dir: string, name: string): boolean {
  const file = path.join(dir, name, STATE_FILE);
  try {
    const s = stateFromJson(fs.readFileSync(file, 'utf8'), file) as { globalEpoch?: unknown; midEpoch?: unknown; history?: unknown };
    return !(s.globalEpoch === 0 && s.midEpoch === null && Array.isArray(s.history) && s.history.length === 0);
  } catch {
    return true;
  }
}

const hasState = (dir: string, name: string): boolean => fs.existsSync(path.join(dir, name, STATE_FILE));

/**
 * An entry that shows a completed epoch (or a trained batch): a checkpoint, the test evaluation or report, a
 * resume state that has trained. Without one, a run's files (config.json, a history whose rows belong to no
 * saved weights, a resume state saved before training) are a failed start's: a full disk at the first
 * checkpoint leaves exactly that, and neither --resume nor keeping them would help anyone.
 */
function showsCompletedEpoch(dir: string, name: string): boolean {
  if (STATE_DIRS.includes(name)) return hasState(dir, name) && stateHasTrained(dir, name);
  return name === 'eval' || name === 'report.html' || name.startsWith('best_model_');
}

/** What a folder given as --out holds, as far as starting a new run in it is concerned. */
export function inspectRunDir(dir: string): RunDirUse {
  if (!fs.existsSync(dir)) return { kind: 'missing', entries: [] };
  const names = fs.readdirSync(dir).filter((n) => !TEMP_NAME.test(n) && !partialState(dir, n)).sort();
  if (names.length === 0) return { kind: 'empty', entries: [] };
  const ours = runEntries(dir).filter((n) => !partialState(dir, n)).sort();
  if (ours.some((n) => showsCompletedEpoch(dir, n))) {
    // Named: what holds the run (checkpoints, the history's rows, the resume state...), not the start's files.
    const entries = ours.filter((n) => !PRE_TRAINING.has(n) || (n.startsWith('history.') && !historyIsEmpty(dir, n)));
    return { kind: 'run', entries, resumable: STATE_DIRS.some((n) => hasState(dir, n)) };
  }
  const other = names.filter((n) => !PRE_TRAINING.has(n) && !ours.includes(n));
  return other.length > 0 ? { kind: 'other', entries: other } : { kind: 'pretraining', entries: names };
}

const shown = (names: string[]) => `${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''}`;

/** The refusal of a new run in `dir`, which holds an earlier run (`use`, kind 'run'): what to do instead. */
export function runInTheWay(dir: string, use: RunDirUse): string {
  return use.resumable
    ? `${dir} already holds a run (${shown(use.entries)}): continue it with --resume, or choose another --out`
    : `${dir} already holds a run (${shown(use.entries)}) that cannot be continued: it has no resume state (last/); ` +
      'choose another --out, or move those files away to start again there';
}

/** Why --resume cannot continue a run in `dir` (null when it has a resume state): what to do instead. */
export function resumeRefusal(dir: string): string | null {
  if (STATE_DIRS.some((n) => hasState(dir, n))) return null;
  const use = inspectRunDir(dir);
  // A failed start's files, possibly beside files that are not tlearn's.
  if (use.kind === 'pretraining' || (use.kind === 'other' && fs.existsSync(path.join(dir, 'config.json')))) return `${dir} holds no completed epoch; start it again with the same command (without --resume)`;
  if (use.kind === 'run') {
    return `cannot resume ${dir}: it has no resume state (last/), so its run cannot be continued; its files ` +
      `(${shown(use.entries)}) stay as they are. Start a new run with another --out`;
  }
  return `nothing to resume: ${path.join(dir, 'last')} does not exist`;
}

/**
 * The run-folder rules, the one place they are checked: by the CLI before it loads anything, by train() before
 * it writes. Reads only; throws a RunDirError saying what is in the way and what to do. A new run needs a
 * folder that can be created, or one that is empty or holds only what a start that failed before completing
 * an epoch left; an earlier run's files are in the way unless `overwrite`, and so are files that are not
 * tlearn's (their folder may hold a config.json of someone else's, which the run would replace). A resumed run
 * needs a resume state and RUN/config.json.
 */
export function checkRunDir(root: string, mode: { resume: boolean; overwrite?: boolean }): void {
  if (fs.existsSync(root) && !fs.statSync(root).isDirectory()) throw new RunDirError(`cannot use the run folder ${root}: it is a file, not a folder`);
  if (mode.resume) {
    const refusal = resumeRefusal(root);
    if (refusal) throw new RunDirError(refusal);
    const config = path.join(root, 'config.json');
    if (!fs.existsSync(config)) throw new RunDirError(`cannot resume: ${config} is missing`);
    return;
  }
  // Under a file, through a dangling link, in a protected place: said before any work.
  checkOutputPath(root, `the run folder ${root}`);
  if (mode.overwrite) return;
  const use = inspectRunDir(root);
  if (use.kind === 'run') throw new RunDirError(runInTheWay(root, use));
  if (use.kind === 'other') throw new RunDirError(`the run folder ${root} exists and is not empty (${shown(use.entries)}); choose another --out`);
}

/**
 * Makes the run directory ready, after checkRunDir. A new run replaces the files of a start that failed
 * before completing an epoch; with `overwrite` an earlier run's files are removed first (nothing else in the
 * folder is touched). Either way, temporary files left by a killed write are removed.
 */
export function prepareRunDir(paths: RunPaths, mode: { resume: boolean; overwrite: boolean }): void {
  checkRunDir(paths.root, mode);
  if (mode.resume) {
    removeStaleTempFiles(paths);
    return;
  }
  if (fs.existsSync(paths.root)) removeStaleTempFiles(paths);
  // An earlier run's files with overwrite; otherwise what a failed start left (beside files that are not tlearn's).
  for (const name of runEntries(paths.root)) fs.rmSync(path.join(paths.root, name), { recursive: true, force: true });
  makeOutputFolder(paths.root, `the run folder ${paths.root}`);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, [Buffer.from(JSON.stringify(value, null, 2) + '\n')]);
}

export function writeTextAtomic(file: string, text: string): void {
  writeFileAtomic(file, [Buffer.from(text)]);
}

/** Leftovers of interrupted atomic writes (".name.pid.rand.tmp") in a folder, for cleanup and tests. */
export function tempFilesIn(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => /^\..+\.tmp$/.test(n));
}

/**
 * Removes what a killed write left behind in the run folder and RUN/last: files named like tlearn's temporary
 * files whose writing process is gone (a live one may still be writing). Returns the names removed.
 */
export function removeStaleTempFiles(paths: RunPaths): string[] {
  const removed: string[] = [];
  for (const dir of [paths.root, paths.last]) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      if (!isStaleTempName(name)) continue;
      const file = path.join(dir, name);
      if (!fs.lstatSync(file).isFile()) continue;
      fs.rmSync(file, { force: true });
      removed.push(path.relative(paths.root, file));
    }
  }
  return removed;
}
