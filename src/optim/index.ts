// tlearn's optimizers and learning-rate schedulers (torch.optim), with torch 1.13's exact update rules.
export { Optimizer } from './optimizer.js';
export type { ParamGroup, GroupInput, ParamsInput, ParamState, OptimizerStateDict, OptimizerMeta, Hyper } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDGroup, SGDOptions } from './sgd.js';
export { Adam, AdamW } from './adam.js';
export type { AdamGroup, AdamOptions } from './adam.js';
export { LRScheduler, StepLR, CosineAnnealingLR, LinearLR } from './scheduler.js';
export { SequentialLR } from './sequential.js';
export { SWALR } from './swa-lr.js';
export type { AnnealStrategy } from './swa-lr.js';
export type { SchedulerState, AnyOptimizer } from './scheduler.js';
export { OneCycleLR } from './one-cycle.js';
export type { OneCycleOptions } from './one-cycle.js';
export { ReduceLROnPlateau } from './plateau.js';
export type { PlateauOptions } from './plateau.js';
