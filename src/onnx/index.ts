// ONNX files: the schema, encoding/decoding, a graph builder and onnxruntime-node loaded on demand.
// Nothing here imports libtorch, so this folder works where the native addon is not built.
export { encodeModel, decodeModel, metadataOf, OnnxFormatError, ONNX_DTYPES, dtypeOfCode } from './proto.js';
export type { ModelProto, GraphProto, NodeProto, TensorProto, OnnxDType } from './proto.js';
export { GraphBuilder, IR_VERSION, OPSET } from './graph.js';
export type { AttributeValue } from './graph.js';
export { onnxRuntime, cpuSessionOptions, disableOrtTelemetry, ORT_INSTALL_HINT } from './runtime.js';
export type { OrtModule } from './runtime.js';
export { ONNX_PROPS, ONNX_INPUT_LAYOUTS, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './props.js';
export type { OnnxInputLayout } from './props.js';
