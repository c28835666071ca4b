// Public API of src/train: train(config, options) and what it returns and emits, the run configuration
// (config/), and the pieces the CLI and tests use (run paths, history files, callbacks).
export { train, TrainSetupError } from './trainer.js';
export type { EpochRecord, PhaseSummary, RunResult, TrainEvent, TrainOptions } from './types.js';
export { HISTORY_COLUMNS } from './types.js';
export { runPaths, RunDirError, type RunPaths } from './run-dir.js';
export { historyCsv, historyJsonl, parseHistoryJsonl, writeHistory } from './history.js';
export { EarlyStopping, type EarlyStoppingState } from './callbacks/early-stopping.js';
export { BestTracker, type BestState } from './callbacks/best-tracker.js';
export { PlateauScheduler } from './callbacks/plateau.js';
export { NonFiniteLossError } from './callbacks/nan-guard.js';
export { improves, metricOf } from './callbacks/monitor.js';
export { applyTrainable, cacheStage, setTrainModes } from './plan.js';
export { FeatureCache, type FeatureCacheOptions } from './cache/feature-cache.js';
export { SharedFeatureCaches } from './cache/shared.js';
// What the trainer hands to src/eval's evaluateRun at the end of a run (its options, under the name this API gave them).
export type { EvaluateRunOptions as EvaluateRunInput } from '../eval/index.js';
export * from './config/index.js';
export type * from './config/input.js';
export { lrFind, type LrFindOptions, type LrFindResult } from './lr-find/run.js';
export { rangeTest, type RangeTestPoint, type RangeTestResult } from './lr-find/range-test.js';
export { LossSmoother, npGradient, rangeTestLr, steepestIndex, valleyIndex, RANGE_TEST_DEFAULTS, type RangeTestSettings } from './lr-find/schedule.js';
