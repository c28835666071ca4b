// The HTTP server of `tlearn serve` (fastify): routes, request shapes, limits, API key, CORS, metrics, and the
// drain on shutdown. The model runs in the engine (a worker thread for libtorch), so the event loop here only
// parses, queues and answers: /healthz stays fast while a batch runs.
import multipart from '@fastify/multipart';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { bearerChecker } from './auth.js';
import { Batcher, BatchError } from './batcher.js';
import { isRefusal, type Engine, type ModelInfo } from './engine.js';
import { HttpError } from './http-error.js';
import { instancesInputs, predictInputs, type InputLimits } from './inputs.js';
import { createMetrics, type ServeMetrics } from './metrics.js';
import type { ServeOptions } from './options.js';
import type { Prediction } from '../tasks/task.js';
import type { TtaMode } from '../eval/tta.js';

/** Routes that answer without the API key: the orchestrator's probes. */
const PROBES = new Set(['/healthz', '/readyz']);

export interface RunningServer {
  /** http://host:port of the listening socket. */
  url: string;
  port: number;
  info: ModelInfo;
  app: FastifyInstance;
  metrics: ServeMetrics;
  /** Stops accepting, lets requests in flight finish (up to drainTimeoutMs), then stops the engine. */
  close(): Promise<{ cut: boolean }>;
}

/** The port is taken, or the host is not an address of this machine: bad input (exit code 2). */
export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

/** Message of a fastify error, in words that say what to send instead. */
function frameworkMessage(err: FastifyError, opts: ServeOptions): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return `the request body exceeds ${opts.maxBodyBytes} bytes (--max-body-mb)`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type: send multipart/form-data (image files), an image/*, application/dicom or application/octet-stream body, or JSON';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return 'the JSON body is empty';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'the body is not valid JSON (keys named __proto__, and constructor holding prototype, are refused too)';
    default: return err.message;
  }
}

export function buildApp(engine: Engine, opts: ServeOptions): { app: FastifyInstance; metrics: ServeMetrics; state: { draining: boolean } } {
  const info = engine.info;
  const state = { draining: false };
  let admitted = 0;
  const metrics = createMetrics(() => admitted, opts.maxQueue);
  const batcher = new Batcher(engine, { maxBatch: opts.maxBatch, maxWaitMs: opts.maxWaitMs, imageBytes: info.imageSize * info.imageSize * 3 },
    (size, seconds, ok) => {
      metrics.batchSize.observe(size);
      metrics.batchSeconds.observe(seconds);
      if (!ok) metrics.batchFailures.inc();
    });
  const limits: InputLimits = { maxImages: opts.maxImages, maxBodyBytes: opts.maxBodyBytes };
  const headersTimeout = Math.min(opts.headersTimeoutMs, opts.requestTimeoutMs);
  const app = Fastify({
    logger: false,
    bodyLimit: opts.maxBodyBytes,
    requestTimeout: opts.requestTimeoutMs,
    // Node checks the header and request timeouts every connectionsCheckingInterval (default 30 s).
    http: { headersTimeout: headersTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) },
    keepAliveTimeout: 5000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  // Request bodies: JSON (fastify's parser: prototype poisoning refused), images, multipart; anything else 415.
  app.removeContentTypeParser('text/plain');
  const raw = (_req: FastifyRequest, body: Buffer, done: (err: null, body: Buffer) => void) => done(null, body);
  app.addContentTypeParser(/^image\/[\w.+-]+$/i, { parseAs: 'buffer' }, raw);
  app.addContentTypeParser(['application/octet-stream', 'application/dicom'], { parseAs: 'buffer' }, raw);
  void app.register(multipart, {
    limits: { files: opts.maxImages, fileSize: opts.maxBodyBytes, fields: 32, parts: opts.maxImages + 32, headerPairs: 100 },
    throwFileSizeLimit: true,
  });

  const authorized = opts.apiKey ? bearerChecker(opts.apiKey) : null;
  app.addHook('onRequest', async (req, reply) => {
    if (opts.cors && req.method === 'OPTIONS') {
      return reply.code(204).headers({
        'access-control-allow-origin': opts.cors, 'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'authorization, content-type', 'access-control-max-age': '600', vary: 'Origin',
      }).send();
    }
    const path = req.url.split('?')[0]!;
    if (authorized && !PROBES.has(path) && !authorized(req.headers.authorization)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong API key: send the header Authorization: Bearer <key>' });
    }
    return undefined;
  });
  if (opts.cors) {
    app.addHook('onSend', async (_req, reply) => {
      reply.header('access-control-allow-origin', opts.cors!);
      reply.header('vary', 'Origin');
    });
  }
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: FastifyError | HttpError, _req, reply) => {
    const status = err instanceof BatchError ? 500 : (err.statusCode ?? 500);
    if (err instanceof HttpError) reply.headers(err.headers);
    const message = err instanceof HttpError || err instanceof BatchError ? err.message : frameworkMessage(err as FastifyError, opts);
    return reply.code(status >= 400 && status < 600 ? status : 500).send({ error: message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.slice(0, 200)}` }));

  /** Decodes and predicts a request's images; the queue bound is checked first (503 when full). */
  async function predictImages(images: Buffer[]): Promise<{ predictions: Prediction[]; tta?: TtaMode }> {
    const n = images.length;
    if (admitted + n > opts.maxQueue) {
      throw new HttpError(503, `the server is busy (${admitted} images queued, --max-queue ${opts.maxQueue}): retry later`, { 'retry-after': '1' });
    }
    admitted += n;
    try {
      const token = batcher.decodeStarted();
      const decoded = await Promise.all(images.map((bytes) => engine.decode(bytes))).catch((e) => { batcher.decodeFailed(token); throw e; });
      const refused = decoded.map((d, i) => [d, i] as const).filter(([d]) => isRefusal(d));
      for (const [r] of refused) if (isRefusal(r)) metrics.imagesRefused.inc({ status: String(r.status) });
      metrics.imagesDecoded.inc(n - refused.length);
      if (refused.length > 0) {
        batcher.decodeFailed(token);
        const [r, i] = refused[0]!;
        if (isRefusal(r)) throw new HttpError(r.status, n > 1 ? `image ${i + 1} of ${n}: ${r.message}` : r.message);
      }
      // With --tta, the answer says so: its probabilities are not those of a plain forward pass.
      return { predictions: await batcher.predict(decoded as Uint8Array[], token), ...(info.tta ? { tta: info.tta } : {}) };
    } finally {
      admitted -= n;
    }
  }

  const checkName = (name: string) => {
    if (name !== opts.name) throw new HttpError(404, `no model '${name.slice(0, 100)}': this server serves '${opts.name}'`);
  };

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const reason = state.draining ? 'shutting down' : admitted >= opts.maxQueue ? 'the queue is full' : null;
    return reason ? reply.code(503).send({ ready: false, reason }) : { ready: true };
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.get('/v1/models/:name', async (req) => {
    checkName((req.params as { name: string }).name);
    return { name: opts.name, engine: opts.engine, ...metadataOf(info), max_batch: opts.maxBatch, max_images: opts.maxImages };
  });
  app.post('/v1/predict', async (req) => predictImages(await predictInputs(req, limits)));
  // KServe's `<name>:predict` (find-my-way takes the colon into the parameter, so the verb is split off here).
  app.post('/v1/models/:target', async (req) => {
    const target = (req.params as { target: string }).target;
    const verb = /^(.*):predict$/.exec(target);
    if (!verb) throw new HttpError(404, `no route POST ${req.url.slice(0, 200)}: the KServe V1 route is POST /v1/models/${opts.name}:predict`);
    checkName(verb[1]!);
    return predictImages(instancesInputs(req.body, limits));
  });
  return { app, metrics, state };
}

function metadataOf(info: ModelInfo): Record<string, unknown> {
  return {
    arch: info.arch, task: info.task, classes: info.classes, positive_class: info.positiveClass, image_size: info.imageSize,
    resize: info.resize, dicom_windows: info.dicomWindows, threshold: info.threshold, thresholds: info.thresholds, conformal: info.conformal, tta: info.tta,
  };
}

/** Listens on opts.host:opts.port with the engine; the engine is closed if listening fails. */
export async function startServer(engine: Engine, opts: ServeOptions): Promise<RunningServer> {
  const { app, metrics, state } = buildApp(engine, opts);
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (e) {
    await app.close().catch(() => {});
    await engine.close();
    const code = (e as NodeJS.ErrnoException).code;
    const where = `${opts.host}:${opts.port}`;
    if (code === 'EADDRINUSE') throw new ListenError(`port ${opts.port} is in use on ${opts.host}: stop what listens there or give another --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new ListenError(`cannot listen on ${where}: --host is not an address of this machine`);
    if (code === 'EACCES') throw new ListenError(`cannot listen on ${where}: ports below 1024 need privileges; give another --port`);
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closing: Promise<{ cut: boolean }> | null = null;
  const close = () => closing ??= (async () => {
    state.draining = true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), opts.drainTimeoutMs); });
    const cut = await Promise.race([app.close().then(() => false), timedOut]);
    clearTimeout(timer);
    if (cut) app.server.closeAllConnections();
    await engine.close();
    return { cut };
  })();
  return { url: `http://${host}:${port}`, port, info: engine.info, app, metrics, close };
}
