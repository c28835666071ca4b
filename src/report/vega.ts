// Vega-Lite spec -> SVG (headless Vega, no canvas, no DOM) -> PNG (sharp/librsvg).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import sharp from 'sharp';

/** Default PNG scale: 2 device pixels per SVG pixel, crisp on high-density screens and in print. */
export const DEFAULT_PNG_SCALE = 2;

// A loader that refuses every URL: charts carry their data inline, and a spec must never make
// rendering reach the network or the file system.
const noLoader = {
  load: async (uri: string) => { throw new Error(`charts carry inline data only; refusing to load "${uri}"`); },
  sanitize: async (uri: string) => { throw new Error(`charts carry inline data only; refusing to load "${uri}"`); },
  http: async () => { throw new Error('network access is disabled for charts'); },
  file: async () => { throw new Error('file access is disabled for charts'); },
};

/** Compiles a Vega-Lite spec and renders it headless to an SVG document string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vgSpec = compile(spec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', loader: noLoader as unknown as vega.Loader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Reads the pixel size an SVG declares on its root element. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1]);
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1]);
  if (!(width > 0) || !(height > 0)) throw new Error('SVG has no positive width/height on its root element');
  return { width, height };
}

/**
 * Rasterizes an SVG with sharp. librsvg maps SVG pixels at 72 dpi, so `density = 72 * scale`
 * renders vector text and lines at the target resolution instead of upscaling a bitmap.
 */
export async function svgToPng(svg: string, scale = DEFAULT_PNG_SCALE): Promise<Buffer> {
  if (!(scale > 0 && scale <= 8)) throw new Error(`PNG scale must be in (0, 8], got ${scale}`);
  return sharp(Buffer.from(svg), { density: 72 * scale })
    .flatten({ background: '#ffffff' })
    .png({ compressionLevel: 9 })
    .toBuffer();
}
