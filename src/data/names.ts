// Names the data area recognises: image file extensions, split folder/column names, and the files that mark
// a folder as tlearn's own output.
import path from 'node:path';
import type { Split } from './types.js';

/** Extensions decoded by the pipeline (case-insensitive). Anything else in a folder is ignored and counted. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif',
]);

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

const SPLIT_NAMES: Record<string, Split> = { train: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test' };

export function parseSplitName(s: string): Split | undefined {
  return SPLIT_NAMES[s.trim().toLowerCase()];
}

/**
 * Marks a folder as tlearn's own output rather than data: a run (train writes manifest.csv and audit.json
 * first, config.json once the run starts) or an evaluation (metrics.json + predictions.csv). Their report
 * PNGs would otherwise be read as images, or the folder taken for a class.
 */
export function outputFolderKind(names: ReadonlySet<string>): 'run' | 'evaluation' | undefined {
  const has = (n: string) => names.has(n);
  if (has('manifest.csv') && has('audit.json')) return 'run';
  if (has('config.json') && (has('manifest.csv') || has('audit.json') || has('history.csv') || has('last'))) return 'run';
  if (has('metrics.json') && has('predictions.csv')) return 'evaluation';
  return undefined;
}
