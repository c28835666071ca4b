// An engine whose model runs in a worker thread, as the server sees it: a client of that worker (model-worker.ts for
// libtorch, onnx-worker.ts for onnxruntime) and of the one that decodes (decode-worker.ts, or the model's worker
// itself). Both libraries' forward passes are synchronous calls (onnxruntime-node's session.run too: its promise only
// defers the call to setImmediate), so on the main thread they would block the event loop for the whole pass.
// Calls become messages with ids; buffers are transferred. A worker that dies fails every pending call, and later ones.
import { Worker } from 'node:worker_threads';
import { disableOrtTelemetry } from '../onnx/runtime.js';
import type { BatchResult, Engine, ImageRefusal, ModelInfo, Pixels } from './engine.js';
import type { DecoderSetup, FromWorker, ToWorker } from './worker-protocol.js';

/** The model could not be loaded (a missing, corrupt or foreign file): bad input, exit code 2. */
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Pending { resolve(value: unknown): void; reject(err: Error): void }

/** Calls to one worker: messages with ids, answered in any order. */
class WorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private dead: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(private readonly worker: Worker, what: string) {
    worker.on('message', (m: FromWorker) => this.answer(m));
    worker.on('error', (e) => this.fail(new Error(`the ${what} failed: ${e.message}`)));
    this.exited = new Promise((resolve) => worker.once('exit', (code) => {
      this.fail(new Error(`the ${what} stopped (exit code ${code})`));
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

  fail(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  call<T>(msg: WithoutId<Exclude<ToWorker, { type: 'stop' }>>, transfer: ArrayBuffer[]): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /**
   * Rejects what is pending and lets the worker end once the call it may be running is done. Not worker.terminate():
   * a worker stopped inside a libtorch call throws from the addon, which aborts the process.
   */
  async close(): Promise<void> {
    this.fail(new Error('the server is shutting down'));
    this.worker.postMessage({ type: 'stop' } satisfies ToWorker);
    await this.exited;
  }
}

class WorkerEngine implements Engine {
  /** `decoder`: the decode worker's client, or the model's own (which then decodes between forward passes). */
  constructor(private readonly model: WorkerClient, readonly info: ModelInfo, private readonly decoder: WorkerClient) {}

  decode(bytes: Uint8Array): Promise<Pixels | ImageRefusal> {
    const own = ownBuffer(bytes);
    return this.decoder.call({ type: 'decode', bytes: own }, [own]);
  }

  predictBatch(pixels: Uint8Array, n: number): Promise<BatchResult> {
    const own = ownBuffer(pixels);
    return this.model.call({ type: 'predict', pixels: own, n }, [own]);
  }

  async close(): Promise<void> {
    await Promise.all([this.model.close(), this.decoder === this.model ? null : this.decoder.close()]);
  }
}

/** The bytes in an ArrayBuffer of their own (a Buffer may be a slice of a shared pool), ready to transfer. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  const copy = new Uint8Array(bytes.byteLength); // (Buffer's slice() would be a view of the same pool)
  copy.set(bytes);
  return copy.buffer;
}

/** Starts a worker and waits for its first message: ready (the message), or load-failed (a ModelLoadError). */
async function startWorker(script: string, data: unknown): Promise<{ worker: Worker; ready: FromWorker }> {
  const worker = new Worker(new URL(script, import.meta.url), { workerData: data });
  const ready = await new Promise<FromWorker>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the ${script} worker stopped while starting (exit code ${code})`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (m: FromWorker) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (m.type === 'load-failed') reject(new ModelLoadError(m.message));
      else resolve(m);
    });
  }).catch(async (e) => {
    await worker.terminate();
    throw e;
  });
  return { worker, ready };
}

/**
 * Starts a model worker (its script, beside this file) and waits until the model is loaded; a file that cannot be
 * served is a ModelLoadError. `decodeSetup(info)` gives the decode worker's setup; null: the model's worker decodes.
 * A decode worker that cannot start (onnxruntime-node missing) is an Error, unless `fallBack` lets the model decode.
 */
export async function startWorkerEngine(script: string, setup: unknown,
  decodeSetup: (info: ModelInfo) => DecoderSetup | null, fallBack = false): Promise<Engine> {
  const { worker, ready } = await startWorker(script, setup);
  const model = new WorkerClient(worker, 'model worker');
  if (ready.type !== 'ready') {
    await model.close();
    throw new Error(`unexpected message from the model worker: ${ready.type}`);
  }
  const decoding = decodeSetup(ready.info);
  if (!decoding) return new WorkerEngine(model, ready.info, model);
  try {
    disableOrtTelemetry(); // here: the decode worker's onnxruntime reads the process's environment
    const d = await startWorker('./decode-worker.js', decoding);
    return new WorkerEngine(model, ready.info, new WorkerClient(d.worker, 'decode worker'));
  } catch (e) {
    if (fallBack) return new WorkerEngine(model, ready.info, model);
    await model.close();
    throw new Error((e as Error).message);
  }
}
