// One image of a report gallery: its thumbnail and a caption headed by its name (the binary gallery and the
// C-class galleries show images alike).
import { escapeHtml as esc } from './escape.js';
import type { Thumbnail } from './thumbnails.js';

/** `captionHtml` (already escaped) follows the image's name in the caption. */
export function galleryFigure(path: string, t: Thumbnail, size: number, captionHtml: string): string {
  // The class folder and file name identify an image; the full path is in the tooltip.
  // As in predictions.csv (split folder included: train/x.png and test/x.png differ); an absolute path is shortened.
  const name = /^([A-Za-z]:)?[\\/]/.test(path) ? path.split(/[\\/]/).filter(Boolean).slice(-3).join('/') : path;
  // Small sources (e.g. 28 px digits) are shown at the gallery size without re-encoding a bigger bitmap.
  const scale = Math.max(1, size / Math.max(t.width, t.height));
  const cls = scale > 1 ? ' class="pixelated"' : '';
  return `<figure><div class="thumb"><img${cls} src="${t.dataUri}" width="${Math.round(t.width * scale)}" height="${Math.round(t.height * scale)}" alt="${esc(name)}"></div>
<figcaption><div title="${esc(path)}">${esc(name)}</div>${captionHtml}</figcaption></figure>`;
}
