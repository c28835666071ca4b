// Which images an epoch trains on, and in which batches: the epoch's order (each image once, shuffled or not, or
// class-balanced draws), a data-parallel rank's shard of it, without the files that failed to decode, cut into
// batches. Index logic only: nothing is decoded here (loader.ts turns the batches into plans and pixels).
import { deriveSeed, Rng } from './rng.js';
import { balancedOrder } from './balanced.js';
import { shardIndices, type ShardSpec } from '../distributed/sampler.js';

/** How an epoch picks its images: each once ('shuffle'), or with replacement, every class equally often ('balanced'). */
export const SAMPLERS = ['shuffle', 'balanced'] as const;
export type SamplerKind = (typeof SAMPLERS)[number];

/** Epoch `epoch`'s item indices before sharding: from (seed, 'shuffle', epoch), or drawn class-balanced from (seed, 'balanced', epoch). */
export function epochOrder(labels: readonly (number | null)[], o: { sampler: SamplerKind; shuffle: boolean; seed: number }, epoch: number): number[] {
  if (o.sampler === 'balanced') return balancedOrder(labels, new Rng(deriveSeed(o.seed, 'balanced', epoch)));
  const order = Array.from(labels, (_, i) => i);
  if (o.shuffle) new Rng(deriveSeed(o.seed, 'shuffle', epoch)).shuffle(order);
  return order;
}

export interface BatchCut {
  batchSize: number;
  /** Drop a final batch smaller than batchSize. */
  dropLast: boolean;
  /** Drop a final batch of one image (BatchNorm cannot train on it). */
  dropSingleton: boolean;
  shard: ShardSpec | null;
  /** Items whose file failed to decode. */
  failed: ReadonlySet<number>;
}

/**
 * The positions in `order` of each batch. A rank's shard comes from the whole order (every rank has the same),
 * before its own decode failures are dropped, so the order of the others does not depend on which files have
 * failed so far (a resumed run plans the same epochs). Failures can change a rank's number of batches: a
 * data-parallel run stops at a rank's first failure instead (train/setup.ts onDecodeFailure).
 */
export function batchPositions(order: readonly number[], c: BatchCut): number[][] {
  let positions = order.map((_, p) => p);
  if (c.shard) positions = shardIndices(positions, c.shard);
  positions = positions.filter((p) => !c.failed.has(order[p]!));
  const batches: number[][] = [];
  for (let start = 0; start < positions.length; start += c.batchSize) {
    const at = positions.slice(start, start + c.batchSize);
    if (at.length < c.batchSize) {
      if (c.dropLast) break;
      if (c.dropSingleton && at.length === 1 && c.batchSize > 1) break;
    }
    batches.push(at);
  }
  return batches;
}
