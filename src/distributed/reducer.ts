// Gradient averaging as PyTorch's DistributedDataParallel does it, by c10d's own Reducer: the parameters'
// gradients are packed into buckets (~25 MB, in reverse parameter order, re-ordered once after the first
// step to the order they became ready), and autograd hooks launch each bucket's all-reduce while backward is
// still running; at the end of backward every gradient holds the average over the ranks.
import type { Handle } from '../torch/native.js';
import { native } from '../torch/native.js';
import type { Tensor } from '../torch/index.js';
import type { ProcessGroup } from './process-group.js';

export interface GradientReducerOptions {
  /** Bucket size cap in bytes (DDP's bucket_cap_mb); default 25 MB. */
  bucketBytes?: number;
  /** Cap of the first bucket (reduced last); default 1 MB, as DDP. */
  firstBucketBytes?: number;
}

export const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;
export const DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024;

/**
 * Averages the gradients of `params` across the ranks of `pg` during backward. Each step:
 * `reducer.prepareForBackward(outputs)` after the forward pass, then `loss.backward()`; when backward
 * returns, every parameter's `.grad` is the mean over ranks. Every trainable parameter must receive a
 * gradient each step (DDP's find_unused_parameters=false); pass only the parameters that train.
 */
export class GradientReducer {
  #handle: Handle | null;
  constructor(
    readonly pg: ProcessGroup,
    params: Tensor[],
    o: GradientReducerOptions = {},
  ) {
    const bucketBytes = o.bucketBytes ?? DEFAULT_BUCKET_BYTES;
    const firstBucketBytes = o.firstBucketBytes ?? DEFAULT_FIRST_BUCKET_BYTES;
    for (const [name, v] of [['bucketBytes', bucketBytes], ['firstBucketBytes', firstBucketBytes]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`GradientReducer: ${name} must be a positive integer, got ${v}`);
    }
    try {
      this.#handle = native.distReducerCreate(pg.handle, params.map((p) => p.handle), bucketBytes, firstBucketBytes);
    } catch (e) {
      throw pg.error('GradientReducer', e);
    }
  }

  get handle(): Handle {
    if (this.#handle === null) throw new Error('the gradient reducer is closed');
    return this.#handle;
  }

  /** The parameter indices of each bucket, in the order the buckets are all-reduced (as first built). */
  get buckets(): number[][] {
    return native.distReducerBuckets(this.handle) as number[][];
  }

  /** Arms the hooks for the next backward (call after the forward pass, on every rank, every step).
   *  `outputs` are the forward's outputs (DDP passes them; with every parameter used they are not searched). */
  prepareForBackward(outputs: Tensor | Tensor[]): void {
    const list = Array.isArray(outputs) ? outputs : [outputs];
    try {
      native.distReducerPrepare(this.handle, list.map((t) => t.handle));
    } catch (e) {
      throw this.pg.error('gradient allReduce', e);
    }
  }

  /** Removes the autograd hooks. Idempotent. */
  close(): void {
    if (this.#handle === null) return;
    native.distReducerClose(this.#handle);
    this.#handle = null;
  }
}

/** Overwrites `tensors` (parameters and buffers, in the same order on every rank) with root's values, as
 *  DDP's construction does, coalesced into 250 MB messages. Blocks until done. */
export function broadcastModule(pg: ProcessGroup, tensors: Tensor[], root = 0): void {
  try {
    native.distBroadcastCoalesced(pg.handle, tensors.map((t) => t.handle), root);
  } catch (e) {
    throw pg.error('broadcastModule', e);
  }
}
