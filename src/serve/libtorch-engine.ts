// The libtorch engine as the server sees it: a client of the model worker (model-worker.ts). Calls become
// messages with ids; buffers are transferred. A worker that dies fails every pending call, and later ones.
import { Worker } from 'node:worker_threads';
import type { BatchResult, Engine, ImageRefusal, ModelInfo, Pixels } from './engine.js';
import type { FromWorker, ToWorker, WorkerSetup } from './worker-protocol.js';

/** The model could not be loaded (a missing, corrupt or foreign file): bad input, exit code 2. */
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Pending { resolve(value: unknown): void; reject(err: Error): void }

class LibtorchEngine implements Engine {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private dead: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(private readonly worker: Worker, readonly info: ModelInfo) {
    worker.on('message', (m: FromWorker) => this.answer(m));
    worker.on('error', (e) => this.fail(new Error(`the model worker failed: ${e.message}`)));
    this.exited = new Promise((resolve) => worker.once('exit', (code) => {
      this.fail(new Error(`the model worker stopped (exit code ${code})`));
      resolve();
    }));
  }

  private answer(m: FromWorker): void {
    if (!('id' in m)) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.type === 'decoded') p.resolve(new Uint8Array(m.pixels));
    else if (m.type === 'refused') p.resolve(m.refusal);
    else if (m.type === 'predicted') p.resolve(m.result);
    else p.reject(new Error(m.message));
  }

  private fail(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private call<T>(msg: WithoutId<Exclude<ToWorker, { type: 'stop' }>>, transfer: ArrayBuffer[]): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  decode(bytes: Uint8Array): Promise<Pixels | ImageRefusal> {
    const own = ownBuffer(bytes);
    return this.call({ type: 'decode', bytes: own }, [own]);
  }

  predictBatch(pixels: Uint8Array, n: number): Promise<BatchResult> {
    const own = ownBuffer(pixels);
    return this.call({ type: 'predict', pixels: own, n }, [own]);
  }

  /**
   * Rejects what is pending and lets the worker end once the forward pass it may be running is done. Not
   * worker.terminate(): a worker stopped inside a libtorch call throws from the addon, which aborts the process.
   */
  async close(): Promise<void> {
    this.fail(new Error('the server is shutting down'));
    this.worker.postMessage({ type: 'stop' } satisfies ToWorker);
    await this.exited;
  }
}

/** The bytes in an ArrayBuffer of their own (a Buffer may be a slice of a shared pool), ready to transfer. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  const copy = new Uint8Array(bytes.byteLength); // (Buffer's slice() would be a view of the same pool)
  copy.set(bytes);
  return copy.buffer;
}

/** Starts the model worker and waits until the model is loaded; a file that cannot be served is a ModelLoadError. */
export async function loadLibtorchEngine(setup: WorkerSetup): Promise<Engine> {
  const worker = new Worker(new URL('./model-worker.js', import.meta.url), { workerData: setup });
  const info = await new Promise<ModelInfo>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the model worker stopped while loading ${setup.model} (exit code ${code})`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (m: FromWorker) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (m.type === 'ready') resolve(m.info);
      else reject(new ModelLoadError(m.type === 'load-failed' ? m.message : `unexpected message from the model worker: ${m.type}`));
    });
  }).catch(async (e) => {
    await worker.terminate();
    throw e;
  });
  return new LibtorchEngine(worker, info);
}
