// Special files for the tests of what tlearn opens: a FIFO that cannot hang a test, and a unix socket.
// Opening a FIFO for reading waits for a writer; code that wrongly opens one would block the test process
// (for ever, when the open is synchronous). fifo() therefore starts a worker thread that, after a delay,
// opens the FIFO for writing whenever a reader waits and closes it again: the reader sees an empty file and
// the test fails on its message instead of hanging. A worker runs even while the main thread is blocked.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { Worker } from 'node:worker_threads';

const UNBLOCKER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const end = Date.now() + workerData.afterMs + workerData.forMs;
pause(workerData.afterMs);
while (Date.now() < end && fs.existsSync(workerData.file)) {
  // O_NONBLOCK: opening for writing fails at once (ENXIO) unless a reader is waiting, and then unblocks it.
  try { fs.closeSync(fs.openSync(workerData.file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); } catch {}
  pause(50);
}
`;

export interface Fifo {
  /** Stops the worker (call when the test is done; it also stops by itself). */
  release(): Promise<void>;
}

/** Makes a FIFO at `file`; readers that open it are let go after `afterMs` (an empty file), for `forMs` more. */
export function makeFifo(file: string, afterMs = 4000, forMs = 60_000): Fifo {
  execFileSync('mkfifo', [file]);
  const worker = new Worker(UNBLOCKER, { eval: true, workerData: { file, afterMs, forMs } });
  worker.unref();
  return { release: async () => { await worker.terminate(); } };
}

/** A unix socket file at `file`, listening until closed (unref'd: it does not keep the process alive). */
export async function makeSocket(file: string): Promise<net.Server> {
  const server = net.createServer((c) => c.destroy());
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(file, resolve));
  server.unref();
  return server;
}
