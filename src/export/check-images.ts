// Which images the parity check of an export runs on: the run's own test split (RUN/manifest.csv next to the
// checkpoint), the files given, or, when there is neither, seeded random pixels. At most MAX_CHECK_IMAGES, the
// first in the manifest's (or the given) order, so the check stays a matter of seconds even for large runs.
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../data/csv.js';
import type { LoaderItem } from '../data/index.js';

export const MAX_CHECK_IMAGES = 256;

/** The images to check on cannot be had (a damaged manifest, none readable): bad input, not a failed check. */
export class CheckImagesError extends Error {
  override name = 'CheckImagesError';
}
/** Images of random pixels checked when the model has no run folder and no --check files are given. */
export const RANDOM_CHECK_IMAGES = 32;

export interface CheckImages {
  /** 'run': the run's manifest; 'files': given; 'random': seeded random pixels (items empty). */
  kind: 'run' | 'files' | 'random';
  /** For a person and model.onnx.json: where the images come from ('the test split of RUN/manifest.csv'). */
  source: string;
  /** The images checked (at most MAX_CHECK_IMAGES; none for 'random'). */
  items: LoaderItem[];
  /** How many there were before the cap (the random count for 'random'). */
  available: number;
}

function capped(kind: CheckImages['kind'], source: string, paths: string[]): CheckImages {
  return { kind, source, items: paths.slice(0, MAX_CHECK_IMAGES).map((p) => ({ path: p, label: null })), available: paths.length };
}

/** The run's manifest next to a checkpoint (RUN/best_model_final.safetensors → RUN/manifest.csv), if there is one. */
export function runManifestOf(modelFile: string): string | null {
  const manifest = path.join(path.dirname(modelFile), 'manifest.csv');
  return fs.statSync(manifest, { throwIfNoEntry: false })?.isFile() ? manifest : null;
}

/**
 * The test split of the run's manifest (its val split when it has no test rows, as a run with --test-fraction 0
 * has), with paths resolved from the manifest's folder. Throws with the file named when it is not a manifest.
 */
export function runCheckImages(manifest: string): CheckImages {
  const rows = parseCsv(fs.readFileSync(manifest, 'utf8'), manifest);
  const header = rows[0]?.fields ?? [];
  const col = { path: header.indexOf('path'), split: header.indexOf('split') };
  if (col.path < 0 || col.split < 0) throw new CheckImagesError(`${manifest} is not a tlearn run manifest (its header has no path and split columns)`);
  const inSplit = (split: string) => rows.slice(1).filter((r) => r.fields[col.split] === split)
    .map((r) => path.resolve(path.dirname(manifest), r.fields[col.path] ?? ''));
  for (const split of ['test', 'val']) {
    const paths = inSplit(split);
    if (paths.length > 0) return capped('run', `the ${split} split of ${manifest}`, paths);
  }
  throw new CheckImagesError(`${manifest} has no test or val images to check the export on; give images with --check FILES...`);
}

/** Files given on the command line (folders already expanded). */
export function fileCheckImages(files: string[]): CheckImages {
  return capped('files', `${files.length === 1 ? 'the file' : 'the files'} given with --check`, files);
}

export function randomCheckImages(): CheckImages {
  return { kind: 'random', source: 'seeded random pixels', items: [], available: RANDOM_CHECK_IMAGES };
}
