// The split manifest: one row per usable image, `path,label,split,bytes,sha256`, with paths relative to
// the manifest's own folder, so manifest.csv is itself a valid CSV data source (the same images, the same
// split). Also the per-file probe (size, hash, full decode check) that the manifest and the audit share.
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomicAsync } from '../io/atomic.js';
import { unopenableReason } from '../io/regular-file.js';
import { formatCsv } from './csv.js';
import { evalCacheKey, fileStamp, type ImageCache } from './cache.js';
import { decodeResized, imageSize, pixelRange, verifyDecodes, type DecodeOptions, type RawImage } from './decode.js';
import { decoderReason, diagnoseDecode } from './decode-reasons.js';
import type { DicomWindow } from './dicom.js';
import { mapLimit } from './pool.js';
import { ProbeMemo } from './probe-memo.js';
import { SPLITS, type Dataset, type ResizeMode, type Split } from './types.js';

/** What reading one file found. */
export interface Probe {
  bytes: number;
  sha256: string;
  /** Upright size, when the file decodes. */
  width?: number;
  height?: number;
  format?: string;
  /** Brightest 8-bit value of the decoded (resized) image, and whether it is one colour. */
  brightest?: number;
  uniform?: boolean;
  /** Why the file cannot be used, when it cannot. */
  error?: string;
}

/** Also decode to the eval transform's image while probing (so the audit's decode fills the loader's cache). */
export interface ProbeDecode { imageSize: number; resize: ResizeMode; dicomWindows?: readonly DicomWindow[] | null }

/** A probe plus, when asked for and the file decodes, its eval-transform image and cache stamp. */
export interface ProbeResult extends Probe {
  image?: RawImage;
  stamp?: string;
  /** The bytes were read but did not decode (as opposed to a file that could not be read). */
  decodeFailed?: boolean;
}

/**
 * Reads, hashes and fully decodes one file; never throws (failures come back in `error`). With
 * `decode`, the full decode is the eval transform itself and its result is returned as `image`.
 */
export async function probeFile(file: string, decode?: ProbeDecode, opts: DecodeOptions = {}): Promise<ProbeResult> {
  const unopenable = await unopenableReason(file);
  if (unopenable) return { bytes: 0, sha256: '', error: unopenable };
  let bytes: Buffer, st: Stats;
  try {
    st = await stat(file);
    bytes = await readFile(file);
  } catch (e) {
    return { bytes: 0, sha256: '', error: `cannot read file: ${(e as Error).message}` };
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  try {
    if (bytes.byteLength === 0) throw new Error('empty file (0 bytes)');
    if (decode) {
      const info = await imageSize(bytes);
      const image = await decodeResized(bytes, decode.imageSize, decode.resize, info, { dicomWindows: decode.dicomWindows });
      const range = await pixelRange(image);
      return { bytes: bytes.byteLength, sha256, width: info.width, height: info.height, format: info.format, ...range,
        image, stamp: fileStamp(file, { size: bytes.byteLength, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino }) };
    }
    const info = await verifyDecodes(bytes, opts);
    return { bytes: bytes.byteLength, sha256, width: info.width, height: info.height, format: info.format, ...info.range };
  } catch (e) {
    return { bytes: bytes.byteLength, sha256, error: decoderReason((e as Error).message) || 'unknown decode error', decodeFailed: true };
  }
}

export interface ProbeOptions {
  /** Concurrent probes (default: the cores plus 2, so that reading and hashing a file overlap decodes). */
  concurrency?: number;
  /** Decode to this eval transform and store the images in `cache` (keys as the DataLoader uses). */
  decode?: ProbeDecode;
  cache?: ImageCache;
  /**
   * The splits whose images go into `cache`, most used first (default: all, in item order). Their items are
   * probed first, so that the splits read most often get the cache's memory when it cannot hold every image.
   */
  cacheSplits?: readonly Split[];
  /** Called after each file with the number of files probed so far. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Probes of earlier checks of the same files in this process (probe-memo.ts): an unchanged file checked the
   * same way is not read again, and its image is taken to be in `cache` already (use the cache of that check).
   */
  memo?: ProbeMemo;
}

/** Probes every item of a dataset; results in item order (without the decoded images). */
export async function probeDataset(ds: Dataset, opts: ProbeOptions = {}): Promise<Probe[]> {
  const concurrency = opts.concurrency ?? os.availableParallelism() + 2;
  const { cache, decode } = opts;
  const rank = (s: Split) => { const r = (opts.cacheSplits ?? SPLITS).indexOf(s); return r < 0 ? SPLITS.length : r; };
  const order = ds.items.map((_, i) => i).sort((a, b) => rank(ds.items[a]!.split) - rank(ds.items[b]!.split) || a - b);
  const entryBytes = decode ? decode.imageSize * decode.imageSize * 3 : 0;
  let done = 0;
  // Images decided to be kept whose decode has not reached the cache yet: their room is taken from the start, so
  // the priority order holds whichever decode finishes first (a slow training image is not displaced by val ones).
  let pending = 0;
  const results = await mapLimit(order, concurrency, async (i) => {
    const it = ds.items[i]!;
    // An image the cache would not keep is only checked (cheaper: a small decode, shrunk on load for JPEG).
    const keep = cache && decode && rank(it.split) < SPLITS.length && cache.hasRoomFor(entryBytes * (pending + 1)) ? decode : undefined;
    const memoKey = opts.memo ? await ProbeMemo.keyOf(it.path, keep, decode?.dicomWindows) : null;
    const known = memoKey !== null ? opts.memo!.get(memoKey) : undefined;
    if (known) {
      opts.onProgress?.(++done, order.length);
      return { probe: known, decodeFailed: false, memoKey: null };
    }
    if (keep) pending++;
    let probed: Awaited<ReturnType<typeof probeFile>>;
    try {
      probed = await probeFile(it.path, keep, { dicomWindows: decode?.dicomWindows });
      const { image, stamp } = probed;
      if (image && stamp && cache && keep) await cache.set(evalCacheKey(stamp, keep.imageSize, keep.resize, keep.dicomWindows), image);
    } finally {
      if (keep) pending--;
    }
    const { image: _image, stamp: _stamp, decodeFailed, ...probe } = probed;
    opts.onProgress?.(++done, order.length);
    return { probe, decodeFailed, memoKey };
  });
  const probes = new Array<(typeof results)[number]>(ds.items.length);
  order.forEach((i, k) => { probes[i] = results[k]!; });
  // Concurrent decodes can lose or mix up libvips' messages (see decode.ts): now that nothing else is
  // decoding, each failed file is decoded again on its own for its real reason.
  for (const [i, { probe, decodeFailed }] of probes.entries()) {
    if (decodeFailed) probe.error = (await diagnoseDecode(ds.items[i]!.path)) ?? probe.error;
  }
  for (const { probe, memoKey } of probes) if (memoKey != null) opts.memo!.set(memoKey, probe);
  return probes.map((p) => p.probe);
}

export const MANIFEST_HEADER = ['path', 'label', 'split', 'bytes', 'sha256'] as const;
/**
 * A multi-label dataset's manifest: the second column is `labels`, each row's label names joined by ';' (empty:
 * none), so reading it back finds a multi-label task even when no image has two labels.
 */
export const MANIFEST_HEADER_MULTILABEL = ['path', 'labels', 'split', 'bytes', 'sha256'] as const;

/** Writes manifest.csv (atomically) for the items that have a successful probe. */
export async function writeManifest(file: string, ds: Dataset, probes: Probe[]): Promise<number> {
  const dir = path.dirname(path.resolve(file));
  const rows: Array<Array<string | number>> = [];
  ds.items.forEach((it, i) => {
    const p = probes[i]!;
    if (p.error) return;
    rows.push([path.relative(dir, it.path).split(path.sep).join('/'), it.className, it.split, p.bytes, p.sha256]);
  });
  await writeFileAtomicAsync(file, formatCsv([...(ds.task === 'multilabel' ? MANIFEST_HEADER_MULTILABEL : MANIFEST_HEADER)], rows));
  return rows.length;
}
