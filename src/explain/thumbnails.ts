// Grad-CAM overlays as small images for a report's galleries: the map of a chosen class over each image as the
// model sees it (its preprocessing), blended with the jet colormap, encoded as a PNG data: URI.
import sharp from 'sharp';
import type { ImageCache } from '../data/cache.js';
import type { ImageClassifier, ModelMetadata } from '../models/index.js';
import { batchTensors } from '../data/tensor.js';
import { noGrad, scope, tensor } from '../torch/index.js';
import { camTarget, defaultCamLayer, gradCam, type CamLayer } from './gradcam.js';
import { blend, colorize, jetTable } from './overlay.js';
import { explainLoader } from './loader.js';

export interface OverlayThumbnail { dataUri: string; width: number; height: number }

/**
 * One overlay per image that can be read (keyed by its index in `files`): the Grad-CAM map of class index
 * `classes[i]` (binary: 1 positive, 0 negative) at `layer`. Images that cannot be decoded are left out.
 */
export async function camOverlays(model: ImageClassifier, meta: Pick<ModelMetadata, 'imageSize' | 'resize' | 'mean' | 'std' | 'dicomWindows'>,
  files: readonly string[], classes: readonly number[], opts: { layer?: CamLayer; device?: string; cache?: ImageCache | null } = {}): Promise<Map<number, OverlayThumbnail>> {
  const out = new Map<number, OverlayThumbnail>();
  // A network without a feature map (ViT) has no Grad-CAM: its report keeps the plain thumbnails.
  const layer = opts.layer ?? defaultCamLayer(model);
  if (files.length === 0 || layer === null) return out;
  const table = jetTable();
  try {
    for await (const batch of explainLoader(meta, files, 8, opts.cache ?? null).epoch(0)) {
      const [n, , h, w] = batch.shape;
      const pictures = scope(() => {
        const x = batchTensors(batch, opts.device ?? 'cpu').x;
        const cam = gradCam(model, x, layer, batch.indices.map((i) => camTarget(model.outputs, classes[i]!)));
        return noGrad(() => blend(tensor(batch.pixels, { shape: [n, h, w, 3] }), colorize(cam.maps, table))).contiguous().data<'uint8'>();
      });
      for (let k = 0; k < n; k++) {
        const png = await sharp(Buffer.from(pictures.subarray(k * h * w * 3, (k + 1) * h * w * 3)), { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
        out.set(batch.indices[k]!, { dataUri: `data:image/png;base64,${png.toString('base64')}`, width: w, height: h });
      }
    }
  } finally {
    table.dispose();
  }
  return out;
}
