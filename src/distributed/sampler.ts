// Which images each rank sees, as torch.utils.data.DistributedSampler chooses them: every rank starts from
// the same order of the whole split (the loader's seeded permutation of the epoch), pads it to a multiple of
// the world size by repeating its first indices (or, with dropLast, cuts it to one), and rank r takes the
// strided slice order[r::W]. Batch k of every rank together is then order[k·B·W, (k+1)·B·W): the batch a
// single process with the global batch B·W draws, so the world size changes who computes, not what.
// Pure index logic (no engine import): src/data's loader uses it.

export interface ShardSpec {
  rank: number;
  worldSize: number;
  /**
   * Pad to a multiple of the world size so that every rank has as many indices (default true: training, where
   * the ranks must take as many steps). false: the plain strided slice, shards differing by one at most
   * (evaluation, where a duplicate would count twice).
   */
  pad?: boolean;
  /** Cut the order to a multiple of the world size instead of padding it (DistributedSampler's drop_last). */
  dropLast?: boolean;
}

/** Checks a shard spec: integers, 0 <= rank < worldSize. */
export function checkShard(s: ShardSpec): void {
  if (!(Number.isInteger(s.worldSize) && s.worldSize >= 1)) throw new Error(`shard: worldSize must be an integer >= 1, got ${s.worldSize}`);
  if (!(Number.isInteger(s.rank) && s.rank >= 0 && s.rank < s.worldSize)) {
    throw new Error(`shard: rank must be an integer in [0, ${s.worldSize}), got ${s.rank}`);
  }
}

/** Rank `rank`'s indices of `order` (see the file comment). */
export function shardIndices(order: readonly number[], s: ShardSpec): number[] {
  checkShard(s);
  const W = s.worldSize;
  let all: readonly number[] = order;
  if (s.dropLast) {
    all = order.slice(0, order.length - (order.length % W));
  } else if (s.pad ?? true) {
    const padding = (W - (order.length % W)) % W;
    if (padding > 0 && order.length > 0) {
      // As DistributedSampler: the first indices again, the whole order as many times as needed when it is shorter.
      const extra: number[] = [];
      while (extra.length < padding) extra.push(...order.slice(0, padding - extra.length));
      all = [...order, ...extra];
    }
  }
  const out: number[] = [];
  for (let i = s.rank; i < all.length; i += W) out.push(all[i]!);
  return out;
}

/** How many indices each rank gets out of n (with padding: all the same). */
export function shardLength(n: number, s: ShardSpec): number {
  checkShard(s);
  if (s.dropLast) return Math.floor(n / s.worldSize);
  if (s.pad ?? true) return Math.ceil(n / s.worldSize);
  return Math.max(0, Math.ceil((n - s.rank) / s.worldSize));
}

/**
 * The rows of the unpadded strided shards (`parts[r]`: rank r's rows, `width` values each, in its shard's
 * order; longer parts may carry filler rows at their end) put back into the order they were sharded from: row
 * i of the result is row floor(i / W) of part i mod W. `n` is the length of the order.
 */
export function unshardRows(parts: readonly Float32Array[], width: number, n: number): Float32Array {
  const W = parts.length;
  const out = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    const part = parts[i % W]!, row = Math.floor(i / W);
    if ((row + 1) * width > part.length) throw new Error(`unshardRows: rank ${i % W} gave ${part.length / width} rows, row ${row} is missing`);
    out.set(part.subarray(row * width, (row + 1) * width), i * width);
  }
  return out;
}
