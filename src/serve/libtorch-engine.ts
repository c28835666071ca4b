// The libtorch engine: the checkpoint runs in a worker thread (model-worker.ts), the only thread that loads libtorch
// (the addon's tensor-handle registry is not thread-safe). Images are decoded in a decode worker where
// onnxruntime-node is installed (decode-worker.ts: its upsampling needs no libtorch), so decoding overlaps the forward
// pass; without it, in the model's worker, between forward passes.
import type { Engine } from './engine.js';
import { startWorkerEngine } from './worker-engine.js';
import type { WorkerSetup } from './worker-protocol.js';

export { ModelLoadError } from './worker-engine.js';

/** Where the libtorch engine decodes: 'thread' (a decode worker), 'model' (the model's worker), or 'auto' (thread where onnxruntime-node is installed). */
export type DecodePlace = 'thread' | 'model' | 'auto';

export function loadLibtorchEngine(setup: WorkerSetup, decodeIn: DecodePlace = 'auto'): Promise<Engine> {
  return startWorkerEngine('./model-worker.js', setup, (info) => (decodeIn === 'model' ? null : {
    imageSize: info.imageSize, resize: info.resize, dicomWindows: info.dicomWindows, maxPixels: setup.maxPixels, concurrency: setup.decodeConcurrency,
  }), decodeIn === 'auto');
}
