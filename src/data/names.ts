// Names the data area recognises: image file extensions, split folder/column names, and the files that mark
// a folder as tlearn's own output.
import path from 'node:path';
import type { Split } from './types.js';

/** Extensions decoded by the pipeline (case-insensitive). Anything else in a folder is ignored and counted. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.dcm', '.dicom',
]);

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/** The image formats tlearn decodes, for messages. */
export const READABLE_FORMATS_TEXT = 'JPEG, PNG, WebP, GIF, TIFF, AVIF and DICOM';

/**
 * Image extensions tlearn does not decode but torchvision's ImageFolder reads (BMP, PPM/PGM; PBM/PNM alike):
 * ignored like any other file, but counted by extension so that messages can name them.
 */
export const UNSUPPORTED_IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.bmp', '.dib', '.ppm', '.pgm', '.pbm', '.pnm']);

/** The extension of a file tlearn ignores although it is an image (lower case), or undefined. */
export function unsupportedImageExtension(name: string): string | undefined {
  const ext = path.extname(name).toLowerCase();
  return UNSUPPORTED_IMAGE_EXTENSIONS.has(ext) ? ext : undefined;
}

/** "4 .bmp files ignored: ..." for counts by extension; '' when there are none. */
export function unsupportedImagesText(counts: Readonly<Record<string, number>>): string {
  const exts = Object.keys(counts).filter((e) => counts[e]! > 0).sort();
  if (!exts.length) return '';
  const total = exts.reduce((n, e) => n + counts[e]!, 0);
  const list = exts.map((e) => `${counts[e]} ${e}`);
  const what = list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
  return `${what} file${total === 1 ? '' : 's'} ignored: tlearn cannot read BMP/PNM images (it reads ${READABLE_FORMATS_TEXT}); ` +
    `convert ${total === 1 ? 'it' : 'them'} to PNG`;
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
