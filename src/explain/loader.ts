// The images to explain, decoded with the model's own preprocessing (as evaluate and predict decode them), in
// NCHW batches: their uint8 pixels are also the pictures the maps are drawn over. A run's image cache (the end-of-run
// report) gives the pictures its test evaluation decoded, so that every file is decoded once per run.
import { DataLoader } from '../data/loader.js';
import type { ImageCache } from '../data/cache.js';
import type { ModelMetadata } from '../models/index.js';

export function explainLoader(meta: Pick<ModelMetadata, 'imageSize' | 'resize' | 'mean' | 'std' | 'dicomWindows'>, files: readonly string[], batchSize = 16,
  cache: ImageCache | null = null): DataLoader {
  return new DataLoader(files.map((path) => ({ path, label: null })), {
    imageSize: meta.imageSize, resize: meta.resize, dicomWindows: meta.dicomWindows ?? null, mean: meta.mean, std: meta.std, batchSize, train: false, channelsLast: false, cache,
  });
}
