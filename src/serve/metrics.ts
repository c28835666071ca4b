// The server's Prometheus metrics (GET /metrics), in a registry of its own (several servers in one process,
// as in the tests, do not share counters), with prom-client's process metrics (memory, CPU, event loop lag).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServeMetrics {
  registry: Registry;
  requests: Counter<'route' | 'status'>;
  latency: Histogram<'route'>;
  batchSize: Histogram;
  batchSeconds: Histogram;
  batchFailures: Counter;
  imagesDecoded: Counter;
  imagesRefused: Counter<'status'>;
}

/** `queueDepth()`: the images admitted and not answered yet (decoding, waiting for a batch, in the model). */
export function createMetrics(queueDepth: () => number, maxQueue: number): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m: ServeMetrics = {
    registry,
    requests: new Counter({ name: 'tlearn_serve_requests_total', help: 'HTTP requests answered, by route and status code', labelNames: ['route', 'status'], registers: [registry] }),
    latency: new Histogram({
      name: 'tlearn_serve_request_duration_seconds', help: 'Time from request to response, by route', labelNames: ['route'], registers: [registry],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    batchSize: new Histogram({ name: 'tlearn_serve_batch_size', help: 'Images per forward pass', registers: [registry], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256] }),
    batchSeconds: new Histogram({
      name: 'tlearn_serve_batch_duration_seconds', help: 'Time of one forward pass', registers: [registry],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    batchFailures: new Counter({ name: 'tlearn_serve_batch_failures_total', help: 'Forward passes that failed (their requests got 500)', registers: [registry] }),
    imagesDecoded: new Counter({ name: 'tlearn_serve_images_decoded_total', help: 'Images decoded to the model\'s input', registers: [registry] }),
    imagesRefused: new Counter({ name: 'tlearn_serve_images_refused_total', help: 'Images refused by the decoder, by status code', labelNames: ['status'], registers: [registry] }),
  };
  new Gauge({ name: 'tlearn_serve_queue_depth', help: 'Images admitted and not answered yet', registers: [registry], collect() { this.set(queueDepth()); } });
  new Gauge({ name: 'tlearn_serve_queue_limit', help: 'The queue bound (--max-queue): beyond it requests get 503', registers: [registry] }).set(maxQueue);
  return m;
}
