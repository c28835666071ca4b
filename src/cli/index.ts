// Public API of src/cli: run the command line in-process, and the interfaces the commands expect from the
// modules they drive (src/train `train`, src/eval `evaluate` / `predict`).
export { runCli, main, type RunCliOptions } from './main.js';
export { buildProgram, type Dispatch } from './program.js';
export { overridesFrom } from './options.js';
export { EXIT_OK, EXIT_FAILURE, EXIT_USAGE, UsageError, NotAvailableError } from './errors.js';
export { processIO, type CliIO } from './io.js';
export { packageRoot, packageVersion, demoDataDir } from './paths.js';
export type { TrainOptions, TrainRunOptions, TrainFn } from './commands/train.js';
export type { EvaluateOptions, EvaluateRunOptions, EvaluateFn, EvaluationMetrics } from './commands/evaluate.js';
export type { PredictOptions, PredictRunOptions, PredictFn, PredictRow } from './commands/predict.js';
export type { ExportOptions } from './commands/export.js';
export type { WeightsOptions } from './commands/weights.js';
export type { DemoOptions } from './commands/demo.js';
export type { DoctorOptions, Check } from './commands/doctor.js';
