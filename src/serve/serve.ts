// Starts a server for a model file: the engine the options name, then the HTTP server on it.
import { availableParallelism } from 'node:os';
import { loadLibtorchEngine } from './libtorch-engine.js';
import type { ServeOptions } from './options.js';
import { startServer, type RunningServer } from './server.js';

/** The engine cannot serve this model file (an .onnx without the ONNX engine, a checkpoint with it): exit code 2. */
export class EngineChoiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineChoiceError';
  }
}

export async function serve(opts: ServeOptions): Promise<RunningServer> {
  const onnxFile = /\.onnx$/i.test(opts.model);
  if (opts.engine === 'onnx' || onnxFile) {
    // Not faked: the ONNX engine (issue 17's src/deploy, onnxruntime-node) is not part of this build yet.
    throw new EngineChoiceError(onnxFile
      ? `${opts.model} is an ONNX file: serving .onnx files needs the onnx engine, which this build of tlearn does not have yet; serve the checkpoint it was exported from (.safetensors or .pth) with --engine libtorch`
      : `--engine onnx serves .onnx files, and this build of tlearn does not have that engine yet; ${opts.model} is a checkpoint: serve it with --engine libtorch (the default)`);
  }
  const engine = await loadLibtorchEngine({
    model: opts.model,
    load: { imageSize: opts.imageSize, classes: opts.classes, task: opts.task, resize: opts.resize },
    threshold: opts.threshold, threads: opts.threads, decodeConcurrency: opts.decodeConcurrency ?? availableParallelism(), maxPixels: opts.maxPixels,
  });
  return startServer(engine, opts);
}
