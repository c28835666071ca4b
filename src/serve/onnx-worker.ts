// The ONNX model worker: a worker thread that loads an .onnx model with src/deploy (as `tlearn predict model.onnx`)
// and runs batches through onnxruntime-node. Its session.run is a synchronous call (the promise only defers it), so
// it runs here, away from the server's event loop. Images are decoded on the main thread (main-decoder.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { loadOnnxModel, type OnnxModel } from '../deploy/index.js';
import { assumptionNote, conformalInfo, decisionFor } from '../eval/predict-items.js';
import { predictRow } from '../tasks/decide.js';
import type { BatchResult, ModelInfo } from './engine.js';
import type { FromWorker, OnnxWorkerSetup, ToWorker } from './worker-protocol.js';

const setup = workerData as OnnxWorkerSetup;
const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

function start(model: OnnxModel): void {
  const m = model.metadata;
  const decision = decisionFor(m, setup.threshold);
  /** The batch running (messages are handled as they come: a stop waits for it before the sessions are released). */
  let running: Promise<unknown> = Promise.resolve();

  async function predict(pixels: Uint8Array, n: number): Promise<BatchResult> {
    const names = Array.from({ length: n }, (_, i) => `image ${i + 1} of the batch`);
    const p = await model.probabilitiesOf(pixels, n, names, setup.tta ?? null);
    const width = p.length / n;
    const predictions = Array.from({ length: n }, (_, i) => predictRow(m.task, m.classes, p.subarray(i * width, (i + 1) * width), decision, 0));
    return { probabilities: p, predictions };
  }

  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'stop') {
      void running.then(() => model.dispose()).finally(() => port.close());
    } else if (msg.type === 'predict') {
      const done = predict(new Uint8Array(msg.pixels), msg.n).then(
        // A copy of its own (onnxruntime's output may be a view of a larger buffer), transferred.
        (result) => { const own = result.probabilities.slice(); post({ type: 'predicted', id: msg.id, result: { ...result, probabilities: own } }, [own.buffer]); },
        (e: unknown) => post({ type: 'failed', id: msg.id, message: (e as Error).message }));
      running = running.then(() => done);
    } else {
      post({ type: 'failed', id: msg.id, message: 'the ONNX model worker does not decode images' });
    }
  });
  const info: ModelInfo = {
    arch: model.fromTlearn ? m.arch : 'onnx', task: m.task, classes: m.classes, positiveClass: m.positiveClass, imageSize: m.imageSize,
    resize: m.resize, dicomWindows: m.dicomWindows ?? null, threshold: decision.threshold, thresholds: decision.thresholds, conformal: conformalInfo(m), note: assumptionNote(setup.model, model), tta: setup.tta ?? null,
  };
  post({ type: 'ready', info });
}

loadOnnxModel(setup.model, { ...setup.load, threads: setup.threads }).then(start, (e: unknown) => post({ type: 'load-failed', message: (e as Error).message }));
