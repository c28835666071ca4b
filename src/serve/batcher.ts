// Dynamic batching: images of concurrent requests wait in one queue and go to the engine together, up to
// maxBatch images, or when the oldest has waited maxWaitMs. One batch runs at a time (the engine runs them one
// after another anyway); the next gathers while it runs. A batch that fails fails its own images only.
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

interface Waiting { pixels: Uint8Array; since: number; resolve(p: Prediction): void; reject(e: Error): void }

export class Batcher {
  private readonly queue: Waiting[] = [];
  private running = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly engine: Engine, private readonly opts: BatcherOptions,
    private readonly onBatch: (size: number, seconds: number, ok: boolean) => void = () => {}) {}

  /** Images waiting for a batch (not counting the one running). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Predicts each image (in order); they may travel in different batches. */
  predict(images: readonly Uint8Array[]): Promise<Prediction[]> {
    const now = performance.now();
    const results = images.map((pixels) => new Promise<Prediction>((resolve, reject) => {
      if (pixels.length !== this.opts.imageBytes) throw new Error(`an image of ${pixels.length} bytes, expected ${this.opts.imageBytes}`);
      this.queue.push({ pixels, since: now, resolve, reject });
    }));
    this.schedule();
    return Promise.all(results);
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const wait = this.queue[0]!.since + this.opts.maxWaitMs - performance.now();
    if (this.queue.length >= this.opts.maxBatch || wait <= 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      void this.runBatch();
    } else if (!this.timer) {
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
