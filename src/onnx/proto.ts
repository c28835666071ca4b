// ONNX protobuf messages through protobufjs and ONNX's own schema (schema.ts): encode a ModelProto to bytes,
// decode bytes back with checks that turn a truncated or foreign file into a message naming the problem.
import protobuf from 'protobufjs';
import { ONNX_PROTO } from './schema.js';

/** ONNX's TensorProto.DataType codes of the element types tlearn writes and reads. */
export const ONNX_DTYPES = { float32: 1, uint8: 2, int64: 7, float64: 11 } as const;
export type OnnxDType = keyof typeof ONNX_DTYPES;

export function dtypeOfCode(code: number): OnnxDType | undefined {
  return (Object.keys(ONNX_DTYPES) as OnnxDType[]).find((k) => ONNX_DTYPES[k] === code);
}

/** AttributeProto.AttributeType codes. */
export const ATTRIBUTE_TYPES = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

// The plain-object shapes of the messages tlearn builds (protobufjs field names are camelCase).
export interface Dim { dimValue?: number; dimParam?: string }
export interface ValueInfoProto { name: string; type: { tensorType: { elemType: number; shape: { dim: Dim[] } } } }
export interface AttributeProto { name: string; type: number; f?: number; i?: number; s?: Uint8Array; floats?: number[]; ints?: number[] }
export interface NodeProto { name: string; opType: string; input: string[]; output: string[]; attribute: AttributeProto[]; domain?: string }
export interface TensorProto { name: string; dataType: number; dims: number[]; rawData: Uint8Array }
export interface GraphProto {
  name: string; node: NodeProto[]; initializer: TensorProto[]; input: ValueInfoProto[]; output: ValueInfoProto[]; docString?: string;
}
export interface ModelProto {
  irVersion: number; opsetImport: { domain: string; version: number }[]; producerName: string; producerVersion: string;
  docString?: string; graph: GraphProto; metadataProps: { key: string; value: string }[];
}

let modelType: protobuf.Type | undefined;
function ModelType(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO, { keepCase: false }).root.lookupType('onnx.ModelProto');
  return modelType;
}

/** The serialized bytes of a model (what a .onnx file holds). */
export function encodeModel(model: ModelProto): Uint8Array {
  const T = ModelType();
  return T.encode(T.fromObject(model)).finish();
}

/** Why bytes are not a model tlearn can read; thrown by decodeModel. */
export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
}

/**
 * Decodes a .onnx file's bytes. A file cut short, bytes that are not protobuf, or a message without a graph,
 * an opset or an IR version (what any other protobuf file would decode to) is an OnnxFormatError.
 */
export function decodeModel(bytes: Uint8Array, what = 'the file'): ModelProto {
  let message: protobuf.Message;
  try {
    message = ModelType().decode(bytes);
  } catch (e) {
    const why = (e as Error).message;
    throw new OnnxFormatError(`${what} is not a readable ONNX model (${/index out of range/.test(why) ? 'it ends too early: truncated?' : why})`);
  }
  const model = ModelType().toObject(message, { longs: Number, bytes: Uint8Array as unknown as typeof String, defaults: true, arrays: true }) as ModelProto;
  const problems: string[] = [];
  if (!(model.irVersion > 0)) problems.push('no IR version');
  if (!model.opsetImport?.length) problems.push('no opset');
  if (!model.graph?.node?.length) problems.push('no graph nodes');
  else if (!model.graph.input?.length || !model.graph.output?.length) problems.push('no graph inputs or outputs');
  if (problems.length) throw new OnnxFormatError(`${what} is not an ONNX model (${problems.join(', ')})`);
  return model;
}

/** metadata_props as a plain record (later keys win, as onnxruntime reads them). */
export function metadataOf(model: ModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of model.metadataProps ?? []) out[key] = value;
  return out;
}
