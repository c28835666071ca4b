// `tlearn serve`: an HTTP inference server (above src/eval, below src/cli). The HTTP side imports no engine
// code; the libtorch engine runs in a worker thread, the ONNX engine in onnxruntime's threads.
export { serve, defaultEngine, EngineChoiceError } from './serve.js';
export { startServer, buildApp, ListenError, type RunningServer } from './server.js';
export { loadLibtorchEngine, ModelLoadError, type DecodePlace } from './libtorch-engine.js';
export { loadOnnxEngine } from './onnx-engine.js';
export { readApiKey, bearerChecker } from './auth.js';
export { SERVE_DEFAULTS, type ServeOptions } from './options.js';
export type { Engine, ModelInfo, BatchResult, ImageRefusal } from './engine.js';
export { HttpError } from './http-error.js';
