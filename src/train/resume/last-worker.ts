// The worker thread behind LastWriter: runs saveLast (sync file writes, fsync, folder swap) off the main
// thread, one job at a time, and answers each with { ok } or { ok: false, message }. Loads no libtorch.
import { parentPort } from 'node:worker_threads';
import { saveLast, type LastFile, type LastPaths } from './last.js';

export interface LastJob {
  paths: LastPaths;
  files: Array<[string, LastFile]>;
  state: unknown;
}
export type LastReply = { ok: true } | { ok: false; message: string };

parentPort!.on('message', (job: LastJob) => {
  let reply: LastReply;
  try {
    saveLast(job.paths, new Map(job.files), job.state);
    reply = { ok: true };
  } catch (e) {
    reply = { ok: false, message: (e as Error).message };
  }
  parentPort!.postMessage(reply);
});
