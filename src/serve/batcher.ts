// Dynamic batching: images of concurrent requests wait in one queue and go to the engine together, up to
// maxBatch images, or when the oldest has waited maxWaitMs and no request admitted before it is still being decoded
// (up to DECODE_GRACE_MS more). One batch runs at a time (the engine runs them one after another anyway); the next
// gathers while it runs. A batch that fails fails its own images only.
//
// Why wait for decodes: where the libtorch engine decodes in the thread that runs the model (without onnxruntime-node,
// or TLEARN_SERVE_DECODE=model), a decode makes progress between forward passes only. Dispatching whatever was decoded after maxWaitMs sent batches of one or two images
// back to back at 32 concurrent requests (mean batch 1.7 over a benchmark run), each forward pass stalling the
// decodes of the next; waiting for the requests admitted before the oldest queued image (the engine is idle then, so
// they decode at full speed) gathers them into one batch. Requests admitted later do not hold it back.
import type { BatchResult, Engine } from './engine.js';
import type { Prediction } from '../tasks/task.js';

export interface BatcherOptions { maxBatch: number; maxWaitMs: number; imageBytes: number }

/** A failure of the engine on a batch (the images themselves were fine): 500 for their requests. */
export class BatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchError';
  }
}

/** How much longer than maxWaitMs a batch waits for images still being decoded. */
export const DECODE_GRACE_MS = 1000;

interface Waiting { pixels: Uint8Array; since: number; resolve(p: Prediction): void; reject(e: Error): void }

export class Batcher {
  private readonly queue: Waiting[] = [];
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  /** When each request still being decoded was admitted. */
  private readonly decoding = new Set<{ since: number }>();

  constructor(private readonly engine: Engine, private readonly opts: BatcherOptions,
    private readonly onBatch: (size: number, seconds: number, ok: boolean) => void = () => {}) {}

  /** Images waiting for a batch (not counting the one running). */
  get waiting(): number {
    return this.queue.length;
  }

  /** A request's images start decoding; give the token to predict(), or to decodeFailed() if they are refused. */
  decodeStarted(): { since: number } {
    const token = { since: performance.now() };
    this.decoding.add(token);
    return token;
  }

  decodeFailed(token: { since: number }): void {
    this.decoding.delete(token);
    this.schedule();
  }

  /** Predicts each image (in order); they may travel in different batches. */
  predict(images: readonly Uint8Array[], decoded?: { since: number }): Promise<Prediction[]> {
    const now = performance.now();
    const results = images.map((pixels) => new Promise<Prediction>((resolve, reject) => {
      if (pixels.length !== this.opts.imageBytes) throw new Error(`an image of ${pixels.length} bytes, expected ${this.opts.imageBytes}`);
      this.queue.push({ pixels, since: now, resolve, reject });
    }));
    if (decoded) this.decoding.delete(decoded);
    this.schedule();
    return Promise.all(results);
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const waited = performance.now() - this.queue[0]!.since;
    const oldest = this.queue[0]!.since;
    const settled = ![...this.decoding].some((d) => d.since <= oldest) || waited >= this.opts.maxWaitMs + DECODE_GRACE_MS;
    if (this.queue.length >= this.opts.maxBatch || (waited >= this.opts.maxWaitMs && settled)) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      void this.runBatch();
    } else if (!this.timer) {
      const wait = (waited < this.opts.maxWaitMs ? this.opts.maxWaitMs : this.opts.maxWaitMs + DECODE_GRACE_MS) - waited;
      this.timer = setTimeout(() => { this.timer = null; this.schedule(); }, Math.ceil(wait));
    }
  }

  private async runBatch(): Promise<void> {
    this.running = true;
    const batch = this.queue.splice(0, this.opts.maxBatch);
    const pixels = new Uint8Array(batch.length * this.opts.imageBytes);
    batch.forEach((w, i) => pixels.set(w.pixels, i * this.opts.imageBytes));
    const t0 = performance.now();
    let result: BatchResult | null = null;
    try {
      result = await this.engine.predictBatch(pixels, batch.length);
    } catch (e) {
      const err = new BatchError(`the model failed on a batch of ${batch.length} image${batch.length === 1 ? '' : 's'}: ${(e as Error).message}`);
      for (const w of batch) w.reject(err);
    }
    this.onBatch(batch.length, (performance.now() - t0) / 1000, result !== null);
    if (result) batch.forEach((w, i) => w.resolve(result.predictions[i]!));
    this.running = false;
    this.schedule();
  }
}
