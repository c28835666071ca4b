// Where a command's --out can go: the run folder, the evaluation folder, the export file. A path that cannot be
// created (under a regular file, through a dangling or looping symbolic link, in a read-only or protected place)
// is bad input, told in one sentence naming the path, not as raw errno text ("ENOTDIR: not a directory, mkdir").
// Folders are made one level at a time: Node 20's recursive mkdir loops forever where mkdir answers ENOENT
// although the parent exists (/proc/self/x) and on a symbolic link to itself.
import fs from 'node:fs';
import path from 'node:path';
import { tempPathFor } from './atomic.js';

/** An --out that cannot be created or written into (bad input: the CLI exits 2). */
export class OutputPathError extends Error {
  override name = 'OutputPathError';
}

/** Errors that say the machine failed (a full disk), not the path: they stay failures of the run. */
const MACHINE_FAILURES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'ENOMEM', 'EBUSY', 'EAGAIN']);

/** What an error creating an entry in the folder `parent` says about that folder, in words. */
function refusal(code: string | undefined, parent: string, fallback: string): string {
  switch (code) {
    case 'EACCES': return `you have no permission to create files or folders in ${parent}`;
    case 'EPERM': return `creating files or folders in ${parent} is not permitted`;
    case 'EROFS': return `${parent} is on a read-only file system`;
    // The folder exists, yet the kernel says "no such file": a special file system such as /proc.
    case 'ENOENT': return `${parent} does not accept new files or folders`;
    case 'ENAMETOOLONG': return 'the name is too long';
    default: return fallback;
  }
}

const codeOf = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;

/**
 * lstat, with undefined for a path that does not exist or cannot be reached (a file, a dangling link or a folder
 * the user may not enter on the way: the walk up finds which).
 */
function lstatOrNone(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if (['ENOENT', 'ENOTDIR', 'ELOOP', 'EACCES'].includes(codeOf(e) ?? '')) return undefined;
    throw e;
  }
}

/** Whether the folder `dir` may be entered (its entries looked up): root may always, others need x permission. */
function enterable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** "it", "its parent P" or "P, on its path,", for the entry `p` on the way to `target`. */
function named(p: string, target: string): string {
  return p === target ? 'it' : p === path.dirname(target) ? `its parent ${p}` : `${p}, on its path,`;
}

/** Why a symbolic link `p` leads nowhere, or null when it leads to an existing entry. */
function brokenLink(p: string, who: string): string | null {
  try {
    fs.statSync(p);
    return null;
  } catch (e) {
    if (codeOf(e) === 'ELOOP') return `${who} is a symbolic link that leads back to itself`;
    const to = path.resolve(path.dirname(p), fs.readlinkSync(p));
    return `${who} is a symbolic link to ${to}, which does not exist`;
  }
}

/**
 * Creates and removes what the command will create first in `dir`: a folder, or a file. Named like io's temp
 * files, which the run folder's checks ignore and its cleanup removes.
 */
function writeProbe(dir: string, make: 'folder' | 'file'): NodeJS.ErrnoException | null {
  const probe = tempPathFor(path.join(dir, 'write-check'));
  try {
    if (make === 'folder') fs.mkdirSync(probe);
    else fs.closeSync(fs.openSync(probe, 'wx'));
    fs.rmSync(probe, { recursive: true, force: true });
    return null;
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
}

/**
 * Why `target` cannot be created as `what` (e.g. "the run folder /x/run") or written into, or null when it can.
 * `kind` 'file': target is a file to write (its folder must be creatable). Nothing is left behind: a
 * probe file is created and removed in the nearest existing folder.
 */
export function outputPathProblem(target: string, what: string, kind: 'folder' | 'file' = 'folder'): string | null {
  const abs = path.resolve(target);
  let p = abs;
  let st = lstatOrNone(p);
  while (!st && path.dirname(p) !== p) {
    p = path.dirname(p);
    st = lstatOrNone(p);
  }
  if (!st) return null; // not even the root: let the write say why
  const who = named(p, abs);
  if (st.isSymbolicLink()) {
    const broken = brokenLink(p, who);
    if (broken) return `cannot create ${what}: ${broken}`;
    st = fs.statSync(p);
  }
  if (!st.isDirectory()) {
    if (p === abs && kind === 'file') return null; // an existing file: its command decides whether to replace it
    return p === abs ? `cannot use ${what}: it is a file, not a folder` : `cannot create ${what}: ${who} is a file`;
  }
  if (p === abs && kind === 'file') return `cannot create ${what}: it is a folder`;
  if (p !== abs && !enterable(p)) return `cannot create ${what}: you have no permission to enter ${p}`;
  // A missing folder starts with a mkdir in p; an existing folder, or a file, with a new file.
  const failed = writeProbe(p, p !== abs && kind === 'folder' ? 'folder' : 'file');
  if (!failed || MACHINE_FAILURES.has(failed.code ?? '')) return null; // a full disk fails the write itself, as a failure
  const verb = p === abs ? 'cannot write into' : 'cannot create';
  return `${verb} ${what}: ${refusal(failed.code, p, `cannot write in ${p} (${failed.message})`)}`;
}

/** Throws an OutputPathError when `target` cannot be created as `what` (see outputPathProblem). */
export function checkOutputPath(target: string, what: string, kind: 'folder' | 'file' = 'folder'): void {
  const problem = outputPathProblem(target, what, kind);
  if (problem) throw new OutputPathError(problem);
}

/**
 * Makes folder `dir` (and its missing parents) for `what`, after the checks of outputPathProblem. Returns the
 * outermost folder it created, or null. A level that cannot be made removes the levels made before it.
 */
export function makeOutputFolder(dir: string, what: string): string | null {
  const abs = path.resolve(dir);
  checkOutputPath(abs, what);
  const missing: string[] = [];
  for (let p = abs; !fs.existsSync(p) && path.dirname(p) !== p; p = path.dirname(p)) missing.unshift(p);
  const made: string[] = [];
  for (const level of missing) {
    try {
      fs.mkdirSync(level);
      made.push(level);
    } catch (e) {
      if (codeOf(e) === 'EEXIST' && fs.statSync(level).isDirectory()) continue; // made by someone else meanwhile
      for (const m of made.reverse()) fs.rmSync(m, { recursive: true, force: true });
      if (MACHINE_FAILURES.has(codeOf(e) ?? '')) throw e;
      throw new OutputPathError(`cannot create ${what}: ${refusal(codeOf(e), path.dirname(level), (e as Error).message)}`);
    }
  }
  return made[0] ?? null;
}
