// Writing an evaluation folder so that it never mixes two evaluations: the new files are written into a
// staging folder inside it and moved into place only once all of them exist. A full disk while writing then
// leaves the earlier evaluation complete; a failure while moving leaves none of the earlier evaluation's files.
// What a killed earlier write left behind (temporary files, a staging folder) is removed first.
import fs from 'node:fs';
import path from 'node:path';
import { isStaleTempName, processAlive, tempPathFor, writeFileAtomicAsync } from '../io/atomic.js';
import { makeOutputFolder } from '../io/output-path.js';
import { CHART_NAMES } from '../report/index.js';

/**
 * The files evaluate writes (ARCHITECTURE.md, "Evaluation directory"). A regular file of one of these names in
 * the folder evaluate writes into counts as evaluate's own: it is replaced, or removed when the new evaluation
 * has no such file (a one-class evaluation draws no PR curve). Any other name is never touched.
 */
export const EVALUATION_FILES: readonly string[] = [
  'metrics.json', 'classification_report.txt', 'predictions.csv', 'report.html',
  ...CHART_NAMES.flatMap((c) => [`${c}.svg`, `${c}.png`]),
];

/** The staging folder's name: `.evaluation.PID.RAND.tmp`, which is tlearn's temp-name pattern (TEMP_NAME). */
const STAGING_PREFIX = '.evaluation.';

/** `<file>.tmp-PID`: the temporary names of the report writers before they used io's atomic writer. */
const LEGACY_TEMP = /^(.+)\.tmp-(\d+)$/;

const isFile = (p: string) => fs.lstatSync(p, { throwIfNoEntry: false })?.isFile() === true;

/**
 * Removes what killed writes left in `dir`: files named like tlearn's temporary files whose writing process is
 * gone, a staging folder of such a process, and an older tlearn's `<evaluation file>.tmp-PID`. Returns the names.
 */
export function removeStaleLeftovers(dir: string): string[] {
  const removed: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    const legacy = LEGACY_TEMP.exec(name);
    const stale = isStaleTempName(name) ? (st.isFile() || (st.isDirectory() && name.startsWith(STAGING_PREFIX)))
      : legacy !== null && st.isFile() && EVALUATION_FILES.includes(legacy[1]!) && !processAlive(Number(legacy[2]));
    if (!stale) continue;
    fs.rmSync(p, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** The error `cause` with what it means for the folder appended; its code (ENOSPC...) is kept for callers. */
function folderError(cause: unknown, what: string): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  const err = new Error(`${message}; ${what}`, { cause });
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined ? err : Object.assign(err, { code });
}

/**
 * Writes an evaluation into `out`: `write(dir)` writes every file of it into the folder it is given (a staging
 * folder inside `out`), then the files replace the earlier evaluation's. Errors say what state `out` is in.
 */
export async function writeEvaluationFolder(out: string, write: (dir: string) => Promise<void>): Promise<void> {
  makeOutputFolder(out, `the evaluation folder ${out}`);
  removeStaleLeftovers(out);
  const earlier = () => EVALUATION_FILES.filter((n) => isFile(path.join(out, n)));
  // io's temp name for OUT/evaluation: `.evaluation.PID.RAND.tmp` (STAGING_PREFIX), which the cleanups know.
  const staging = tempPathFor(path.join(out, 'evaluation'));
  try {
    try {
      fs.mkdirSync(staging);
      await write(staging);
    } catch (e) {
      // A file is named where it was going to be (OUT/roc_curve.png), not by its staging path.
      const named = e instanceof Error ? Object.assign(e, { message: e.message.split(staging + path.sep).join(out + path.sep) }) : e;
      throw folderError(named, earlier().length > 0 ? `the earlier evaluation in ${out} is unchanged`
        : `no evaluation file was written to ${out}`);
    }
    const fresh = fs.readdirSync(staging).filter((n) => EVALUATION_FILES.includes(n));
    // metrics.json first: a folder with one is taken for an evaluation (out-folder.ts) as soon as possible.
    fresh.sort((a, b) => Number(b === 'metrics.json') - Number(a === 'metrics.json'));
    const old = earlier();
    const moved = new Set<string>();
    try {
      for (const name of fresh) {
        fs.renameSync(path.join(staging, name), path.join(out, name));
        moved.add(name);
      }
      for (const name of old) if (!moved.has(name)) fs.rmSync(path.join(out, name), { force: true });
    } catch (e) {
      // Whatever is not replaced yet is the earlier model's: removed, so that the folder never mixes the two.
      for (const name of old) {
        if (moved.has(name)) continue;
        try { if (isFile(path.join(out, name))) fs.rmSync(path.join(out, name), { force: true }); } catch { /* best effort */ }
      }
      const removed = old.length > 0 ? " (the earlier evaluation's files were removed)" : '';
      throw folderError(e, `the evaluation in ${out} is incomplete${removed}; evaluate again`);
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** JSON with the contract's convention: non-finite numbers (the ROC's +inf first threshold) are written as null. */
export function jsonWithNulls(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2) + '\n';
}

/** The run's copy of report.html (RUN/report.html), written atomically; an error says the evaluation itself is whole. */
export async function copyReport(from: string, to: string, out: string): Promise<void> {
  try {
    await writeFileAtomicAsync(to, fs.readFileSync(from));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const err = new Error(`the evaluation in ${out} is complete, but ${to} could not be written: ${(e as Error).message}`, { cause: e });
    throw code === undefined ? err : Object.assign(err, { code });
  }
}
