// `tlearn serve MODEL`: an HTTP inference server until SIGTERM or SIGINT, which drain it (requests in flight
// finish, up to --drain-timeout-s) and end with exit code 0. Startup failures (a missing or unusable model, a port
// in use, a bad --api-key-file or --cors) are bad input: one line, exit code 2.
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { loadPart } from '../planned.js';
import { checkModelFile } from './evaluate.js';
import { onnxPart } from './onnx-model.js';
import { conformalTtaNote } from '../../eval/tta.js';
import type { ServeOptions as ServerOptions } from '../../serve/options.js';

export interface ServeOptions extends Omit<ServerOptions, 'model' | 'name' | 'apiKey' | 'maxBodyBytes' | 'maxPixels' | 'headersTimeoutMs' | 'requestTimeoutMs' | 'drainTimeoutMs'> {
  model: string;
  name?: string;
  apiKeyFile?: string;
  maxBodyMb: number;
  maxMegapixels: number;
  headersTimeoutS: number;
  requestTimeoutS: number;
  drainTimeoutS: number;
}

/** Why a --cors value is not an origin (scheme://host[:port], or '*'), or null. */
export function corsProblem(value: string): string | null {
  if (value === '*') return null;
  try {
    const u = new URL(value);
    if (!/^https?:$/.test(u.protocol) || u.origin !== value.replace(/\/$/, '')) return 'expected an origin such as https://app.example.org (scheme, host and port only), or *';
    return null;
  } catch {
    return 'expected an origin such as https://app.example.org, or *';
  }
}

/** The server's options from the command line's; refuses the combinations that cannot work. */
async function serverOptions(opts: ServeOptions, cwd: string): Promise<ServerOptions> {
  const model = path.resolve(cwd, opts.model);
  checkModelFile(model);
  if (opts.cors !== undefined) {
    const problem = corsProblem(opts.cors);
    if (problem) throw new UsageError(`--cors ${JSON.stringify(opts.cors)}: ${problem}`);
  }
  if (opts.maxImages > opts.maxQueue) {
    throw new UsageError(`--max-images ${opts.maxImages} is more than --max-queue ${opts.maxQueue}: such a request could never be admitted`);
  }
  const { readApiKey } = await loadPart(() => import('../../serve/auth.js'), 'serving');
  let apiKey: string | undefined;
  if (opts.apiKeyFile !== undefined) {
    try { apiKey = readApiKey(path.resolve(cwd, opts.apiKeyFile)); } catch (e) { throw new UsageError((e as Error).message); }
  }
  const { apiKeyFile: _f, maxBodyMb, maxMegapixels, headersTimeoutS, requestTimeoutS, drainTimeoutS, ...rest } = opts;
  // Where the libtorch engine decodes (README, Serving): a decode worker (with onnxruntime) or the model's worker.
  const decodeIn = process.env.TLEARN_SERVE_DECODE;
  if (decodeIn !== undefined && decodeIn !== 'thread' && decodeIn !== 'model' && decodeIn !== 'auto') {
    throw new UsageError(`TLEARN_SERVE_DECODE=${JSON.stringify(decodeIn)}: expected thread, model or auto`);
  }
  return {
    ...rest, model, apiKey, ...(decodeIn ? { decodeIn } : {}), name: opts.name ?? path.basename(model).replace(/\.[^.]+$/, ''),
    maxBodyBytes: Math.round(maxBodyMb * 1024 * 1024), maxPixels: Math.round(maxMegapixels * 1e6),
    headersTimeoutMs: headersTimeoutS * 1000, requestTimeoutMs: requestTimeoutS * 1000, drainTimeoutMs: drainTimeoutS * 1000,
  };
}

let stopListening = () => {};

/** Resolves on the first SIGTERM or SIGINT (the handlers are then removed: a second signal ends the process). */
function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      stopListening();
      resolve(s);
    };
    stopListening = () => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

export async function runServe(opts: ServeOptions, io: CliIO): Promise<number> {
  const options = await serverOptions(opts, io.cwd);
  // Listened for from the start: a signal while the model loads stops the server as soon as it is up.
  const signal = nextSignal();
  // OpenMP threads that spin while they wait (libgomp's default) compete with the decoding threads and the event
  // loop for the cores between the layers of a forward pass, the usual reason to wait passively in a server. On the
  // shared 2-core machine the measurements were inconclusive (bench/serve.ts: passive faster in two runs of three). Read by libgomp when the
  // model worker loads libtorch (the main thread never does), so it is set before; a value the user gave is kept.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  const { serve, ModelLoadError, ListenError, EngineChoiceError, defaultEngine } = await loadPart(() => import('../../serve/index.js'), 'serving');
  // An .onnx file served by onnxruntime: a missing onnxruntime-node is named with how to install it (exit code 1).
  if (options.engine === 'onnx' && defaultEngine(options.model) === 'onnx') await onnxPart();
  let server: Awaited<ReturnType<typeof serve>>;
  try {
    server = await serve(options);
  } catch (e) {
    stopListening();
    if (e instanceof ModelLoadError || e instanceof ListenError || e instanceof EngineChoiceError) throw new UsageError(e.message);
    throw e;
  }
  const i = server.info;
  if (i.note) io.err(`${i.note}\n`);
  const sets = conformalTtaNote(i, i.tta);
  if (sets) io.err(`${sets}\n`);
  io.err(`tlearn serve: ${options.name} (${i.arch}, ${i.task}, ${i.classes.length} classes, ${i.imageSize} px) with the ${options.engine} engine${i.tta ? `, test-time augmentation ${i.tta}` : ''}; ` +
    `POST ${server.url}/v1/predict${options.apiKey ? ' (API key required)' : ''}; stop with Ctrl-C or SIGTERM\n`);
  io.out(`listening on ${server.url}\n`);
  const got = await signal;
  io.err(`tlearn serve: ${got}: draining (up to ${opts.drainTimeoutS} s)\n`);
  const { cut } = await server.close();
  io.err(cut ? `tlearn serve: stopped; requests still running after ${opts.drainTimeoutS} s were cut\n` : 'tlearn serve: stopped\n');
  return 0;
}
