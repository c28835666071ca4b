// Frozen-prefix caches that outlive one train() call: k-fold cross-validation (src/cv) trains one run per fold
// on the same images from the same starting weights, so the output of the frozen prefix for an image view is
// the same in every fold. The caller owns a SharedFeatureCaches, passes it to each train() (TrainOptions.
// featureCaches) and disposes it at the end; the runs take a stage's cache from it instead of making their
// own, never free it, and key entries by the image's path (not the loader's item index, which differs between
// folds). A stage is shared only where its prefix still holds the starting weights (sharedStageValid).
import path from 'node:path';
import { RESNET_STAGES } from '../../models/index.js';
import type { FeatureCache } from './feature-cache.js';

export class SharedFeatureCaches {
  /** Folder under which each stage spills (one sub-folder per stage), unless featureCache.dir says otherwise. */
  readonly spillRoot: string;
  readonly #caches = new Map<string, FeatureCache>();
  readonly #owned = new Set<FeatureCache>();

  constructor(spillRoot: string) {
    this.spillRoot = path.resolve(spillRoot);
  }

  /** The shared cache of `stage`, made by `make` the first time. */
  take(stage: string, make: () => FeatureCache): FeatureCache {
    let c = this.#caches.get(stage);
    if (!c) {
      c = make();
      this.#caches.set(stage, c);
      this.#owned.add(c);
    }
    return c;
  }

  owns(c: FeatureCache | null | undefined): boolean {
    return !!c && this.#owned.has(c);
  }

  /** The caches made so far, by stage. */
  get caches(): ReadonlyMap<string, FeatureCache> {
    return this.#caches;
  }

  dispose(): void {
    for (const c of this.#caches.values()) c.dispose();
    this.#caches.clear();
    this.#owned.clear();
  }
}

/**
 * Whether the output of `stage` may come from a shared cache in phase `index`: no earlier training phase may
 * train a parameter up to that stage, so the prefix still holds the starting weights that every fold shares.
 * `stages` is the model's stages in order. `frozenUpTo[j]` is phase j's own cache stage (its last frozen stage; null: it trains the stem or caches nothing).
 */
export function sharedStageValid(stage: string, index: number, frozenUpTo: ReadonlyArray<string | null>, epochs: readonly number[],
  stages: readonly string[] = RESNET_STAGES): boolean {
  for (let j = 0; j < index; j++) {
    if (epochs[j] === 0) continue;
    const f = frozenUpTo[j];
    if (f === null || stages.indexOf(f) < stages.indexOf(stage)) return false;
  }
  return true;
}
