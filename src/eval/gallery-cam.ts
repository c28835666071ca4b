// Grad-CAM in an evaluation's report (issue 20): the misclassified gallery shows the map of each wrong
// prediction over its image, and a section shows a sample of correct predictions the same way, so that a reader
// sees where the model looked when it was right as well as when it was wrong. Only a libtorch model has
// gradients: an ONNX evaluation passes no explainer and its report keeps the plain thumbnails.
import { escapeHtml, mostConfidentlyWrong, type PredictionRow, type ReportSection } from '../report/index.js';
import { galleryFigure } from '../report/gallery-figure.js';
import type { OverlayThumbnail } from '../explain/index.js';

/** Overlays of images (absolute paths) for class indices (binary: 0/1), by index; those that cannot be read are absent. */
export type Explainer = (files: string[], classes: number[]) => Promise<Map<number, OverlayThumbnail>>;

/** As many as the report's gallery shows (writeReport's default). */
const GALLERY_MAX = 12;
/** Correct predictions shown. */
const CORRECT_SAMPLE = 6;

/** Every k-th of `n` indices so that `count` are taken, spread over the list (deterministic). */
function spread(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * n) / count));
}

export interface CamGallery {
  /** By prediction row path: the overlays of the gallery's mistakes. */
  overlays: Record<string, OverlayThumbnail>;
  section: ReportSection | null;
}

/** A correct prediction that the Grad-CAM section may show. */
export interface CorrectPrediction {
  /** As the report names it (predictions.csv's path). */
  path: string;
  /** The image file (absolute). */
  file: string;
  /** The class index whose map is shown. */
  target: number;
  captionHtml: string;
}

/**
 * The section of a sample of correct predictions (CORRECT_SAMPLE spread over the list) with their overlays;
 * null when none could be made. `what` says whose map it is ("the predicted class").
 */
export async function correctSampleSection(explainer: Explainer, correct: readonly CorrectPrediction[], what: string): Promise<ReportSection | null> {
  const sample = spread(correct.length, CORRECT_SAMPLE).map((j) => correct[j]!);
  if (sample.length === 0) return null;
  const made = await explainer(sample.map((s) => s.file), sample.map((s) => s.target));
  const figures = sample.flatMap((s, j) => {
    const t = made.get(j);
    return t ? [galleryFigure(s.path, t, 96, s.captionHtml)] : [];
  });
  return figures.length === 0 ? null : {
    id: 'gradcam-correct', name: 'Grad-CAM',
    html: `<section id="gradcam-correct"><h2>Where the model looked: correct predictions</h2><p class="muted">Grad-CAM at layer4 of ${escapeHtml(what)} ` +
      `over ${figures.length} correctly classified images spread over the predictions (red: most weight; the misclassified gallery shows the same for its images).</p>` +
      `<div class="gallery">${figures.join('\n')}</div></section>`,
  };
}

/** `absolute[k]` is the file of `rows[k]`. */
export async function camGallery(explainer: Explainer, rows: PredictionRow[], absolute: string[], classes: [string, string], threshold: number): Promise<CamGallery> {
  const index = new Map(rows.map((r, k) => [r.path, k]));
  const wrong = mostConfidentlyWrong(rows, classes, threshold).slice(0, GALLERY_MAX);
  const made = await explainer(wrong.map((m) => absolute[index.get(m.path)!]!), wrong.map((m) => m.predicted));
  const overlays: Record<string, OverlayThumbnail> = {};
  wrong.forEach((m, i) => { const t = made.get(i); if (t) overlays[m.path] = t; });
  const correct = rows.flatMap((r, k) => r.predicted !== r.label ? [] : [{
    path: r.path, file: absolute[k]!, target: classes.indexOf(r.predicted as string),
    captionHtml: `<div>true and predicted: <b>${escapeHtml(String(r.label))}</b></div><div class="muted">p(${escapeHtml(classes[1])}) = ${r.probability.toFixed(3)}</div>`,
  }]);
  return { overlays, section: await correctSampleSection(explainer, correct, 'the predicted class') };
}
