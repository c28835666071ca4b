// Starts a server for a model file: the engine the options name (libtorch for a checkpoint, onnx for an .onnx file),
// then the HTTP server on it.
import { availableParallelism } from 'node:os';
import { loadLibtorchEngine } from './libtorch-engine.js';
import { loadOnnxEngine } from './onnx-engine.js';
import type { ServeOptions } from './options.js';
import { startServer, type RunningServer } from './server.js';

/** The engine cannot serve this model file (an .onnx without the ONNX engine, a checkpoint with it): exit code 2. */
export class EngineChoiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineChoiceError';
  }
}

/** The engine that serves a model file by default: onnx for an .onnx file, libtorch for a checkpoint. */
export const defaultEngine = (model: string): 'libtorch' | 'onnx' => (/\.onnx$/i.test(model) ? 'onnx' : 'libtorch');

export async function serve(opts: ServeOptions): Promise<RunningServer> {
  const onnxFile = defaultEngine(opts.model) === 'onnx';
  if (opts.engine === 'libtorch' && onnxFile) {
    throw new EngineChoiceError(`${opts.model} is an ONNX file: serve it with --engine onnx (the default for .onnx files), or serve the checkpoint it was exported from with --engine libtorch`);
  }
  if (opts.engine === 'onnx' && !onnxFile) {
    // Not exported on the fly: an export is checked against libtorch's probabilities first (tlearn export's parity
    // check, with its record), which is a step of its own.
    throw new EngineChoiceError(`--engine onnx serves .onnx files and ${opts.model} is a checkpoint: export it first with ` +
      `\`tlearn export ${opts.model} --out model.onnx\` and serve model.onnx, or serve the checkpoint with --engine libtorch (the default for checkpoints)`);
  }
  const common = {
    model: opts.model, load: { imageSize: opts.imageSize, classes: opts.classes, task: opts.task, resize: opts.resize },
    threshold: opts.threshold, threads: opts.threads, tta: opts.tta ?? null, decodeConcurrency: opts.decodeConcurrency ?? availableParallelism(), maxPixels: opts.maxPixels,
  };
  const engine = opts.engine === 'onnx' ? await loadOnnxEngine(common) : await loadLibtorchEngine(common, opts.decodeIn ?? 'auto');
  return startServer(engine, opts);
}
