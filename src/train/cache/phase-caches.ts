// The frozen-prefix caches of one phase: its own (the output of its frozen prefix, per image view) and,
// when the next phase that trains freezes a shorter prefix, that prefix's output too. Phase 1 of the seed
// protocol runs the images through layer3 on its way to the pooled features; keeping layer3's output lets
// phase 2 start from it instead of decoding every image and running the network's first part again. This
// is valid because nothing up to that stage trains in between (carriedStage in plan.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../../io/atomic.js';
import type { DataLoader } from '../../data/index.js';
import type { Module } from '../../nn/index.js';
import { isStageName, StagedNet } from '../../models/index.js';
import type { RunConfig } from '../config/index.js';
import { mixSettingsOf } from '../mixup.js';
import { cacheStage, cacheStageFor, carriedStage, type CacheConditions } from '../plan.js';
import { FeatureCache } from './feature-cache.js';
import { sharedStageValid, type SharedFeatureCaches } from './shared.js';

/** The smallest memory budget of a feature cache (a 0 MB setting still caches a little before spilling). */
const MIN_CACHE_BYTES = 1024 * 1024;

export interface PhaseCachesContext {
  config: RunConfig;
  model: Module;
  trainLoader: DataLoader;
  device: string;
  /** Default spill folder of the run (each stage gets a folder of its own inside it). */
  spillRoot: string;
  /** Caches shared with other runs (cross-validation folds), used for the stages where that is valid. */
  shared?: SharedFeatureCaches | null;
}

export interface PhaseCaches {
  /** This phase's cache (null: the phase trains on images). */
  cache: FeatureCache | null;
  /** The next training phase's cache, filled on the way (null: none to fill, or it is `cache` itself). */
  carry: FeatureCache | null;
  /** Whether `cache` goes on to the next phase as it is (both phases cache the same stage). */
  handOver: boolean;
}

/** This machine's name as it goes into a folder name (host names are letters, digits, dots and dashes). */
const hostTag = (): string => os.hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host';

/**
 * The spill folder of a `stage` cache inside featureCache.dir: one per process and stage, so that runs sharing
 * the folder never mix. The host is in the name because the folder may be on a disk that several machines
 * share, where a process id only means something on the machine that wrote it.
 */
export function spillDirName(stage: string, pid = process.pid): string {
  return `tlearn-${hostTag()}-${pid}-${stage}`;
}

/** spillDirName's names (host, pid, stage), and the older `tlearn-<pid>-<stage>` without a host. */
const SPILL_NAME = /^tlearn-(?:(.+)-)?(\d+)-([a-z0-9]+)$/;

/**
 * Removes the spill folders in `dir` that runs killed without a chance to clean up (kill -9, a crash, the
 * OOM killer) left behind: those of this machine whose process is gone. A resumed run has another pid, so it
 * never reuses them, and at 224 px a ResNet50 layer3 entry is 784 KB per image view. A folder whose process
 * still runs (or another machine's) is left alone. Returns the folders removed.
 */
export function removeStaleSpillDirs(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // Not created yet (the first run that spills creates it), or not readable: nothing of ours.
  }
  const removed: string[] = [];
  for (const e of entries) {
    const m = SPILL_NAME.exec(e.name);
    if (!m || !e.isDirectory() || !isStageName(m[3]!)) continue;
    const host = m[1];
    if (host !== undefined && host !== hostTag()) continue;
    if (processAlive(Number(m[2]))) continue;
    const full = path.join(dir, e.name);
    try {
      fs.rmSync(full, { recursive: true, force: true });
      removed.push(full);
    } catch {
      // Another user's folder, say: not ours to force; it stays as it was.
    }
  }
  return removed;
}

const conditions = (c: Pick<PhaseCachesContext, 'config' | 'trainLoader'>): CacheConditions =>
  // Mixup and CutMix train on mixed images, whose frozen-prefix outputs are not any view's: nothing can be cached.
  ({ bnPolicy: c.config.bnPolicy, viewsCacheable: c.trainLoader.viewsCacheable, enabled: c.config.featureCache.enabled && mixSettingsOf(c.config) === null });

/**
 * The cache of `stage` for use in phase `index`: the shared one where its prefix still holds the starting
 * weights (sharedStageValid), else one of this run's own.
 */
function cacheFor(c: PhaseCachesContext, stage: string, index: number): FeatureCache {
  const shared = c.shared;
  if (!shared) return newCache(c, stage, c.spillRoot);
  const frozen = c.config.phases.map((p) => cacheStageFor(c.model, p.trainable, conditions(c)));
  if (!sharedStageValid(stage, index, frozen, c.config.phases.map((p) => p.epochs), c.model instanceof StagedNet ? c.model.stages : undefined)) return newCache(c, stage, c.spillRoot);
  return shared.take(stage, () => newCache(c, stage, shared.spillRoot));
}

/**
 * The shared cache that phase `index` read its frozen prefix's output from (cacheFor's choice), when the shared
 * caches hold it; null without shared caches or where that phase's prefix is not the starting weights'. The
 * final model of that phase has the same prefix, so its outputs there are the cached ones (eval-mode layers).
 */
export function sharedPhaseCache(c: Pick<PhaseCachesContext, 'config' | 'model' | 'trainLoader' | 'shared'>, index: number): FeatureCache | null {
  const shared = c.shared;
  if (!shared || index < 0) return null;
  const frozen = c.config.phases.map((p) => cacheStageFor(c.model, p.trainable, conditions(c)));
  const stage = frozen[index];
  if (stage === null || stage === undefined) return null;
  if (!sharedStageValid(stage, index, frozen, c.config.phases.map((p) => p.epochs), c.model instanceof StagedNet ? c.model.stages : undefined)) return null;
  return shared.caches.get(stage) ?? null;
}

/** Frees a cache unless other runs share it (its owner frees it). */
export function releaseCache(c: FeatureCache | null | undefined, shared: SharedFeatureCaches | null | undefined): void {
  if (c && !shared?.owns(c)) c.dispose();
}

function newCache(c: PhaseCachesContext, stage: string, spillRoot: string): FeatureCache {
  const fc = c.config.featureCache;
  return new FeatureCache({
    stage,
    // The budget holds per cached stage: a phase filling the next phase's cache has two at once.
    memoryBytes: Math.max(MIN_CACHE_BYTES, fc.memoryMB * 1024 * 1024),
    dir: fc.dir ? path.join(fc.dir, spillDirName(stage)) : path.join(spillRoot, stage),
    diskBytes: fc.diskMB === null ? Infinity : fc.diskMB * 1024 * 1024,
    dtype: fc.dtype,
    device: c.device,
  });
}

/**
 * The caches of phase `index` (its trainable parameters already applied to the model). `carried` is what
 * the phase before handed on (used when it is this phase's stage, else freed).
 */
export function openPhaseCaches(c: PhaseCachesContext, index: number, carried: FeatureCache | null): PhaseCaches {
  const stage = cacheStage(c.model, conditions(c));
  let cache: FeatureCache | null = null;
  if (carried && carried.stage === stage) cache = carried;
  else {
    releaseCache(carried, c.shared);
    if (stage !== null) cache = cacheFor(c, stage, index);
  }
  const nextIndex = c.config.phases.findIndex((p, i) => i > index && p.epochs > 0);
  const next = nextIndex < 0 ? undefined : c.config.phases[nextIndex]!;
  const nextStage = next ? carriedStage(stage, cacheStageFor(c.model, next.trainable, conditions(c)), c.model instanceof StagedNet ? c.model.stages : undefined) : null;
  if (nextStage === null) return { cache, carry: null, handOver: false };
  if (nextStage === stage) return { cache, carry: null, handOver: true };
  return { cache, carry: cacheFor(c, nextStage, nextIndex), handOver: false };
}

/** At the end of a phase: the cache for the next phase (or null), the rest freed (shared caches stay with their owner). */
export function closePhaseCaches(p: PhaseCaches, shared?: SharedFeatureCaches | null): FeatureCache | null {
  if (p.handOver) return p.cache;
  releaseCache(p.cache, shared);
  return p.carry;
}
