// Picks the test images the model got most confidently wrong: the errors worth looking at first
// (mislabelled data, a shortcut the model learned, a class that needs more examples).
import { isAbsolute, resolve } from 'node:path';
import type { PredictionRow } from './types.js';
import { isFiniteNumber } from './format.js';
import { makeThumbnail, type Thumbnail } from './thumbnails.js';

export interface Mistake {
  path: string;
  /** True class index (0 = negative, 1 = positive). */
  truth: 0 | 1;
  predicted: 0 | 1;
  probability: number;
  /** Probability the model gave to its (wrong) prediction. */
  confidence: number;
  /** Distance from the threshold, |probability - threshold|: how far on the wrong side the image fell. */
  margin: number;
}

/**
 * Mistakes all within this distance of the threshold are near misses (p 0.494 at 0.5), not confident
 * errors: the report then heads them "closest calls".
 */
export const CLOSE_CALL_MARGIN = 0.1;

/** Maps a class name or index (number or numeric string) to 0/1; null when it is neither. */
export function classIndex(value: unknown, classes: [string, string]): 0 | 1 | null {
  if (value === null || value === undefined) return null;
  const s = String(value);
  // Names win over indices, so classes literally called "1" and "0" still map correctly.
  if (s === classes[0]) return 0;
  if (s === classes[1]) return 1;
  if (s === '0') return 0;
  if (s === '1') return 1;
  return null;
}

/**
 * All misclassified rows, furthest from the threshold first (ties: the more confident first, then input
 * order). The prediction is the row's `predicted` when present, else `probability >= threshold`. Rows whose
 * label is not one of the two classes are ignored.
 */
// Ranked by the distance from the threshold rather than by the probability of the wrong class: the decision
// is p >= threshold, so with a threshold of 0.2 a false positive at 0.25 and a false negative at 0.15 missed
// by the same amount, although the second has "confidence" 0.85. At threshold 0.5 both orders agree.
export function mostConfidentlyWrong(rows: PredictionRow[], classes: [string, string], threshold = 0.5): Mistake[] {
  const out: Mistake[] = [];
  for (const row of rows) {
    const p = row.probability;
    if (!isFiniteNumber(p)) continue;
    const truth = classIndex(row.label, classes);
    if (truth === null) continue;
    const given = row.predicted === undefined || row.predicted === null ? null : classIndex(row.predicted, classes);
    const predicted: 0 | 1 = given ?? (p >= threshold ? 1 : 0);
    if (predicted === truth) continue;
    out.push({ path: row.path, truth, predicted, probability: p, confidence: predicted === 1 ? p : 1 - p, margin: Math.abs(p - threshold) });
  }
  // Ties keep input order (Array.prototype.sort is stable), so the gallery is deterministic.
  return out.sort((a, b) => b.margin - a.margin || b.confidence - a.confidence);
}

export interface GalleryItem extends Mistake {
  thumbnail: Thumbnail;
}

/**
 * Thumbnails for the first `max` mistakes whose image can be read; unreadable or missing files are
 * skipped (and counted) so one bad path cannot sink the report.
 */
export async function buildGallery(
  mistakes: Mistake[],
  opts: { max?: number; thumbnailSize?: number; imageRoot?: string } = {},
): Promise<{ items: GalleryItem[]; skipped: string[] }> {
  const max = opts.max ?? 12;
  const items: GalleryItem[] = [];
  const skipped: string[] = [];
  for (const m of mistakes) {
    if (items.length >= max) break;
    try {
      items.push({ ...m, thumbnail: await loadThumbnail(m.path, opts) });
    } catch {
      skipped.push(m.path);
    }
  }
  return { items, skipped };
}

/** The thumbnail of a gallery image; a relative path is read under `imageRoot`. Throws when it cannot be read. */
export function loadThumbnail(path: string, opts: { thumbnailSize?: number; imageRoot?: string } = {}): Promise<Thumbnail> {
  const file = opts.imageRoot && !isAbsolute(path) ? resolve(opts.imageRoot, path) : path;
  return makeThumbnail(file, opts.thumbnailSize ?? 96);
}
