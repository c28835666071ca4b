// The data check's findings per file, kept across prepareData calls of one process over the same files. The
// folds of a cross-validation each check the same images (read, hash, full decode) as a run of their own would:
// K + 1 checks of every file for a K-fold CV. With a memo (and the image cache the first check filled), a later
// check of an unchanged file only stats it. Keyed by how the file was checked (decoded to an eval transform, or
// only verified: their probes' pixel ranges differ) and by its stamp (size, mtime, ctime, inode, path), so a file
// changed in between is read again. Only files that were read and decoded are kept: a failure is looked at again.
import { stat } from 'node:fs/promises';
import { fileStamp } from './cache.js';
import { dicomWindowsKey, type DicomWindow } from './dicom.js';
import type { Probe, ProbeDecode } from './manifest.js';

export class ProbeMemo {
  readonly #probes = new Map<string, Probe>();

  /** The memo key of `file` checked with `decode` (undefined: a verify decode), or null when it cannot be stat'ed. */
  static async keyOf(file: string, decode: ProbeDecode | undefined, windows?: readonly DicomWindow[] | null): Promise<string | null> {
    try {
      const st = await stat(file);
      if (!st.isFile()) return null;
      return `${decode ? `eval|${decode.imageSize}|${decode.resize}` : 'verify'}${dicomWindowsKey(windows)}|${fileStamp(file, st)}`;
    } catch {
      return null;
    }
  }

  get(key: string): Probe | undefined {
    const p = this.#probes.get(key);
    return p ? { ...p } : undefined;
  }

  set(key: string, probe: Probe): void {
    if (!probe.error) this.#probes.set(key, { ...probe });
  }

  get size(): number {
    return this.#probes.size;
  }
}
