// The ranks of a data-parallel run, as the trainer uses them (src/distributed's c10d process group underneath):
// rank 0's weights to all, a few numbers summed or agreed on, evaluation rows (validation, the test split's
// predictions) gathered back into dataset order,
// gradients averaged during backward (GradientReducer) and BatchNorm statistics over all ranks' batches.
// A single process has no TrainWorld (null), so that its code path stays exactly what it was.
import { tensor, type Tensor } from '../torch/index.js';
import type { ImageClassifier } from '../models/index.js';
import { BatchNorm2d } from '../nn/index.js';
import type { DistributedEnv } from '../distributed/env.js';
import { shardIndices, unshardRows } from '../distributed/sampler.js';
import type { ItemPredictions } from '../eval/index.js';
import { broadcastModule, GradientReducer, ProcessGroup, syncBatchNorm } from '../distributed/index.js';

export class TrainWorld {
  private constructor(readonly pg: ProcessGroup, readonly env: DistributedEnv) {}

  /** Joins the other ranks (rank 0 serves the rendezvous at MASTER_ADDR:MASTER_PORT). */
  static async join(env: DistributedEnv, o: { timeoutMs: number; peerTimeoutMs?: number; device: 'cpu' | 'cuda' }): Promise<TrainWorld> {
    const pg = await ProcessGroup.init({
      rank: env.rank, worldSize: env.worldSize, masterAddr: env.masterAddr ?? '127.0.0.1', masterPort: env.masterPort!,
      backend: o.device === 'cuda' ? 'nccl' : 'gloo', timeoutMs: o.timeoutMs, peerTimeoutMs: o.peerTimeoutMs, serveStore: env.serveStore, storePrefix: env.storePrefix,
    });
    return new TrainWorld(pg, env);
  }

  /** A world over a process group that is already open (the distributed tests' ranks). */
  static over(pg: ProcessGroup, env: Pick<DistributedEnv, 'rank' | 'worldSize'>): TrainWorld {
    return new TrainWorld(pg, env as DistributedEnv);
  }

  get rank(): number { return this.env.rank; }
  get size(): number { return this.env.worldSize; }
  /** Rank 0: the one that writes the run folder and speaks on the terminal. */
  get isMain(): boolean { return this.env.rank === 0; }

  /** A 1-D tensor for a collective: on the GPU under NCCL (whose collectives take CUDA tensors only), else on the CPU. */
  private wire(data: Float32Array | Float64Array): Tensor {
    return tensor(data, { shape: [data.length], device: this.pg.backend === 'nccl' ? 'cuda' : 'cpu' });
  }

  /** Every parameter and buffer becomes rank 0's (as DDP's construction does). */
  broadcastModel(model: ImageClassifier): void {
    broadcastModule(this.pg, [...model.parameters(), ...model.buffers()]);
  }

  /**
   * Every buffer (BatchNorm statistics) becomes rank 0's, as DDP's broadcast_buffers does before a forward pass:
   * without synchronized BatchNorm each rank's statistics follow its own batches, and a validation pass must see
   * those of the model rank 0 checkpoints.
   */
  broadcastBuffers(model: ImageClassifier): void {
    broadcastModule(this.pg, model.buffers());
  }

  /** The sums over the ranks of each value (float64). */
  async sum(values: readonly number[]): Promise<number[]> {
    const t = this.wire(Float64Array.from(values));
    try {
      await this.pg.allReduce(t, 'sum');
      return t.toArray();
    } finally {
      t.dispose();
    }
  }

  /** True on every rank when it is true on any (a stop asked for on one rank stops all at the same step). */
  async any(flag: boolean): Promise<boolean> {
    return (await this.sum([flag ? 1 : 0]))[0]! > 0;
  }

  /** Rank 0's value of a number on every rank. */
  async fromMain(value: number): Promise<number> {
    return (await this.sum([this.isMain ? value : 0]))[0]!;
  }

  /**
   * Each rank's rows of the unpadded strided shard of `n` items (sampler.ts), gathered on every rank and put
   * back in dataset order. Ranks whose shard is one row shorter send a filler row (all-gather needs equal sizes).
   */
  async gatherRows(rows: Float32Array, width: number, n: number): Promise<Float32Array> {
    const most = Math.ceil(n / this.size);
    const padded = new Float32Array(most * width);
    padded.set(rows.subarray(0, Math.min(rows.length, padded.length)));
    const t = this.wire(padded);
    try {
      const parts = await this.pg.allGather(t);
      try {
        return unshardRows(parts.map((p) => p.toFloat32Array()), width, n);
      } finally {
        for (const p of parts) p.dispose();
      }
    } finally {
      t.dispose();
    }
  }

  /** Every rank's JSON value, in rank order (sent as UTF-8 bytes, one per float32, padded to the longest). */
  async gatherJson<T>(value: T): Promise<T[]> {
    const bytes = Buffer.from(JSON.stringify(value), 'utf8');
    const lengths = await this.gatherRows(Float32Array.of(bytes.length), 1, this.size);
    const longest = Math.max(...lengths);
    const t = this.wire(Float32Array.from({ length: longest }, (_, i) => (i < bytes.length ? bytes[i]! : 0)));
    try {
      const parts = await this.pg.allGather(t);
      try {
        return parts.map((p, r) => JSON.parse(Buffer.from(p.toFloat32Array().subarray(0, lengths[r]!)).toString('utf8')) as T);
      } finally {
        for (const p of parts) p.dispose();
      }
    } finally {
      t.dispose();
    }
  }

  /**
   * The predictions of `items` made by every rank together: each predicts its unpadded strided shard, and
   * every rank gets the whole list's rows in order (probabilities are float32 from the engine, so sending them
   * as float32 loses nothing; files a rank could not decode keep their reasons, with indices into `items`).
   */
  async gatherPredictions<T>(items: readonly T[], predict: (shard: T[]) => Promise<ItemPredictions>): Promise<ItemPredictions> {
    const n = items.length;
    const mine = shardIndices(items.map((_, i) => i), { rank: this.rank, worldSize: this.size, pad: false });
    const r = await predict(mine.map((i) => items[i]!));
    const extras = (['plain', 'uncalibrated'] as const).filter((k) => r[k] !== undefined);
    const told = await this.gatherJson({ skipped: r.skipped.map((s) => ({ ...s, index: mine[s.index]! })), extras });
    const width = r.width;
    const gather = async (a: Float64Array | undefined): Promise<Float64Array> =>
      Float64Array.from(await this.gatherRows(a ? Float32Array.from(a) : new Float32Array(mine.length * width).fill(NaN), width, n));
    const out: ItemPredictions = { probabilities: await gather(r.probabilities), width, skipped: told.flatMap((t) => t.skipped).sort((a, b) => a.index - b.index) };
    // A variant that some rank made (another may have had no batch at all): every rank sends its rows, in the same order.
    for (const k of ['plain', 'uncalibrated'] as const) if (told.some((t) => t.extras.includes(k))) out[k] = await gather(r[k]);
    return out;
  }

  async barrier(): Promise<void> {
    await this.pg.barrier();
  }

  /** Averages the gradients of `params` over the ranks during each backward, in ~25 MB buckets. */
  reducer(params: Tensor[]): GradientReducer {
    return new GradientReducer(this.pg, params);
  }

  /** Batch statistics of every BatchNorm layer in training mode taken over all ranks' batches (torch.nn.SyncBatchNorm). */
  syncBatchNorm(model: ImageClassifier): void {
    for (const m of model.modules()) {
      if (m instanceof BatchNorm2d) m.syncStats = (x, w, b, rm, rv, momentum, eps) => syncBatchNorm(x, w, b, rm, rv, momentum, eps, this.pg);
    }
  }

  close(): void {
    this.pg.close();
  }
}
