// The picture of a Grad-CAM map: the jet colormap as a 256-entry lookup table built and applied by libtorch ops
// (index_select; no loop over pixels in JS), blended over the resized input, and a colour bar beside it composed
// by sharp.
import sharp from 'sharp';
import { linspace, noGrad, scope, tensor, type Tensor } from '../torch/index.js';

/** How much of the heatmap shows over the image (pytorch-grad-cam's show_cam_on_image uses 0.5 too). */
export const HEATMAP_WEIGHT = 0.5;
const BAR_WIDTH = 12;
const GAP = 6;
const LABEL_WIDTH = 22;

/** Matplotlib's 'jet' as piecewise-linear ramps: [256, 3] uint8, entry i for the value i / 255. */
export function jetTable(): Tensor {
  return scope(() => noGrad(() => {
    const v = linspace(0, 1, 256).unsqueeze(1);
    const centres = tensor(new Float32Array([3, 2, 1]), { shape: [1, 3] });
    // channel c: clamp(1.5 - |4v - centre_c|, 0, 1) (red peaks at 3/4, green at 1/2, blue at 1/4).
    return v.mul(4).sub(centres).abs().rsub(1.5).clamp(0, 1).mul(255).round().to('uint8');
  }));
}

/** The colours of maps [N, H, W] in [0, 1]: [N, H, W, 3] uint8. */
export function colorize(maps: Tensor, table: Tensor): Tensor {
  return scope(() => noGrad(() => {
    const index = maps.clamp(0, 1).mul(255).round().to('int64').flatten();
    return table.indexSelect(0, index).reshape(...maps.shape, 3);
  }));
}

/** (1 - w) * image + w * heatmap, both [N, H, W, 3] uint8. */
export function blend(images: Tensor, heat: Tensor, weight = HEATMAP_WEIGHT): Tensor {
  return scope(() => noGrad(() => images.float().mul(1 - weight).add(heat.float().mul(weight)).round().clamp(0, 255).to('uint8')));
}

/** The colour bar: [height, BAR_WIDTH, 3] uint8, 1 at the top and 0 at the bottom. */
function colourBar(table: Tensor, height: number): Tensor {
  return scope(() => noGrad(() => {
    const column = linspace(1, 0, height).unsqueeze(1).expand(height, BAR_WIDTH).unsqueeze(0);
    return colorize(column, table).squeeze(0).contiguous();
  }));
}

/**
 * One overlay PNG: the blended picture [H, W, 3] uint8, then the colour bar with its ends labelled 1 (top) and
 * 0 (bottom), on white.
 */
export async function overlayPng(blended: Tensor, table: Tensor): Promise<Buffer> {
  const [h, w] = blended.shape as [number, number, number];
  const bar = colourBar(table, h);
  const raw = (t: Tensor, width: number) => ({ raw: { width, height: h, channels: 3 as const }, data: Buffer.from(t.contiguous().data<'uint8'>()) });
  const pic = raw(blended, w);
  const barRaw = raw(bar, BAR_WIDTH);
  bar.dispose();
  const labels = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL_WIDTH}" height="${h}">` +
    `<text x="2" y="10" font-family="sans-serif" font-size="10">1</text>` +
    `<text x="2" y="${h - 2}" font-family="sans-serif" font-size="10">0</text></svg>`);
  return sharp({ create: { width: w + GAP + BAR_WIDTH + LABEL_WIDTH, height: h, channels: 3, background: '#ffffff' } })
    .composite([
      { input: pic.data, raw: pic.raw, left: 0, top: 0 },
      { input: barRaw.data, raw: barRaw.raw, left: w + GAP, top: 0 },
      { input: labels, left: w + GAP + BAR_WIDTH, top: 0 },
    ])
    .png()
    .toBuffer();
}
