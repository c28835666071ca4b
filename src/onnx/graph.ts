// Builds an ONNX graph node by node: named inputs, outputs, initializers and nodes with attributes, then the
// ModelProto (IR version 8, opset 17: what Debian's onnx 1.12 checker and current onnxruntime both accept).
// Names are made unique here, so callers can name values after the modules they come from.
import { ATTRIBUTE_TYPES, ONNX_DTYPES, type AttributeProto, type Dim, type ModelProto, type NodeProto, type OnnxDType, type TensorProto, type ValueInfoProto } from './proto.js';

export const IR_VERSION = 8;
export const OPSET = 17;

/** An attribute value: a number (INT when an integer and `int` is not false), a string, or a list of them. */
export type AttributeValue = number | string | number[] | { float: number } | { floats: number[] };

function attribute(name: string, v: AttributeValue): AttributeProto {
  if (typeof v === 'string') return { name, type: ATTRIBUTE_TYPES.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: ATTRIBUTE_TYPES.INT, i: v } : { name, type: ATTRIBUTE_TYPES.FLOAT, f: v };
  if (Array.isArray(v)) return { name, type: ATTRIBUTE_TYPES.INTS, ints: v };
  if ('float' in v) return { name, type: ATTRIBUTE_TYPES.FLOAT, f: v.float };
  return { name, type: ATTRIBUTE_TYPES.FLOATS, floats: v.floats };
}

function valueInfo(name: string, dtype: OnnxDType, shape: (number | string)[]): ValueInfoProto {
  const dim: Dim[] = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ONNX_DTYPES[dtype], shape: { dim } } } };
}

const BYTES_PER: Record<OnnxDType, number> = { float32: 4, uint8: 1, int64: 8, float64: 8 };

export class GraphBuilder {
  readonly #nodes: NodeProto[] = [];
  readonly #initializers: TensorProto[] = [];
  readonly #inputs: ValueInfoProto[] = [];
  readonly #outputs: ValueInfoProto[] = [];
  readonly #used = new Set<string>();

  constructor(readonly name = 'tlearn') {}

  /** A name not used yet: `base`, else `base_1`, `base_2`, ... */
  fresh(base: string): string {
    let name = base, i = 0;
    while (this.#used.has(name)) name = `${base}_${++i}`;
    this.#used.add(name);
    return name;
  }

  /** Declares a graph input; shape entries are sizes or symbolic names (e.g. 'N' for the batch). */
  input(name: string, dtype: OnnxDType, shape: (number | string)[]): string {
    const n = this.fresh(name);
    this.#inputs.push(valueInfo(n, dtype, shape));
    return n;
  }

  /** Declares `value` (a node's output) as a graph output named `name` (an Identity node renames it if needed). */
  output(value: string, name: string, dtype: OnnxDType, shape: (number | string)[]): string {
    const out = value === name ? value : this.node('Identity', [value], {}, name);
    this.#outputs.push(valueInfo(out, dtype, shape));
    return out;
  }

  /** A constant tensor stored in the file (little-endian raw bytes, `dims` giving its shape). */
  initializer(name: string, dtype: OnnxDType, dims: number[], bytes: Uint8Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (bytes.byteLength !== count * BYTES_PER[dtype]) {
      throw new Error(`initializer ${name}: ${bytes.byteLength} bytes for shape [${dims}] of ${dtype}`);
    }
    const n = this.fresh(name);
    this.#initializers.push({ name: n, dataType: ONNX_DTYPES[dtype], dims, rawData: bytes });
    return n;
  }

  /** A float32 constant from numbers (small ones: scalars, mean/std, shapes' worth). */
  floats(name: string, values: ArrayLike<number>, dims: number[] = [values.length]): string {
    const a = Float32Array.from(values);
    return this.initializer(name, 'float32', dims, new Uint8Array(a.buffer));
  }

  /** An int64 constant (e.g. a Reshape's target shape). */
  int64s(name: string, values: ArrayLike<number>, dims: number[] = [values.length]): string {
    const a = BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
    return this.initializer(name, 'int64', dims, new Uint8Array(a.buffer));
  }

  /**
   * Adds a node; returns its output's name (`outputName`, made unique, defaults to the op's name in lower
   * case). Inputs are value names; an empty string is an omitted optional input.
   */
  node(opType: string, inputs: string[], attrs: Record<string, AttributeValue> = {}, outputName?: string): string {
    const out = this.fresh(outputName ?? opType.toLowerCase());
    this.#nodes.push({
      name: this.fresh(`${opType}_${this.#nodes.length}`), opType, input: inputs, output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** The number of nodes of each op type (for tests and the export summary). */
  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.#nodes) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
    return counts;
  }

  /** The finished model: IR 8, opset 17, with `metadata` as metadata_props. */
  model(o: { producerVersion: string; metadata?: Record<string, string>; docString?: string }): ModelProto {
    if (!this.#inputs.length || !this.#outputs.length) throw new Error(`graph ${this.name} needs at least one input and one output`);
    return {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'tlearn',
      producerVersion: o.producerVersion,
      docString: o.docString ?? '',
      graph: { name: this.name, node: this.#nodes, initializer: this.#initializers, input: this.#inputs, output: this.#outputs },
      metadataProps: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
  }
}
