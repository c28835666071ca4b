// tlearn's neural-network modules (torch.nn): the Module base, layers, containers and initialisation.
export { Module, isFloating, underPrefix } from './module.js';
export type { StateDict } from './module.js';
export type { StateDictInput, LoadOptions, LoadResult, ShapeMismatch } from './state-dict.js';
export { Conv2d } from './conv.js';
export type { Conv2dOptions } from './conv.js';
export { BatchNorm2d } from './batchnorm.js';
export type { BatchNormOptions } from './batchnorm.js';
export { Linear } from './linear.js';
export { Dropout } from './dropout.js';
export { ReLU, Sigmoid, Identity } from './activation.js';
export { MaxPool2d, AdaptiveAvgPool2d, Flatten } from './pooling.js';
export type { MaxPool2dOptions } from './pooling.js';
export { Sequential, ModuleList } from './container.js';
export * as init from './init.js';
export { Permute } from './permute.js';
export { NamedSequential } from './named.js';
export { MultiheadAttention } from './attention.js';
export type { MultiheadAttentionOptions } from './attention.js';
