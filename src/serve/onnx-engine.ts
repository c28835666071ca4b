// The ONNX engine: an .onnx model (src/deploy's loadOnnxModel, as `tlearn predict model.onnx`) run by onnxruntime-node
// in a worker thread (onnx-worker.ts: session.run is synchronous, it would block the event loop), the images decoded
// in another (decode-worker.ts: sharp's pool and onnxruntime's resampling), so that decoding overlaps the forward
// pass. Nothing here loads libtorch.
import { onnxRuntime } from '../onnx/index.js';
import type { Engine } from './engine.js';
import { startWorkerEngine } from './worker-engine.js';
import type { OnnxWorkerSetup } from './worker-protocol.js';

export interface OnnxEngineSetup extends OnnxWorkerSetup {
  decodeConcurrency: number;
  maxPixels: number;
}

/**
 * Loads an .onnx model for serving. A missing onnxruntime-node is a plain Error with the install hint (the run cannot
 * go on here: exit code 1); a file that cannot be served (missing, not ONNX, altered) is a ModelLoadError (exit 2).
 */
export async function loadOnnxEngine(setup: OnnxEngineSetup): Promise<Engine> {
  await onnxRuntime();
  const { decodeConcurrency, maxPixels, ...worker } = setup;
  return startWorkerEngine('./onnx-worker.js', worker,
    (info) => ({ imageSize: info.imageSize, resize: info.resize, dicomWindows: info.dicomWindows, maxPixels, concurrency: decodeConcurrency }));
}
