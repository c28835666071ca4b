// Gradient accumulation (config accumulateGradBatches = k): an epoch's batches form groups of k consecutive
// batches (the last group may be shorter); the gradients of a group's batches add up and one optimizer step
// follows its last batch. Each batch's mean loss is weighted by its share of the group's images, so that the
// step's gradient is that of the mean loss over all of the group's images: a batch k times larger, in the memory
// of one (BatchNorm layers that train still see each batch on its own, as in PyTorch and Lightning).

/** Where a batch stands in its group. */
export interface MicroBatch {
  /** The group's first batch: the gradients are zeroed before its backward. */
  first: boolean;
  /** The group's last batch: the optimizer steps after its backward. */
  last: boolean;
  /** Its images over the group's images: its mean loss is multiplied by this before backward. */
  weight: number;
}

/** One batch per step: what a run without accumulation does. */
export const SINGLE_BATCH: MicroBatch = { first: true, last: true, weight: 1 };

/** Where batch `index` of an epoch whose batches hold `sizes` images stands, with groups of k batches. */
export function microBatch(sizes: readonly number[], index: number, k: number): MicroBatch {
  if (k === 1) return SINGLE_BATCH;
  const start = index - (index % k);
  const end = Math.min(start + k, sizes.length);
  let images = 0;
  for (let i = start; i < end; i++) images += sizes[i]!;
  return { first: index === start, last: index === end - 1, weight: sizes[index]! / images };
}

/**
 * Follows an epoch's groups as its batches arrive. A batch whose every image failed to decode never arrives:
 * when it was a group's last, that group must step before the next one begins (`stepFirst`).
 */
export class AccumulationGroups {
  #open: number | null = null;
  constructor(private readonly sizes: readonly number[], private readonly k: number) {}

  /** Batch `index`'s place in its group (the first to arrive zeroes the gradients). */
  enter(index: number): { micro: MicroBatch; stepFirst: boolean } {
    const group = Math.floor(index / this.k);
    const stepFirst = this.#open !== null && this.#open !== group;
    const place = microBatch(this.sizes, index, this.k);
    const micro = this.#open === group ? place : { ...place, first: true };
    this.#open = micro.last ? null : group;
    return { micro, stepFirst };
  }

  /** Whether a group has summed gradients that no step has used yet (at the epoch's end: step them). */
  get open(): boolean {
    return this.#open !== null;
  }
}

/** Optimizer steps in an epoch of `batches` batches (a per-step schedule spans these). */
export const stepsPerEpoch = (batches: number, k: number): number => Math.ceil(batches / k);
