// The decode worker: a worker thread that decodes request images (decode-image.ts, predict's decoding: sharp's
// thread pool, and the upsampling's arithmetic in onnxruntime, src/data/pixels-onnx.ts), so that decoding neither
// waits for a forward pass nor runs on the server's event loop (onnxruntime-node's session.run is synchronous, and
// the resampling's coefficients are computed in JS). Nothing here loads libtorch: the libtorch engine uses it where
// onnxruntime-node is installed, the ONNX engine always. Same bytes as the libtorch resampling (both are exact).
import { parentPort, workerData } from 'node:worker_threads';
import { Semaphore } from '../data/pool.js';
import { setPixelEngine } from '../data/pixel-engine.js';
import { onnxPixelEngine } from '../data/pixels-onnx.js';
import { onnxRuntime } from '../onnx/index.js';
import { decodeRequestImage } from './decode-image.js';
import type { DecoderSetup, FromWorker, ToWorker } from './worker-protocol.js';

const setup = workerData as DecoderSetup;
const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

function start(): void {
  setPixelEngine(onnxPixelEngine);
  const decodes = new Semaphore(setup.concurrency);
  let inFlight = 0;
  let stopping = false;
  const maybeStop = () => { if (stopping && inFlight === 0) port.close(); };
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'stop') {
      stopping = true;
      maybeStop();
    } else if (msg.type === 'decode') {
      inFlight++;
      void decodes.run(() => decodeRequestImage(Buffer.from(msg.bytes), setup.imageSize, setup.resize, setup.maxPixels, setup.dicomWindows)).then((r) => {
        if (r instanceof Uint8Array) post({ type: 'decoded', id: msg.id, pixels: r.buffer as ArrayBuffer }, [r.buffer as ArrayBuffer]);
        else post({ type: 'refused', id: msg.id, refusal: r });
      }).finally(() => { inFlight--; maybeStop(); });
    } else {
      post({ type: 'failed', id: msg.id, message: 'the decode worker runs no model' });
    }
  });
  post({ type: 'decoder-ready' });
}

onnxRuntime().then(start, (e: unknown) => post({ type: 'load-failed', message: (e as Error).message }));
