// RUN/last: the resume state, written as one unit. Every file goes into RUN/.last.new (each written
// atomically and fsynced, state.json last), then the folders are swapped by renames:
//   last -> .last.old, .last.new -> last, remove .last.old.
// A kill at any moment leaves either RUN/last, or (between the two renames) a complete .last.new and/or
// .last.old; recoverLast() puts the newest complete one back in place before anything reads it.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';

/** The file inside a state folder that is written last: its presence marks the folder complete. */
export const STATE_FILE = 'state.json';

/** JSON with NaN and ±Infinity kept (as {"$num": "NaN"}), so metrics and callback bests survive a resume. */
export function stateToJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? { $num: String(v) } : v), 1) + '\n';
}
export function stateFromJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text, (_k, v) => {
      if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.$num === 'string') {
        if (v.$num === 'NaN') return NaN;
        if (v.$num === 'Infinity') return Infinity;
        if (v.$num === '-Infinity') return -Infinity;
      }
      return v;
    });
  } catch (e) {
    throw new Error(`${file}: the resume state is not valid JSON (${(e as Error).message})`);
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the renames are still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

const complete = (dir: string): boolean => fs.existsSync(path.join(dir, STATE_FILE));

/**
 * A file of the new state: its bytes, or `keep` to carry the current RUN/last's file over unchanged (`true`:
 * the file of the same name; a string: that file of the current state, under the new name).
 */
export type LastFile = Iterable<Uint8Array> | { keep: true | string };

/**
 * The folders saveLast works with (plain strings, so they can be posted to the writer thread); run-dir.ts's
 * RunPaths has them (it imports this file, so this one does not import it back).
 */
export interface LastPaths {
  root: string;
  last: string;
  lastNew: string;
  lastOld: string;
}

/**
 * Writes a new resume state (binary files plus the JSON state) and swaps it in as RUN/last. Files marked
 * `keep` are hard-linked from the current RUN/last (copied where links are not possible), so a large file
 * that does not change (the frozen part of the model) costs nothing per save.
 */
export function saveLast(paths: LastPaths, files: ReadonlyMap<string, LastFile>, state: unknown): void {
  fs.rmSync(paths.lastNew, { recursive: true, force: true });
  try {
    writeNewState(paths, files, state);
  } catch (e) {
    // A full disk (say) must not leave a half-written .last.new behind: RUN/last, if any, is still the state.
    try { fs.rmSync(paths.lastNew, { recursive: true, force: true }); } catch { /* already failing */ }
    throw e;
  }
  if (fs.existsSync(paths.last)) {
    fs.rmSync(paths.lastOld, { recursive: true, force: true });
    fs.renameSync(paths.last, paths.lastOld);
  }
  fs.renameSync(paths.lastNew, paths.last);
  fsyncDir(paths.root);
  fs.rmSync(paths.lastOld, { recursive: true, force: true });
}

/** The new state's files in .last.new (hard links for unchanged ones), complete once state.json is there. */
function writeNewState(paths: LastPaths, files: ReadonlyMap<string, LastFile>, state: unknown): void {
  fs.mkdirSync(paths.lastNew, { recursive: true });
  for (const [name, content] of files) {
    if (name === STATE_FILE || name.includes('/') || name.includes('\\')) throw new Error(`saveLast: invalid file name '${name}'`);
    const target = path.join(paths.lastNew, name);
    if ('keep' in content) {
      const source = content.keep === true ? name : content.keep;
      if (source.includes('/') || source.includes('\\')) throw new Error(`saveLast: invalid file name '${source}'`);
      const from = path.join(paths.last, source);
      if (!fs.existsSync(from)) throw new Error(`saveLast: cannot keep ${source} as ${name}: ${from} does not exist`);
      try {
        fs.linkSync(from, target);
      } catch {
        fs.copyFileSync(from, target);
      }
    } else {
      writeFileAtomic(target, content);
    }
  }
  writeFileAtomic(path.join(paths.lastNew, STATE_FILE), [Buffer.from(stateToJson(state))]);
  fsyncDir(paths.lastNew);
}

/** After a kill: puts the newest complete state back at RUN/last and removes the leftovers. */
export function recoverLast(paths: LastPaths): void {
  if (!complete(paths.last)) {
    const candidate = complete(paths.lastNew) ? paths.lastNew : complete(paths.lastOld) ? paths.lastOld : null;
    if (candidate) {
      fs.rmSync(paths.last, { recursive: true, force: true });
      fs.renameSync(candidate, paths.last);
    }
  }
  fs.rmSync(paths.lastNew, { recursive: true, force: true });
  fs.rmSync(paths.lastOld, { recursive: true, force: true });
}

export interface LastState {
  state: unknown;
  /** Reads a binary file of the state (throws naming it when missing). */
  file(name: string): Buffer;
}

export function readLast(paths: LastPaths): LastState {
  recoverLast(paths);
  const stateFile = path.join(paths.last, STATE_FILE);
  if (!fs.existsSync(stateFile)) throw new Error(`cannot resume: ${paths.last} holds no complete state (${STATE_FILE} is missing)`);
  const state = stateFromJson(fs.readFileSync(stateFile, 'utf8'), stateFile);
  return {
    state,
    file(name: string): Buffer {
      const p = path.join(paths.last, name);
      try {
        return fs.readFileSync(p);
      } catch (e) {
        throw new Error(`cannot resume: ${p} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    },
  };
}
