// Names the data area recognises: image file extensions and split folder/column names.
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
