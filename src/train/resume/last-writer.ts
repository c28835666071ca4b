// Saves RUN/last on a worker thread while training goes on. A save is a snapshot (the tensors were copied
// out before it is queued); its buffers are moved to the worker, which writes, fsyncs and swaps the folders
// exactly as saveLast does on the main thread. One save at a time: `save` waits for the previous one to be on
// disk before handing over the next, so memory holds at most two snapshots and the `keep` links of a save
// always find the files of the one before. A kill at any moment leaves the previous RUN/last (recoverLast).
import { Worker } from 'node:worker_threads';
import type { LastFile, LastPaths } from './last.js';
import type { LastJob, LastReply } from './last-worker.js';

/** Buffers larger than Node's shared pool slab are never pool slices, so handing them over cannot detach a neighbour's. */
const MIN_TRANSFER_BYTES = 64 * 1024;

function transferables(files: ReadonlyMap<string, LastFile>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const content of files.values()) {
    if ('keep' in content) continue;
    for (const c of content) {
      const whole = c.byteOffset === 0 && c.byteLength === c.buffer.byteLength;
      if (whole && c.byteLength >= MIN_TRANSFER_BYTES && c.buffer instanceof ArrayBuffer) out.add(c.buffer);
    }
  }
  return [...out];
}

/**
 * The parent's Node options for the worker, less those about the parent's own entry (`node --input-type=module
 * -e CODE` would otherwise make the worker refuse its file: "--input-type can only be used with string input").
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (['-e', '--eval', '-p', '--print', '--input-type'].includes(a)) { i++; continue; }
    if (/^--(eval|print|input-type)=/.test(a)) continue;
    out.push(a);
  }
  return out;
}

export class LastWriter {
  private worker: Worker | null = null;
  private inFlight: Promise<void> | null = null;
  private settle: ((r: LastReply) => void) | null = null;
  private failure: Error | null = null;

  /**
   * Queues a save of `files` and `state` into paths.last, after the previous save has finished. The chunks
   * must not be used afterwards (their memory moves to the worker). Throws the error of an earlier save.
   */
  async save(paths: LastPaths, files: ReadonlyMap<string, LastFile>, state: unknown): Promise<void> {
    await this.flush();
    const worker = this.worker ?? this.start();
    const job: LastJob = {
      paths: { root: paths.root, last: paths.last, lastNew: paths.lastNew, lastOld: paths.lastOld },
      files: [...files].map(([name, content]) => [name, 'keep' in content ? content : [...content]]),
      state,
    };
    this.inFlight = new Promise<LastReply>((resolve) => { this.settle = resolve; }).then((r) => {
      this.inFlight = null;
      if (!r.ok) this.failure ??= new Error(`could not save the resume state ${paths.last}: ${r.message}`);
    });
    worker.postMessage(job, transferables(files));
  }

  /** Resolves once every queued save is on disk; throws if one failed. */
  async flush(): Promise<void> {
    if (this.inFlight) await this.inFlight;
    if (this.failure) throw this.failure;
  }

  /** flush(), then stops the worker thread. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      const w = this.worker;
      this.worker = null;
      if (w) await w.terminate();
    }
  }

  private start(): Worker {
    let w: Worker;
    if (import.meta.url.endsWith('.ts')) {
      // Running from source under tsx: a worker's entry file does not go through tsx's hooks, so the
      // worker registers them itself before importing the .ts module.
      const api = import.meta.resolve('tsx/esm/api');
      const entry = new URL('./last-worker.ts', import.meta.url).href;
      w = new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { eval: true, execArgv: workerExecArgv() });
    } else {
      w = new Worker(new URL('./last-worker.js', import.meta.url), { execArgv: workerExecArgv() });
    }
    w.unref(); // never what keeps the process alive: train() flushes before it returns
    const fail = (message: string) => {
      this.worker = null;
      this.settle?.({ ok: false, message });
      this.settle = null;
      this.failure ??= new Error(`could not save the resume state: ${message}`);
    };
    w.on('message', (r: LastReply) => {
      const settle = this.settle;
      this.settle = null;
      settle?.(r);
    });
    w.on('error', (e) => fail(`the writer thread failed: ${e.message}`));
    w.on('exit', (code) => { if (this.worker === w) fail(`the writer thread exited (code ${code})`); });
    this.worker = w;
    return w;
  }
}
