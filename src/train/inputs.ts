// The inputs of the trainable part of the network, batch by batch. Without a feature cache these are the
// decoded images. With one, they are the outputs of the frozen prefix (e.g. the pooled features), looked up
// per image view; views not cached yet are decoded once, run through the prefix (eval mode, no gradients)
// and stored (with the output of an earlier stage, when the next phase will start from there). Batches
// that still need decoding are loaded ahead (prefetch) while the current one computes.
import { dispose, noGrad, scope, tensor, type Tensor } from '../torch/index.js';
import type { Batch, BatchPlan, DataLoader, ViewKey } from '../data/index.js';
import { compose, imagesTensor, orient, viewKey, type LoaderItem } from '../data/index.js';
import { withPrecision, type Engine } from './engine.js';
import { nextStage } from './plan.js';
import type { FeatureCache } from './cache/feature-cache.js';

export interface InputSource {
  loader: DataLoader;
  /** Prefix of the cache keys: item indices are per loader, so 'train' and 'val' must not share keys. */
  split: string;
  cache: FeatureCache | null;
  /** The cached stage (the last frozen one), or null when the inputs are images. */
  stage: string | null;
  /** A cache of an earlier stage, for the next phase: filled with that stage's output on the way to `stage`. */
  carry?: FeatureCache | null;
  /**
   * Key views by the image's path instead of split and item index (caches shared between runs, see
   * cache/shared.ts). A deterministic view is the eval image, flipped or not, in the training and the
   * validation loader alike, so both loaders share an image's entries; a batch then runs only its views
   * that are not cached yet through the prefix.
   */
  byPath?: boolean;
}

export interface StepInput {
  /** Input of the stage after `stage` (images when stage is null). Owned by the consumer: dispose it. */
  x: Tensor;
  /** The task's targets on the device (Task.targets). Owned by the consumer. */
  y: Tensor;
  /** n x the task's label width. */
  labels: Float32Array;
  n: number;
  batchIndex: number;
}

const keyOf = (src: InputSource, v: ViewKey): string =>
  src.byPath ? `${src.loader.items[v.index]!.path}${v.flip ? '\u0000f' : ''}${v.turns ? `\u0000r${v.turns}` : ''}` : `${src.split}:${v.key}`;
const keysOf = (src: InputSource, views: readonly ViewKey[]): string[] => views.map((v) => keyOf(src, v));
/** Whether the caches hold a view (with byPath, the carry too: a shared cache may have been filled in another run's phase). */
const holds = (src: InputSource, key: string): boolean => src.cache!.has(key) && (!src.byPath || !src.carry || src.carry.has(key));

/** Runs the frozen prefix on images and stores its outputs (and the carry stage's); returns the outputs. */
function storePrefix(e: Engine, src: InputSource, images: Tensor, keys: string[]): Tensor {
  const cache = src.cache!;
  const carry = src.carry ?? null;
  const { feats, early } = scope(() => noGrad(() => withPrecision(e, () => {
    if (!carry) return { feats: e.model.forwardStages(images, undefined, src.stage!), early: null };
    const mid = e.model.forwardStages(images, undefined, carry.stage);
    return { feats: e.model.forwardStages(mid, nextStage(carry.stage, e.model.stages), src.stage!), early: mid };
  })));
  // This phase's own entries first: they are read every epoch, so they get the memory budget before the carry.
  cache.put(keys, feats);
  if (early) {
    try {
      carry!.put(keys, early);
    } finally {
      early.dispose();
    }
  }
  return feats;
}

/**
 * With random flips (and quarter turns), the views of this batch's images that it does not show (the mirror
 * image; with turns, the other 7 orientations) go into the cache too. Each is the batch itself flipped or turned
 * (orientation.ts: they commute with the per-channel normalisation), so no later epoch has a batch with an
 * uncached view, and each view runs through the frozen layers once.
 */
function storeOtherViews(e: Engine, src: InputSource, images: Tensor, views: readonly ViewKey[]): void {
  for (const r of src.loader.orientations) {
    if (!r.flip && r.turns === 0) continue;
    const rows: number[] = [];
    const keys: string[] = [];
    views.forEach((v, i) => {
      const o = compose(v, r);
      const key = keyOf(src, viewKey(v.index, o.flip, o.turns));
      if (!holds(src, key)) {
        rows.push(i);
        keys.push(key);
      }
    });
    if (rows.length === 0) continue;
    const turned = scope(() => orient(rows.length === views.length ? images : rowsOf(images, rows), r));
    try {
      storePrefix(e, src, turned, keys).dispose();
    } finally {
      turned.dispose();
    }
  }
}

/** Rows `rows` of a batch (on its device). */
const rowsOf = (images: Tensor, rows: readonly number[]): Tensor =>
  scope(() => images.indexSelect(0, tensor(BigInt64Array.from(rows.map(BigInt)), { shape: [rows.length] }).to(images.device)));

/**
 * byPath: a batch some of whose views are cached already (by another run sharing the caches) runs only the
 * others through the prefix and reads the whole batch back from the cache. Null when that is not possible.
 */
function throughPrefixMissing(e: Engine, src: InputSource, images: Tensor, views: readonly ViewKey[], keys: string[]): Tensor | null {
  const missing = keys.flatMap((k, i) => (holds(src, k) ? [] : [i]));
  if (missing.length === 0 || missing.length === keys.length) return null;
  const part = rowsOf(images, missing);
  try {
    storePrefix(e, src, part, missing.map((i) => keys[i]!)).dispose();
  } finally {
    part.dispose();
  }
  // Every image's other view too (a cached view's mirror may not be), so that later epochs find all of them.
  if (src.loader.orientations.length > 1) storeOtherViews(e, src, images, views);
  return src.cache!.hasAll(keys) ? src.cache!.get(keys) : null;
}

/** Runs the frozen prefix on a batch, caching its outputs; returns the input for the trainable part. */
function throughPrefix(e: Engine, src: InputSource, images: Tensor, views: readonly ViewKey[]): Tensor {
  const cache = src.cache!;
  const keys = keysOf(src, views);
  if (src.byPath) {
    const partial = throughPrefixMissing(e, src, images, views, keys);
    if (partial) return partial;
  }
  const feats = storePrefix(e, src, images, keys);
  if (src.loader.orientations.length > 1) {
    try {
      storeOtherViews(e, src, images, views);
    } catch (err) {
      feats.dispose();
      throw err;
    }
  }
  // Read back through the cache when it holds the batch, so the first epoch sees exactly what later epochs
  // see (fp16/bf16 storage rounds); otherwise (budget full, no spill folder) use the values directly.
  if (cache.hasAll(keys)) {
    feats.dispose();
    return cache.get(keys);
  }
  if (feats.dtype === 'float32') return feats;
  const f32 = feats.to('float32');
  feats.dispose();
  return f32;
}

function fromBatch(e: Engine, src: InputSource, b: Batch): StepInput {
  const images = imagesTensor(b, e.device);
  let x = images;
  if (src.stage !== null) {
    try {
      x = throughPrefix(e, src, images, b.views);
    } finally {
      images.dispose();
    }
  }
  return { x, y: e.task.targets(b.y, e.device), labels: b.y, n: b.indices.length, batchIndex: b.batchIndex };
}

/** The labels of items as a loader batch has them: the class index (NaN when unknown), or a multi-hot row of `width`. */
export function labelRows(items: readonly LoaderItem[], indices: readonly number[], width: number): Float32Array {
  const out = new Float32Array(indices.length * width);
  indices.forEach((i, k) => {
    const it = items[i]!;
    if (width === 1) out[k] = it.label === null ? NaN : it.label;
    else for (const j of it.labels ?? []) out[k * width + j] = 1;
  });
  return out;
}

function fromCache(e: Engine, src: InputSource, plan: BatchPlan): StepInput {
  const labels = labelRows(src.loader.items, plan.indices, e.task.labelWidth);
  return { x: src.cache!.get(keysOf(src, plan.views)), y: e.task.targets(labels, e.device), labels, n: plan.indices.length, batchIndex: plan.batchIndex };
}

/** The inputs of `plans[startBatch..]`, in order. */
export async function* stepInputs(e: Engine, src: InputSource, plans: readonly BatchPlan[], startBatch = 0): AsyncGenerator<StepInput> {
  const cached = (i: number): boolean => src.cache !== null && keysOf(src, plans[i]!.views).every((k) => (src.byPath ? holds(src, k) : src.cache!.has(k)));
  const pending = new Map<number, Promise<Batch | null>>();
  const prefetch = src.loader.prefetch;
  // Starts loading the next `prefetch` plans (after `from`) that the cache cannot serve.
  const schedule = (from: number) => {
    let ahead = 0;
    for (let j = from; j < plans.length && ahead < prefetch; j++) {
      if (cached(j)) continue;
      ahead++;
      if (!pending.has(j)) {
        const p = src.loader.load(plans[j]!);
        p.catch(() => undefined); // surfaced when awaited; avoids an unhandled rejection if the consumer stops early
        pending.set(j, p);
      }
    }
  };
  try {
    for (let i = startBatch; i < plans.length; i++) {
      schedule(i);
      const p = pending.get(i);
      if (p) {
        pending.delete(i);
        const b = await p;
        if (b) yield fromBatch(e, src, b);
      } else {
        yield fromCache(e, src, plans[i]!);
      }
    }
  } finally {
    // Stopped early: let the loads in flight finish quietly (their batches are plain arrays, nothing to free).
    pending.clear();
  }
}

/** Frees a step input's tensors. */
export const disposeInput = (s: StepInput): void => dispose([s.x, s.y]);
