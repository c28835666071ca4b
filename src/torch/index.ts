// tlearn's tensor layer over libtorch: the Tensor class, factories, nn functions, lifetime and runtime state.
export { Tensor, wrap, isDType, elementSize, typedArrayOf } from './tensor.js';
export type { DType, DeviceName, Shape, Operand, AnyTypedArray, TypedArrayFor } from './tensor.js';
export * from './creation.js';
export * as F from './functional.js';
export { scope, keep, dispose, memory, track } from './scope.js';
export type { Disposable } from './scope.js';
export * from './runtime.js';
export * from './foreach.js';
