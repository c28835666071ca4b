// The model worker: a worker thread that owns libtorch for the server. It loads the checkpoint and runs batches
// through the model; it also decodes request images (decode-image.ts, predict's decoding, whose upsampling uses
// libtorch here) where onnxruntime-node is missing; otherwise the main thread decodes (main-decoder.ts). libtorch's
// ops are synchronous: here they block this thread only, never the server's event loop, which keeps answering probes
// and queueing requests while a batch runs.
import { totalmem } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Semaphore } from '../data/pool.js';
import { imagesTensor } from '../data/tensor.js';
import { assumptionNote, conformalInfo, decisionFor, nonFiniteOutput } from '../eval/predict.js';
import { probabilityVariants } from '../eval/torch-engine.js';
import { channelsLastPays, loadModelFile, type LoadedModel } from '../models/index.js';
import { createTask, NO_LOSS_SETTINGS } from '../tasks/index.js';
import { cpuCache, scope, setNumThreads } from '../torch/index.js';
import { decodeRequestImage } from './decode-image.js';
import type { BatchResult, ModelInfo } from './engine.js';
import type { FromWorker, ToWorker, WorkerSetup } from './worker-protocol.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

function start(loaded: LoadedModel): void {
  const { model, metadata: m } = loaded;
  const task = createTask(m.task, m.classes, NO_LOSS_SETTINGS);
  const decision = decisionFor(m, setup.threshold);
  // The layout predict's loader picks (channels-last on the CPU from 96 px), so that the numbers are predict's.
  const layout = channelsLastPays('cpu', m.imageSize) ? 'nhwc' as const : 'nchw' as const;
  const width = model.outputs;
  const decodes = new Semaphore(setup.decodeConcurrency);

  function predict(pixels: Uint8Array, n: number): BatchResult {
    const s = m.imageSize;
    const { p, finite } = scope(() => {
      const x = imagesTensor({ pixels, shape: [n, 3, s, s], layout, jitter: new Array(n).fill(null), mean: m.mean, std: m.std, views: [] });
      // predict's forward passes: with --tta, the probabilities of the image's views averaged.
      const out = probabilityVariants(model, x, setup.tta ?? null).main;
      return { p: out.toFloat32Array(), finite: out.isfinite().all().item() !== 0 };
    });
    if (!finite) throw nonFiniteOutput(model, p, Array.from({ length: n }, (_, i) => `image ${i + 1} of the batch`), setup.model);
    const predictions = Array.from({ length: n }, (_, i) => task.predict(p.subarray(i * width, (i + 1) * width), decision, 0));
    return { probabilities: p, predictions };
  }

  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'stop') {
      // Messages run one at a time, so no forward pass is running now; decodes in flight end on their own.
      port.close();
    } else if (msg.type === 'decode') {
      void decodes.run(() => decodeRequestImage(Buffer.from(msg.bytes), m.imageSize, m.resize, setup.maxPixels, m.dicomWindows ?? null)).then((r) => {
        if (r instanceof Uint8Array) post({ type: 'decoded', id: msg.id, pixels: r.buffer as ArrayBuffer }, [r.buffer as ArrayBuffer]);
        else post({ type: 'refused', id: msg.id, refusal: r });
      });
    } else {
      try {
        const result = predict(new Uint8Array(msg.pixels), msg.n);
        post({ type: 'predicted', id: msg.id, result }, [result.probabilities.buffer as ArrayBuffer]);
      } catch (e) {
        post({ type: 'failed', id: msg.id, message: (e as Error).message });
      }
    }
  });
  const info: ModelInfo = {
    arch: m.arch, task: m.task, classes: m.classes, positiveClass: m.positiveClass, imageSize: m.imageSize, resize: m.resize, dicomWindows: m.dicomWindows ?? null,
    threshold: decision.threshold, thresholds: decision.thresholds, conformal: conformalInfo(m), note: assumptionNote(setup.model, loaded), tta: setup.tta ?? null,
  };
  post({ type: 'ready', info });
}

/**
 * The CPU block cache's limit while serving, unless TLEARN_CPU_CACHE_MB says otherwise: 1 GiB, or a quarter of the
 * memory where that is less. Its default (a quarter of the memory) suits training, whose shapes repeat; a server's
 * batches take every size from 1 to --max-batch, each with blocks of its own, and the cache kept them all: the RSS grew
 * from 1.8 to 4.2 GB over 1000 requests (resnet18, 224 px, concurrency 32). A 256 MB limit kept the RSS but freed and
 * faulted in the blocks of each batch again: resnet50 at concurrency 32 served 44 % of offline prediction's images/s,
 * against 97 % with 1 GiB (RSS flat over 300 requests) and 88 % with 4 GiB (RSS +47 %), in single short runs on the
 * shared 2-core machine (README, Serving).
 */
const SERVE_CACHE_BYTES = Math.min(2 ** 30, Math.min(totalmem(), process.constrainedMemory?.() || Infinity) / 4);

try {
  if (process.env.TLEARN_CPU_CACHE_MB === undefined) cpuCache.setLimit(SERVE_CACHE_BYTES);
  if (setup.threads) setNumThreads(setup.threads);
  start(loadModelFile(setup.model, setup.load));
} catch (e) {
  post({ type: 'load-failed', message: (e as Error).message });
}
