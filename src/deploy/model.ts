// An .onnx model for prediction through onnxruntime-node, without libtorch: the file read and checked, its
// metadata (tlearn's, checked as a checkpoint's; or, for a foreign graph, the options and defaults of a plain
// state_dict), and the engine that turns a loader batch of uint8 pixels into probabilities.
import fs from 'node:fs';
import type { Batch } from '../data/loader.js';
import { orientationText } from '../data/orientation.js';
import type { EngineVariants, ProbabilityEngine } from '../eval/predict-items.js';
import { completeMetadata, isTlearnMetadata, seedMetadata, type ModelMetadata } from '../models/metadata.js';
import { applyModelOptions, headOutputs, plainMetadata, type ModelFileOptions } from '../models/options.js';
import {
  cpuSessionOptions, decodeModel, metadataOf, onnxRuntime, ONNX_DTYPES, ONNX_INPUT_LAYOUTS, ONNX_PROPS, OnnxFormatError,
  type ModelProto, type OnnxInputLayout, type OrtModule,
} from '../onnx/index.js';
import { notRegularReason } from '../io/regular-file.js';
import { PREPROCESS_INPUT, PREPROCESS_OUTPUT, preprocessGraph } from './preprocess.js';
import { MEAN_INPUT, MEAN_OUTPUT, ttaViewsGraph, viewMeanGraph, VIEWS_INPUT, VIEWS_OUTPUT } from './tta.js';
import { ttaViews, type TtaMode } from '../eval/tta.js';

type Session = Awaited<ReturnType<OrtModule['InferenceSession']['create']>>;

/** Test-time augmentation: none, or 'flip' or 'dihedral' (the mean of the probabilities of the image's views; eval/tta.ts, tta.ts). */
export type OnnxTta = TtaMode | null;

export interface OnnxModelOptions extends ModelFileOptions {
  /** onnxruntime's intra-op threads (default: its own choice, all cores). */
  threads?: number;
  /** Only 'cpu': onnxruntime-node runs the model on the CPU here. */
  device?: string;
}

export interface OnnxModel {
  file: string;
  /** The metadata the model is used with (a foreign graph's: the options and defaults, as for a plain .pth). */
  metadata: ModelMetadata;
  /** True when the file holds tlearn's metadata. */
  fromTlearn: boolean;
  /** For a foreign graph: what came from defaults ('image size 224', 'classes 0,1'). */
  assumed: string[];
  /** What the graph takes: normalised float NCHW, or raw uint8 NHWC pixels. */
  input: OnnxInputLayout;
  /** The engine prediction and evaluation run (src/eval/predict-items.ts). */
  engine: ProbabilityEngine;
  /** The engine with test-time augmentation: its variants give the probabilities without it as `plain`. */
  engineWith(tta: OnnxTta): ProbabilityEngine;
  /**
   * The same for n images' uint8 NHWC pixels of the model's size, concatenated (what a server's batch holds); `names`
   * name the images in errors. Async: onnxruntime runs it on its own threads.
   */
  probabilitiesOf(pixels: Uint8Array, n: number, names: string[], tta?: OnnxTta): Promise<Float32Array>;
  /** probabilitiesOf and, with TTA, the probabilities without it (`plain`), from the same forward pass. */
  variantsOf(pixels: Uint8Array, n: number, names: string[], tta?: OnnxTta): Promise<EngineVariants>;
  /** Releases the onnxruntime sessions. */
  dispose(): Promise<void>;
}

/** A tensor's element type and dims as declared in the graph (a dim is a number, or null when symbolic). */
interface Declared { name: string; elemType: number; dims: (number | null)[] }

function declared(v: ModelProto['graph']['input'][number]): Declared {
  const t = v.type?.tensorType;
  const dims = (t?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && Number(d.dimValue) > 0 ? Number(d.dimValue) : null));
  return { name: v.name, elemType: t?.elemType ?? 0, dims };
}

const ELEM_NAMES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 10: 'float16', 11: 'float64' };
const shapeText = (d: Declared) => `${ELEM_NAMES[d.elemType] ?? `type ${d.elemType}`} [${d.dims.map((x) => x ?? '?').join(', ')}]`;

/** The graph's real inputs (older exports also list the initializers as inputs) and its outputs. */
function signature(model: ModelProto): { inputs: Declared[]; outputs: Declared[] } {
  const init = new Set(model.graph.initializer.map((t) => t.name));
  return { inputs: model.graph.input.filter((v) => !init.has(v.name)).map(declared), outputs: model.graph.output.map(declared) };
}

function readModelBytes(file: string): Uint8Array {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st) throw Object.assign(new Error(`the model file ${file} does not exist`), { code: 'ENOENT' });
  const special = notRegularReason(st);
  if (special) throw new Error(`the model ${file}: ${special}`);
  return fs.readFileSync(file);
}

/** tlearn's metadata from metadata_props, checked as a checkpoint's; null for a graph without it. */
function tlearnMetadata(props: Record<string, string>, file: string): { metadata: ModelMetadata; input: OnnxInputLayout } | null {
  const text = props[ONNX_PROPS.metadata];
  if (text === undefined) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: its metadata_props '${ONNX_PROPS.metadata}' is not JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !isTlearnMetadata(raw as Record<string, unknown>)) {
    throw new Error(`${file}: its metadata_props '${ONNX_PROPS.metadata}' is not tlearn's model metadata (no kind 'tlearn.binary-classifier')`);
  }
  const input = props[ONNX_PROPS.input] as OnnxInputLayout | undefined;
  if (input === undefined || !ONNX_INPUT_LAYOUTS.includes(input)) {
    throw new Error(`${file}: its metadata_props '${ONNX_PROPS.input}' is ${JSON.stringify(input ?? null)}; expected one of ${ONNX_INPUT_LAYOUTS.join(', ')}`);
  }
  return { metadata: completeMetadata(raw as Record<string, unknown>, seedMetadata(), file), input };
}

/** A foreign graph must take one float [N, 3, S, S] input and give one float [N, K] output; returns S and K (null: symbolic). */
function foreignShape(inputs: Declared[], outputs: Declared[], file: string): { size: number | null; outputs: number | null } {
  const expect = 'tlearn predicts with a graph of one input float32 [N, 3, S, S] (normalised RGB, as torchvision models take) and one output float32 [N, K] (probabilities)';
  if (inputs.length !== 1) throw new Error(`${file}: the graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); ${expect}`);
  if (outputs.length !== 1) throw new Error(`${file}: the graph has ${outputs.length} outputs (${outputs.map((o) => o.name).join(', ')}); ${expect}`);
  const [i] = inputs, [o] = outputs;
  const d = i!.dims;
  if (i!.elemType !== ONNX_DTYPES.float32 || d.length !== 4 || (d[1] !== null && d[1] !== 3) || (d[2] !== null && d[3] !== null && d[2] !== d[3])) {
    throw new Error(`${file}: its input '${i!.name}' is ${shapeText(i!)}; ${expect}`);
  }
  if (o!.elemType !== ONNX_DTYPES.float32 || o!.dims.length !== 2) throw new Error(`${file}: its output '${o!.name}' is ${shapeText(o!)}; ${expect}`);
  return { size: d[2] ?? d[3] ?? null, outputs: o!.dims[1] ?? null };
}

/** A tlearn graph's input and output must be what its metadata says. */
function checkTlearnShape(inputs: Declared[], outputs: Declared[], m: ModelMetadata, layout: OnnxInputLayout, file: string): void {
  const s = m.imageSize, k = headOutputs(m.task, m.classes.length);
  const want = layout === 'uint8-nhwc' ? { elemType: ONNX_DTYPES.uint8, dims: [s, s, 3] } : { elemType: ONNX_DTYPES.float32, dims: [3, s, s] };
  const i = inputs[0], o = outputs[0];
  const same = (a: Declared | undefined, elemType: number, dims: number[]) =>
    a !== undefined && a.elemType === elemType && a.dims.length === dims.length + 1 && dims.every((v, j) => a.dims[j + 1] === v);
  if (inputs.length !== 1 || !same(i, want.elemType, want.dims)) {
    throw new Error(`${file}: its metadata says input ${layout} of ${s} px, but the graph takes ${inputs.map(shapeText).join(', ')}: the file was altered`);
  }
  if (outputs.length !== 1 || !same(o, ONNX_DTYPES.float32, [k])) {
    throw new Error(`${file}: its metadata says ${k} output${k === 1 ? '' : 's'} (${m.task}, ${m.classes.length} classes), but the graph gives ${outputs.map(shapeText).join(', ')}: the file was altered`);
  }
}

/**
 * A foreign graph's outputs are taken as probabilities, as Keras models (ending in softmax or sigmoid) give
 * them; a graph that ends in logits (timm and torchvision models, torch.onnx.export of a bare nn.Module) would
 * be misread, so values outside [0, 1], or multi-class rows that do not sum to 1, are refused naming the image.
 */
function checkProbabilities(p: Float32Array, width: number, multiclass: boolean, paths: string[], file: string): void {
  for (let i = 0; i < paths.length; i++) {
    const row = p.subarray(i * width, (i + 1) * width);
    const outside = row.some((v) => v < 0 || v > 1);
    const sum = row.reduce((a, b) => a + b, 0);
    if (outside || (multiclass && Math.abs(sum - 1) > 1e-3)) {
      const shown = Array.from(row.subarray(0, 5), (v) => Number(v.toPrecision(4))).join(', ') + (width > 5 ? ', ...' : '');
      throw new Error(`${file}: its outputs are not probabilities (for ${paths[i]}: [${shown}]${outside ? '' : `, summing to ${sum.toPrecision(4)}`}): ` +
        'tlearn reads a model\'s outputs as probabilities; a graph that ends in logits (timm, torchvision) needs its activation: ' +
        'export torch.nn.Sequential(model, torch.nn.Softmax(dim=1)) (or Sigmoid() for a binary or multi-label model)');
    }
  }
}

/** What a file that is not ONNX holds, when its first bytes say it (a renamed image or checkpoint), else null. */
function looksLike(b: Uint8Array): string | null {
  const starts = (...sig: number[]) => sig.every((v, i) => b[i] === v);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'a PNG image';
  if (starts(0xff, 0xd8, 0xff)) return 'a JPEG image';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'a zip archive (a PyTorch .pth checkpoint? give it without renaming)';
  if (b.length > 9 && b[8] === 0x7b && b[9] === 0x22) return 'a safetensors file (give it as .safetensors)';
  if (b.length === 0) return 'empty';
  return null;
}

/** Loads an .onnx file for prediction; onnxruntime-node must be installed (the error says how otherwise). */
export async function loadOnnxModel(file: string, opts: OnnxModelOptions = {}): Promise<OnnxModel> {
  if (opts.device !== undefined && opts.device !== 'cpu') {
    throw new Error(`${file}: ONNX models run on the CPU (onnxruntime-node's CPU build); --device ${opts.device} applies to checkpoints`);
  }
  const bytes = readModelBytes(file);
  let proto: ModelProto;
  try {
    proto = decodeModel(bytes, file);
  } catch (e) {
    if (e instanceof OnnxFormatError) {
      const looks = looksLike(bytes);
      throw new OnnxFormatError(`${e.message}${looks ? `; its content is ${looks}` : ''}; a .onnx model file is expected (tlearn export --format onnx writes one)`);
    }
    throw e;
  }
  const { inputs, outputs } = signature(proto);
  const own = tlearnMetadata(metadataOf(proto), file);
  let metadata: ModelMetadata, assumed: string[], layout: OnnxInputLayout;
  if (own) {
    ({ final: metadata, assumed } = applyModelOptions(file, own.metadata, true, opts, headOutputs(own.metadata.task, own.metadata.classes.length)));
    layout = own.input;
    checkTlearnShape(inputs, outputs, metadata, layout, file);
  } else {
    const shape = foreignShape(inputs, outputs, file);
    const k = shape.outputs ?? (opts.classes ? headOutputs(opts.task ?? (opts.classes.length === 2 ? 'binary' : 'multiclass'), opts.classes.length) : null);
    if (k === null) throw new Error(`${file}: its output's class dimension is not fixed in the graph; give the class names (--classes A,B,...)`);
    if (shape.size !== null && opts.imageSize !== undefined && opts.imageSize !== shape.size) {
      throw new Error(`${file}: the graph takes ${shape.size} px images; --image-size ${opts.imageSize} was given`);
    }
    const base = plainMetadata(undefined, k, opts, file);
    // An image size fixed in the graph is known, not assumed.
    ({ final: metadata, assumed } = applyModelOptions(file, base, false, { ...opts, imageSize: opts.imageSize ?? shape.size ?? undefined }, k));
    layout = 'float32-nchw';
  }
  const ort = await onnxRuntime();
  const options = cpuSessionOptions(opts.threads ?? 0);
  const session = await createSession(ort, bytes, options, file);
  const pre = layout === 'float32-nchw' ? await ort.InferenceSession.create(preprocessGraph(metadata.imageSize, metadata.mean, metadata.std), options) : null;
  const width = headOutputs(metadata.task, metadata.classes.length);
  const inputName = inputs[0]!.name, outputName = outputs[0]!.name;
  const s = metadata.imageSize;
  /** The model's probabilities for a uint8 NHWC batch x of n images; `names` name the images in errors. */
  async function run(x: InstanceType<OrtModule['Tensor']>, n: number, names: string[]): Promise<Float32Array> {
    if (pre) x = (await pre.run({ [PREPROCESS_INPUT]: x }))[PREPROCESS_OUTPUT] as typeof x;
    const out = (await session.run({ [inputName]: x }))[outputName]!;
    if (out.type !== 'float32' || out.dims.length !== 2 || out.dims[0] !== n || out.dims[1] !== width) {
      throw new Error(`${file}: the graph gave ${out.type} [${out.dims.join(', ')}] for ${n} images; expected float32 [${n}, ${width}]`);
    }
    const p = out.data as Float32Array;
    const bad = names.findIndex((_, i) => p.subarray(i * width, (i + 1) * width).some((v) => !Number.isFinite(v)));
    if (bad >= 0) throw new Error(`${file}: the model's output is not finite for ${names[bad]}: this model cannot predict`);
    if (!own) checkProbabilities(p, width, metadata.task === 'multiclass', names, file);
    return p;
  }
  // Each mode's two TTA graphs, made on first use.
  const ttaSessions = new Map<TtaMode, Promise<{ views: Session; mean: Session }>>();
  const tta = (mode: TtaMode) => {
    if (!ttaSessions.has(mode)) {
      ttaSessions.set(mode, Promise.all([
        ort.InferenceSession.create(ttaViewsGraph(s, mode), options), ort.InferenceSession.create(viewMeanGraph(width, mode), options),
      ]).then(([views, mean]) => ({ views, mean })));
    }
    return ttaSessions.get(mode)!;
  };
  /** n images' uint8 NHWC pixels → their probabilities (with TTA: the mean of the views', and `plain` the upright view's). */
  async function variantsOf(pixels: Uint8Array, n: number, names: string[], mode: OnnxTta = null): Promise<EngineVariants> {
    const x = new ort.Tensor('uint8', pixels.subarray(0, n * s * s * 3), [n, s, s, 3]);
    if (mode === null) return { main: await run(x, n, names) };
    const g = await tta(mode);
    const views = ttaViews(mode);
    const all = (await g.views.run({ [VIEWS_INPUT]: x }))[VIEWS_OUTPUT]!.data as Uint8Array;
    // The model runs on one view's n images at a time (a batch no larger than without TTA).
    const p = new Float32Array(views.length * n * width);
    for (const [v, o] of views.entries()) {
      const view = new ort.Tensor('uint8', all.subarray(v * n * s * s * 3, (v + 1) * n * s * s * 3), [n, s, s, 3]);
      const tag = v === 0 ? '' : ` (${orientationText(o)})`;
      p.set(await run(view, n, tag ? names.map((name) => `${name}${tag}`) : names), v * n * width);
    }
    const mean = (await g.mean.run({ [MEAN_INPUT]: new ort.Tensor('float32', p, [views.length * n, width]) }))[MEAN_OUTPUT]!;
    return { main: mean.data as Float32Array, plain: p.slice(0, n * width) };
  }
  const probabilitiesOf = async (pixels: Uint8Array, n: number, names: string[], mode: OnnxTta = null) => (await variantsOf(pixels, n, names, mode)).main;
  const engineWith = (mode: OnnxTta): ProbabilityEngine => ({
    width,
    probabilities: (batch: Batch, paths: string[]) => probabilitiesOf(batch.pixels, batch.indices.length, paths, mode),
    variants: (batch: Batch, paths: string[]) => variantsOf(batch.pixels, batch.indices.length, paths, mode),
  });
  return {
    file, metadata, fromTlearn: own !== null, assumed, input: layout, engine: engineWith(null), engineWith, probabilitiesOf, variantsOf,
    async dispose() {
      await session.release();
      await pre?.release();
      for (const pending of ttaSessions.values()) {
        const g = await pending;
        await g.views.release();
        await g.mean.release();
      }
    },
  };
}

async function createSession(ort: OrtModule, bytes: Uint8Array, options: ReturnType<typeof cpuSessionOptions>, file: string): Promise<Session> {
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (e) {
    throw new Error(`${file}: onnxruntime cannot load this graph (${(e as Error).message.split('\n')[0]})`);
  }
}
