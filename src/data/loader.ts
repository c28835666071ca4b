// DataLoader: seeded, shuffled batches of uint8 RGB images, decoded and resized concurrently (sharp runs
// on libuv's thread pool) with a bounded number of batches prefetched while the consumer computes. Each
// batch says how its images are to be flipped, jittered and normalised; data/tensor.ts does that in
// libtorch when the batch becomes a tensor.
//
// Randomness: the order of epoch e comes from (seed, 'shuffle', e) (class-balanced sampling: its draws from
// (seed, 'balanced', e)); each image's augmentation from (seed, 'aug', e, index), and an image drawn again in
// the same epoch from (seed, 'aug', e, index, k) at its k-th repeat, so that it is not the same crop again.
// Nothing depends on which decode finishes first, so the same seed gives the same batches with the same crops
// and flips on every run, and a resumed run replays epoch e exactly.
//
// Caching: when every step before the flip is deterministic (eval transform; 'none', 'flip' and 'dihedral' presets)
// the resized uint8 image is cached (ImageCache: memory, then disk) and flipped (turned) when it becomes a tensor,
// so epochs after the first never decode again. The random-resized-crop presets decode the original file
// each time, as torchvision does (or, with augmentBaseSide, a cached copy downscaled to that shorter side).
import { stat } from 'node:fs/promises';
import os from 'node:os';
import { cropResize, decodeFull, decodeResized, type Box, type RawImage } from './decode.js';
import { decoderReason, diagnoseDecode, isLostReason } from './decode-reasons.js';
import { baseCacheKey, evalCacheKey, fileStamp, ImageCache } from './cache.js';
import { Semaphore } from './pool.js';
import { deriveSeed, Rng } from './rng.js';
import { drawNumbers } from './balanced.js';
import { batchPositions, epochOrder, SAMPLERS, type SamplerKind } from './epoch-plan.js';
import { orientationsOf, orientationTag, type Orientation } from './orientation.js';
import { checkRandAugment, RAND_AUGMENT, type AutoAugmentDraw, type RandAugmentParams } from './auto-augment-draw.js';
import { checkDicomWindows, type DicomWindow } from './dicom.js';
import { checkErasing, type ErasingSpec } from './erasing.js';
import { drawOrientation, drawView } from './view-draws.js';
import { checkShard, type ShardSpec } from '../distributed/sampler.js';
import {
  AUGMENT_SPECS, isViewDeterministic, IMAGENET_MEAN, IMAGENET_STD, type JitterParams,
} from './transforms.js';
import { AUGMENT_PRESETS, RESIZE_MODES, type AugmentPreset, type ResizeMode } from './types.js';

/**
 * What the loader needs of an item: a file and its label, the class index (binary 0/1; null when unknown, e.g. for
 * prediction), and for a multi-label task the indices of its labels (read with labelWidth C).
 */
export interface LoaderItem { path: string; label: number | null; labels?: readonly number[] }

export interface DataLoaderOptions {
  /** Output side in pixels (default 224). */
  imageSize?: number;
  /** Eval resize: 'squash' (default) or 'crop' (see decode.ts evalGeometry). */
  resize?: ResizeMode;
  /** The model's DICOM windows (dicom.ts; null: each file's own). */
  dicomWindows?: readonly DicomWindow[] | null;
  /** Default 32. */
  batchSize?: number;
  /** Training mode: shuffles, augments, drops a final batch of one. Default false. */
  train?: boolean;
  /** Augmentation preset used in training mode (default 'none'). */
  augment?: AugmentPreset;
  /** Random erasing in training mode, after any preset (erasing.ts); default none. */
  erasing?: ErasingSpec | null;
  /** augment randaugment's operations per image and strength (default torchvision's: 2 at 9). */
  randAugment?: RandAugmentParams;
  /** Default: same as train. */
  shuffle?: boolean;
  /**
   * 'balanced': each epoch draws as many images as there are, with replacement, every class (label) equally
   * often (WeightedRandomSampler with weights 1 / class count); items without a label are not drawn. Default
   * 'shuffle': every image once, in shuffled order (or in order without shuffle).
   */
  sampler?: SamplerKind;
  /** Default 0. */
  seed?: number;
  /** NHWC instead of NCHW (shape stays the logical [n, 3, h, w]). Default false. */
  channelsLast?: boolean;
  /** Batches loaded ahead of the consumer (default 2). */
  prefetch?: number;
  /** Images decoded at once (default: the number of cores). */
  concurrency?: number;
  /** Image cache; default a new in-memory cache with the default budget; null: no caching. */
  cache?: ImageCache | null;
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
  /** Drop any incomplete final batch (default false). */
  dropLast?: boolean;
  /** Drop a batch that ends up with a single image when batchSize > 1 (BatchNorm cannot train on it). Default: train. */
  dropSingleton?: boolean;
  /** Random-resized-crop presets: crop from a cached copy whose shorter side is at most this. Default: the original. */
  augmentBaseSide?: number | null;
  /** Called once per file that fails to decode (the file is then left out of every later epoch). */
  onSkip?: (skipped: SkippedItem) => void;
  /**
   * Values of `y` per image (default 1: the item's label). C: a multi-hot row of the item's `labels` (a
   * multi-label task over C labels; a row of NaN for an item whose label is null).
   */
  labelWidth?: number;
  /**
   * Data-parallel training: this rank's strided slice of each epoch's order, as DistributedSampler takes it
   * (src/distributed/sampler.ts). Absent: every item (a single process).
   */
  shard?: ShardSpec;
}

export interface SkippedItem { index: number; path: string; reason: string }


/** Identifies what the network saw for an item: the image and its orientation (mirrored, quarter turns). */
export interface ViewKey extends Orientation { index: number; key: string }

/** A planned batch, before any decoding. */
export interface BatchPlan {
  epoch: number;
  batchIndex: number;
  indices: number[];
  /** Per image, how many times the epoch drew it before (0 but for class-balanced sampling): its augmentation's draw. */
  draws: number[];
  /** Orientations are known in advance (they come from the seed), so features can be looked up before decoding. */
  views: ViewKey[];
}

export interface Batch {
  /** uint8 RGB pixels, [n, h, w, 3] row-major, before flip, jitter and normalisation (see data/tensor.ts). */
  pixels: Uint8Array;
  /** Logical [n, 3, h, w] of the tensor the batch becomes. */
  shape: [number, number, number, number];
  /** Memory format of that tensor: NCHW, or NHWC with channelsLast. */
  layout: 'nchw' | 'nhwc';
  /** Colour jitter per image (null: none). */
  jitter: Array<JitterParams | null>;
  /** The automatic augmentation's operations per image (augment trivial, randaugment; null: none). */
  autoAugment: Array<AutoAugmentDraw | null>;
  /** The box random erasing zeroes per image, after the normalisation (null: none). */
  erase: Array<Box | null>;
  /** Normalisation: (x / 255 - mean) / std per channel. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** n × labelWidth values: labelWidth 1: the labels (binary 0/1, class indices; NaN for unlabelled items); C: multi-hot rows. */
  y: Float32Array;
  paths: string[];
  /** Item indices into the loader's items. */
  indices: number[];
  views: ViewKey[];
  epoch: number;
  batchIndex: number;
}

/** An item's path and label fit the label width: a label (or null) for width 1, label indices below C for C. */
function checkItem(it: LoaderItem, i: number, width: number): void {
  if (!it || typeof it.path !== 'string' || !(it.label === null || Number.isInteger(it.label))) {
    throw new Error(`DataLoader: item ${i} must be { path: string, label: number | null, labels?: number[] }`);
  }
  if (width === 1) return;
  if (it.labels === undefined) {
    if (it.label === null) return;
    throw new Error(`DataLoader: item ${i} (${it.path}) has no labels, and labelWidth ${width} reads multi-hot rows from them`);
  }
  const bad = Array.isArray(it.labels) ? it.labels.find((l) => !(Number.isInteger(l) && l >= 0 && l < width)) : 'none';
  if (bad !== undefined) throw new Error(`DataLoader: item ${i} (${it.path}): labels must be integers in [0, ${width}), got ${String(bad)}`);
}

export function viewKey(index: number, flip: boolean, turns = 0): ViewKey {
  return { index, flip, turns, key: `${index}${orientationTag({ flip, turns })}` };
}

interface LoadedView { img: RawImage; jitter?: JitterParams; autoAugment?: AutoAugmentDraw; erase?: Box | null }

export class DataLoader {
  readonly items: readonly LoaderItem[];
  readonly imageSize: number;
  readonly resize: ResizeMode;
  readonly dicomWindows: readonly DicomWindow[] | null;
  readonly batchSize: number;
  readonly train: boolean;
  readonly augment: AugmentPreset;
  readonly erasing: ErasingSpec | null;
  readonly randAugment: RandAugmentParams;
  readonly shuffle: boolean;
  readonly sampler: SamplerKind;
  readonly seed: number;
  readonly channelsLast: boolean;
  readonly prefetch: number;
  readonly cache: ImageCache | null;
  readonly dropLast: boolean;
  readonly dropSingleton: boolean;
  readonly augmentBaseSide: number | null;
  readonly labelWidth: number;
  readonly shard: ShardSpec | null;
  /** Files that failed to decode, in the order they were met. */
  readonly skipped: SkippedItem[] = [];
  private readonly failed = new Set<number>();
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  private readonly sem: Semaphore;
  private readonly onSkip?: (s: SkippedItem) => void;
  private readonly stamps: Array<Promise<string> | undefined> = [];
  private nextEpoch = 0;

  constructor(items: readonly LoaderItem[], opts: DataLoaderOptions = {}) {
    this.items = items;
    this.imageSize = opts.imageSize ?? 224;
    this.resize = opts.resize ?? 'squash';
    this.dicomWindows = opts.dicomWindows?.length ? opts.dicomWindows : null;
    if (this.dicomWindows) checkDicomWindows(this.dicomWindows);
    this.batchSize = opts.batchSize ?? 32;
    this.train = opts.train ?? false;
    this.augment = opts.augment ?? 'none';
    this.erasing = opts.erasing ?? null;
    if (this.erasing) checkErasing(this.erasing);
    this.randAugment = checkRandAugment(opts.randAugment ?? RAND_AUGMENT);
    this.shuffle = opts.shuffle ?? this.train;
    this.sampler = opts.sampler ?? 'shuffle';
    this.seed = opts.seed ?? 0;
    this.channelsLast = opts.channelsLast ?? false;
    this.prefetch = opts.prefetch ?? 2;
    this.cache = opts.cache === undefined ? new ImageCache() : opts.cache;
    this.dropLast = opts.dropLast ?? false;
    this.dropSingleton = opts.dropSingleton ?? this.train;
    this.augmentBaseSide = opts.augmentBaseSide ?? null;
    this.labelWidth = opts.labelWidth ?? 1;
    this.shard = opts.shard ?? null;
    if (this.shard) checkShard(this.shard);
    this.onSkip = opts.onSkip;
    const intOpt = (name: string, v: number, min: number) => {
      if (!(Number.isInteger(v) && v >= min)) throw new Error(`DataLoader: ${name} must be an integer >= ${min}, got ${v}`);
    };
    intOpt('imageSize', this.imageSize, 1);
    intOpt('batchSize', this.batchSize, 1);
    intOpt('prefetch', this.prefetch, 1);
    intOpt('labelWidth', this.labelWidth, 1);
    if (!Number.isFinite(this.seed)) throw new Error(`DataLoader: seed must be a finite number, got ${this.seed}`);
    if (this.augmentBaseSide !== null) intOpt('augmentBaseSide', this.augmentBaseSide, this.imageSize);
    if (!RESIZE_MODES.includes(this.resize)) throw new Error(`DataLoader: resize must be one of ${RESIZE_MODES.join(', ')}, got '${this.resize}'`);
    if (!SAMPLERS.includes(this.sampler)) throw new Error(`DataLoader: sampler must be one of ${SAMPLERS.join(', ')}, got '${this.sampler}'`);
    if (this.sampler === 'balanced' && this.labelWidth !== 1) throw new Error('DataLoader: balanced sampling needs one class per image (labelWidth 1)');
    if (!AUGMENT_PRESETS.includes(this.augment)) throw new Error(`DataLoader: augment must be one of ${AUGMENT_PRESETS.join(', ')}, got '${this.augment}'`);
    items.forEach((it, i) => checkItem(it, i, this.labelWidth));
    this.sem = new Semaphore(opts.concurrency ?? os.availableParallelism());
    this.mean = opts.mean ?? IMAGENET_MEAN;
    this.std = opts.std ?? IMAGENET_STD;
    for (const v of this.std) if (!(v > 0)) throw new Error(`DataLoader: std must be positive, got ${this.std.join(',')}`);
  }

  /** The preset in effect: augmentation only applies in training mode. */
  get effectiveAugment(): AugmentPreset { return this.train ? this.augment : 'none'; }

  /** True when a view key fully determines the network input (no random crop, colour jitter or erasing). */
  get viewsCacheable(): boolean { return isViewDeterministic(this.effectiveAugment) && !(this.train && this.erasing); }

  /** The orientations each image is drawn in (one, upright, without flips or turns; two with flips; eight with turns too). */
  get orientations(): Orientation[] {
    const spec = AUGMENT_SPECS[this.effectiveAugment];
    return orientationsOf(spec.flip, spec.turns === true);
  }

  /** Batches per epoch, as planned now (decode failures found later may remove some). */
  get length(): number { return this.plan(0).length; }

  /** The batches of an epoch, with their view keys, without decoding anything. */
  plan(epoch: number): BatchPlan[] {
    if (!(Number.isInteger(epoch) && epoch >= 0)) throw new Error(`DataLoader: epoch must be an integer >= 0, got ${epoch}`);
    const order = epochOrder(this.items.map((it) => it.label), this, epoch);
    const draws = drawNumbers(order);
    const cut = { batchSize: this.batchSize, dropLast: this.dropLast, dropSingleton: this.dropSingleton, shard: this.shard, failed: this.failed };
    return batchPositions(order, cut).map((at, batchIndex) => {
      const indices = at.map((p) => order[p]!), drawn = at.map((p) => draws[p]!);
      return { epoch, batchIndex, indices, draws: drawn, views: indices.map((i, k) => this.viewOf(i, epoch, drawn[k]!)) };
    });
  }

  /** Iterates over the batches of the next epoch (0, 1, 2, ... on successive iterations). */
  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return this.epoch(this.nextEpoch++);
  }

  /** Sets the epoch the next `for await` iteration runs. */
  setEpoch(epoch: number): void { this.nextEpoch = epoch; }

  /** Iterates over the batches of epoch `e`, loading up to `prefetch` batches ahead. */
  async *epoch(e: number): AsyncGenerator<Batch> {
    const plans = this.plan(e);
    const inflight: Array<Promise<Batch | null>> = [];
    let next = 0;
    const fill = () => {
      while (next < plans.length && inflight.length < this.prefetch) {
        const p = this.load(plans[next++]!);
        p.catch(() => undefined); // surfaced when awaited below; avoids an unhandled rejection if the consumer stops early
        inflight.push(p);
      }
    };
    fill();
    while (inflight.length) {
      const b = await inflight.shift()!;
      fill();
      if (b) yield b;
    }
  }

  /** Decodes and assembles a planned batch; null if decode failures left nothing worth training on. */
  async load(plan: BatchPlan): Promise<Batch | null> {
    const views = await Promise.all(plan.indices.map((i, k) => this.sem.run(() => this.loadViewSafe(i, plan.epoch, plan.draws[k] ?? 0))));
    const keep: number[] = [];
    views.forEach((v, k) => { if (v) keep.push(k); });
    if (keep.length === 0) return null;
    if (this.dropSingleton && keep.length === 1 && this.batchSize > 1) return null;
    const n = keep.length, s = this.imageSize, bytes = s * s * 3;
    // Every byte is written below, so skip the zero-fill (4.8 MB for 32×224²).
    const pixels = new Uint8Array(Buffer.allocUnsafeSlow(n * bytes).buffer, 0, n * bytes);
    const w = this.labelWidth;
    const y = new Float32Array(n * w);
    const paths: string[] = [], indices: number[] = [], vks: ViewKey[] = [], jitter: Array<JitterParams | null> = [];
    const autoAugment: Array<AutoAugmentDraw | null> = [], erase: Array<Box | null> = [];
    keep.forEach((k, slot) => {
      const v = views[k]!, idx = plan.indices[k]!, item = this.items[idx]!;
      if (v.img.data.length !== bytes) throw new Error(`DataLoader: ${item.path} gave ${v.img.width}x${v.img.height}, expected ${s}x${s}`);
      pixels.set(v.img.data, slot * bytes);
      if (w === 1) y[slot] = item.label === null ? NaN : item.label;
      else if (item.label === null && !item.labels) y.fill(NaN, slot * w, slot * w + w);
      else for (const l of item.labels!) y[slot * w + l] = 1;
      paths.push(item.path); indices.push(idx); vks.push(plan.views[k]!); jitter.push(v.jitter ?? null); autoAugment.push(v.autoAugment ?? null); erase.push(v.erase ?? null);
    });
    return {
      pixels, shape: [n, 3, s, s], layout: this.channelsLast ? 'nhwc' : 'nchw', jitter, autoAugment, erase, mean: this.mean, std: this.std,
      y, paths, indices, views: vks, epoch: plan.epoch, batchIndex: plan.batchIndex,
    };
  }

  /** The size×size uint8 image an item gives under the eval transform (cached). Throws if it cannot be decoded. */
  async evalImage(index: number): Promise<RawImage> {
    const item = this.itemAt(index);
    const key = this.cache ? evalCacheKey(await this.stamp(index), this.imageSize, this.resize, this.dicomWindows) : '';
    if (this.cache) {
      const hit = await this.cache.get(key);
      if (hit) return hit;
    }
    const img = await decodeResized(item.path, this.imageSize, this.resize, undefined, { dicomWindows: this.dicomWindows });
    if (this.cache) await this.cache.set(key, img);
    return img;
  }

  private itemAt(index: number): LoaderItem {
    const item = this.items[index];
    if (!item) throw new Error(`DataLoader: no item ${index} (have ${this.items.length})`);
    return item;
  }

  /** An item's `draw`-th view in an epoch, from the seed alone: its orientation is the first draws of its stream. */
  private viewOf(index: number, epoch: number, draw: number): ViewKey {
    const spec = AUGMENT_SPECS[this.effectiveAugment];
    if (!spec.flip) return viewKey(index, false);
    const o = drawOrientation(spec, this.augRng(index, epoch, draw));
    return viewKey(index, o.flip, o.turns);
  }

  /** An image's augmentation stream in an epoch; a repeat draw of it (class-balanced sampling) gets a stream of its own. */
  private augRng(index: number, epoch: number, draw: number): Rng {
    return new Rng(draw === 0 ? deriveSeed(this.seed, 'aug', epoch, index) : deriveSeed(this.seed, 'aug', epoch, index, draw));
  }

  /** File identity for cache keys (see cache.ts fileStamp). */
  private stamp(index: number): Promise<string> {
    let p = this.stamps[index];
    if (!p) {
      const file = this.items[index]!.path;
      p = stat(file).then((s) => fileStamp(file, s));
      this.stamps[index] = p;
    }
    return p;
  }

  private async loadViewSafe(index: number, epoch: number, draw: number): Promise<LoadedView | null> {
    if (this.failed.has(index)) return null;
    try {
      return await this.loadView(index, epoch, draw);
    } catch (e) {
      if (!this.failed.has(index)) {
        this.failed.add(index);
        const file = this.items[index]!.path;
        let reason = decoderReason((e as Error).message);
        // The libvips message can be lost to a concurrent decode (see decode.ts): ask again, alone.
        if (isLostReason(reason)) reason = (await diagnoseDecode(file)) ?? reason;
        const s: SkippedItem = { index, path: file, reason };
        this.skipped.push(s);
        this.onSkip?.(s);
      }
      return null;
    }
  }

  private async loadView(index: number, epoch: number, draw: number): Promise<LoadedView> {
    const spec = AUGMENT_SPECS[this.effectiveAugment];
    const base = spec.randomResizedCrop ? await this.baseImage(index) : null;
    const d = drawView(spec, this.augRng(index, epoch, draw), base, this.imageSize, { erasing: this.train ? this.erasing : null, randAugment: this.randAugment });
    const img = base && d.box ? await cropResize(base, d.box, this.imageSize) : await this.evalImage(index);
    return { img, jitter: d.jitter, autoAugment: d.autoAugment, erase: d.erase };
  }

  private async baseImage(index: number): Promise<RawImage> {
    const item = this.itemAt(index);
    const opts = { dicomWindows: this.dicomWindows };
    if (this.augmentBaseSide === null || !this.cache) return decodeFull(item.path, this.augmentBaseSide ?? undefined, opts);
    const key = baseCacheKey(await this.stamp(index), this.augmentBaseSide, this.dicomWindows);
    const hit = await this.cache.get(key);
    if (hit) return hit;
    const img = await decodeFull(item.path, this.augmentBaseSide, opts);
    await this.cache.set(key, img);
    return img;
  }
}
