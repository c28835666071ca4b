// Data-parallel training on libtorch's c10d: process groups and collectives, DDP's gradient reducer and
// SyncBatchNorm. Above src/torch and src/nn, below src/train.
export { ProcessGroup, Work, DEFAULT_COLLECTIVE_TIMEOUT_MS, DEFAULT_PEER_TIMEOUT_MS } from './process-group.js';
export type { ProcessGroupOptions, ReduceOp } from './process-group.js';
export { GradientReducer, broadcastModule, DEFAULT_BUCKET_BYTES, DEFAULT_FIRST_BUCKET_BYTES } from './reducer.js';
export type { GradientReducerOptions } from './reducer.js';
export { syncBatchNorm } from './sync-batchnorm.js';
export { DistributedError, distributedBackends, requireBackend } from './errors.js';
export type { Backend } from './errors.js';
