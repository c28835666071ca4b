// `tlearn explain MODEL FILES... --out DIR`: for each image a Grad-CAM overlay (OUT/<name>.gradcam.png: the map
// over the image as the model sees it, resized by its own preprocessing, with a colour bar) and the raw map
// (OUT/<name>.gradcam.json). The class explained is --class, else the image's predicted class.
import fs from 'node:fs';
import path from 'node:path';
import { batchTensors } from '../data/tensor.js';
import { explainLoader } from './loader.js';
import { loadModelFile, type ImageClassifier, type LoadModelOptions, type ModelMetadata } from '../models/index.js';
import { noGrad, scope, setNumThreads, tensor, type Tensor } from '../torch/index.js';
import { camLayers, camTarget, defaultCamLayer, gradCam, type CamLayer } from './gradcam.js';
import { blend, colorize, jetTable, overlayPng } from './overlay.js';
import { writeFileAtomicAsync } from '../io/atomic.js';

export interface ExplainOptions extends Pick<LoadModelOptions, 'imageSize' | 'classes' | 'task' | 'resize'> {
  model: string;
  /** Image files (absolute paths). */
  files: string[];
  out: string;
  /** Default: the model's last feature map before its pooling (layer4 for a ResNet). */
  layer?: CamLayer;
  /** The class to explain (a name of the model's classes); default: each image's predicted class. */
  className?: string;
  /** The binary decision threshold that picks the predicted class (default: the model's). */
  threshold?: number;
  batchSize?: number;
  device?: 'cpu' | 'cuda';
  threads?: number;
  log?: (line: string) => void;
}

export type ExplainRow =
  | { path: string; class: string; probability: number; overlay: string; map: string }
  | { path: string; error: string };

/** The class index to explain for an image: the predicted one (binary by the threshold; otherwise the most probable). */
export function predictedClass(meta: Pick<ModelMetadata, 'task' | 'threshold'>, probabilities: ArrayLike<number>): number {
  if (meta.task === 'binary') return probabilities[0]! >= meta.threshold ? 1 : 0;
  let best = 0;
  for (let c = 1; c < probabilities.length; c++) if (probabilities[c]! > probabilities[best]!) best = c;
  return best;
}

/** The probability of class c from a row of the head's probabilities (binary: one value, the positive class's). */
const probabilityOf = (row: ArrayLike<number>, c: number, binary: boolean) => (binary ? (c === 1 ? row[0]! : 1 - row[0]!) : row[c]!);

/** Output names, one per file: its base name without extension, made unique with -2, -3, ... */
export function outputNames(files: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return files.map((f) => {
    const base = path.basename(f, path.extname(f)) || 'image';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

/** Writes the overlays and maps; one row per file, in order (an error row where the file could not be read). */
export async function explain(o: ExplainOptions): Promise<ExplainRow[]> {
  if (o.threads) setNumThreads(o.threads);
  const { model, metadata } = loadModelFile(o.model, { imageSize: o.imageSize, classes: o.classes, task: o.task, resize: o.resize, device: o.device });
  const layer = o.layer ?? defaultCamLayer(model);
  if (layer === null || !camLayers(model).includes(layer)) {
    const layers = camLayers(model);
    model.dispose();
    throw new Error(layers.length === 0
      ? `Grad-CAM needs a convolutional feature map, and ${metadata.arch} has none (its stages carry tokens)`
      : `--layer ${JSON.stringify(layer)} is not a feature-map stage of ${metadata.arch}; choose one of ${layers.join(', ')}`);
  }
  const table = jetTable();
  try {
    let forced: number | undefined;
    if (o.className !== undefined) {
      forced = metadata.classes.indexOf(o.className);
      if (forced < 0) throw new Error(`--class ${JSON.stringify(o.className)} is not one of the model's classes (${metadata.classes.join(', ')})`);
    }
    fs.mkdirSync(o.out, { recursive: true });
    const names = outputNames(o.files);
    const loader = explainLoader(metadata, o.files, o.batchSize ?? 16);
    const rows: ExplainRow[] = o.files.map((p) => ({ path: p, error: 'no map was made' }));
    for await (const batch of loader.epoch(0)) {
      const done = await explainBatch(model, metadata, batch, { ...o, layer }, forced, table);
      for (let k = 0; k < batch.indices.length; k++) {
        const i = batch.indices[k]!;
        const name = names[i]!;
        const overlay = path.join(o.out, `${name}.gradcam.png`);
        const mapFile = path.join(o.out, `${name}.gradcam.json`);
        const d = done[k]!;
        await writeFileAtomicAsync(overlay, d.png);
        await writeFileAtomicAsync(mapFile, JSON.stringify({
          path: o.files[i], model: o.model, layer, class: d.className, probability: d.probability, size: d.size,
          normalisation: '(m - min) / (max - min + 1e-7) per image, after bilinear upsampling', map: d.map,
        }) + '\n');
        rows[i] = { path: o.files[i]!, class: d.className, probability: d.probability, overlay, map: mapFile };
      }
      o.log?.(`explained ${rows.filter((r) => !('error' in r)).length} of ${o.files.length} images`);
    }
    for (const s of loader.skipped) rows[s.index] = { path: o.files[s.index]!, error: s.reason };
    return rows;
  } finally {
    table.dispose();
    model.dispose();
  }
}

interface Explained { png: Buffer; className: string; probability: number; size: [number, number]; map: number[][] }

async function explainBatch(model: ImageClassifier, meta: ModelMetadata, batch: Parameters<typeof batchTensors>[0] & { indices: number[] },
  o: ExplainOptions, forced: number | undefined, table: Tensor): Promise<Explained[]> {
  const n = batch.indices.length;
  const [, , h, w] = batch.shape;
  const binary = meta.task === 'binary';
  const { maps, probs, pictures } = scope(() => {
    const x = batchTensors(batch, o.device ?? 'cpu').x;
    const probsNow = model.probabilities(x);
    const k = model.outputs;
    const chosen = Array.from({ length: n }, (_, i) => forced ?? predictedClass({ task: meta.task, threshold: o.threshold ?? meta.threshold }, probsNow.subarray(i * k, (i + 1) * k)));
    const cam = gradCam(model, x, o.layer!, chosen.map((c) => camTarget(k, c)));
    const images = tensor(batch.pixels, { shape: [n, h, w, 3] });
    const heat = colorize(cam.maps, table);
    return { maps: { t: cam.maps, chosen }, probs: probsNow, pictures: noGrad(() => blend(images, heat)) };
  });
  try {
    const k = model.outputs;
    const values = maps.t.toFloat32Array();
    const out: Explained[] = [];
    for (let i = 0; i < n; i++) {
      const c = maps.chosen[i]!;
      const picture = pictures.select(0, i);
      const png = await overlayPng(picture, table);
      picture.dispose();
      const plane = values.subarray(i * h * w, (i + 1) * h * w);
      out.push({
        png, className: meta.classes[c]!, probability: probabilityOf(probs.subarray(i * k, (i + 1) * k), c, binary), size: [h, w],
        map: Array.from({ length: h }, (_, r) => Array.from(plane.subarray(r * w, (r + 1) * w))),
      });
    }
    return out;
  } finally {
    maps.t.dispose();
    pictures.dispose();
  }
}
