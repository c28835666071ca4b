// The images to explain, decoded with the model's own preprocessing (as evaluate and predict decode them), in
// NCHW batches: their uint8 pixels are also the pictures the maps are drawn over.
import { DataLoader } from '../data/loader.js';
import type { ModelMetadata } from '../models/index.js';

export function explainLoader(meta: Pick<ModelMetadata, 'imageSize' | 'resize' | 'mean' | 'std'>, files: readonly string[], batchSize = 16): DataLoader {
  return new DataLoader(files.map((path) => ({ path, label: null })), {
    imageSize: meta.imageSize, resize: meta.resize, mean: meta.mean, std: meta.std, batchSize, train: false, channelsLast: false,
  });
}
