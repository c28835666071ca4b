// The pixel arithmetic in onnxruntime, for prediction where libtorch is absent (src/deploy selects it with
// setPixelEngine). Small graphs, each built once: one per resample axis (Gather the taps' pixels, multiply by the
// 22-bit weights, sum, add 2^21, divide by 2^22, floor, clip and cast, all in float64, where every value is an exact
// integer, as in the libtorch engine, so both give the same bytes), one for a DICOM image's extent and one for its
// map to bytes (float64 as in libtorch, and the same half-to-even rounding).
import { GraphBuilder, encodeModel, onnxRuntime, cpuSessionOptions, type OrtModule } from '../onnx/index.js';
import { PRECISION_BITS, type PixelEngine } from './pixel-engine.js';
import type { RawImage } from './raw-image.js';

type Session = Awaited<ReturnType<OrtModule['InferenceSession']['create']>>;

const float64 = (g: GraphBuilder, name: string, values: number[], dims: number[] = []) =>
  g.initializer(name, 'float64', dims, new Uint8Array(Float64Array.from(values).buffer));

/** The graph of one axis: x uint8 [H, W, 3], index int64 [T, O], weight float64 (broadcast over the rest) → uint8. */
export function resampleGraph(axis: 0 | 1): Uint8Array {
  const g = new GraphBuilder(`tlearn_resample_axis${axis}`);
  const x = g.input('x', 'uint8', ['H', 'W', 3]);
  const index = g.input('index', 'int64', ['T', 'O']);
  // Axis 0 gathers [T, O, W, 3], axis 1 [H, T, O, 3]: the weight broadcasts as [T, O, 1, 1] or [T, O, 1].
  const weight = g.input('weight', 'float64', axis === 0 ? ['T', 'O', 1, 1] : ['T', 'O', 1]);
  const gathered = g.node('Cast', [g.node('Gather', [x, index], { axis })], { to: 11 });
  const sum = g.node('ReduceSum', [g.node('Mul', [gathered, weight]), g.int64s('tap_axis', [axis])], { keepdims: 0 });
  const rounded = g.node('Add', [sum, float64(g, 'half', [2 ** (PRECISION_BITS - 1)])]);
  const shifted = g.node('Floor', [g.node('Div', [rounded, float64(g, 'one', [2 ** PRECISION_BITS])])]);
  const clipped = g.node('Clip', [shifted, float64(g, 'lo', [0]), float64(g, 'hi', [255])]);
  g.output(g.node('Cast', [clipped], { to: 2 }), 'y', 'uint8', axis === 0 ? ['O', 'W', 3] : ['H', 'O', 3]);
  return encodeModel(g.model({ producerVersion: 'resample' }));
}

/** The smallest and largest of x (float64 [N]). */
export function extentGraph(): Uint8Array {
  const g = new GraphBuilder('tlearn_extent');
  const x = g.input('x', 'float64', ['N']);
  g.output(g.node('ReduceMin', [x], { keepdims: 0 }), 'min', 'float64', []);
  g.output(g.node('ReduceMax', [x], { keepdims: 0 }), 'max', 'float64', []);
  return encodeModel(g.model({ producerVersion: 'extent' }));
}

/**
 * ByteMap's arithmetic on x (float64 [N]) → uint8: y = offset + scale·x; s·255·σ(y) + (1 − s)·y; i·255 + (1 − 2i)·y;
 * round, clip, cast. The flags s and i are inputs equal to 0 or 1, so that one graph serves every map; with s = 0
 * the logistic term is multiplied by an exact zero and the affine value comes through unchanged (and alike for i).
 */
export function byteMapGraph(): Uint8Array {
  const g = new GraphBuilder('tlearn_byte_map');
  const scalar = (name: string) => g.input(name, 'float64', []);
  const [x, scale, offset, s, i] = [g.input('x', 'float64', ['N']), scalar('scale'), scalar('offset'), scalar('sigmoid'), scalar('invert')];
  const [one, full] = [float64(g, 'one', [1]), float64(g, 'full', [255])];
  const mix = (flag: string, on: string, off: string) => g.node('Add', [g.node('Mul', [flag, on]), g.node('Mul', [g.node('Sub', [one, flag]), off])]);
  const y = g.node('Add', [g.node('Mul', [x, scale]), offset]);
  const curved = mix(s, g.node('Mul', [full, g.node('Sigmoid', [y])]), y);
  const inverted = mix(i, g.node('Sub', [full, curved]), curved);
  const clipped = g.node('Clip', [g.node('Round', [inverted]), float64(g, 'lo', [0]), full]);
  g.output(g.node('Cast', [clipped], { to: 2 }), 'y', 'uint8', ['N']);
  return encodeModel(g.model({ producerVersion: 'byte_map' }));
}

type GraphName = 'axis0' | 'axis1' | 'extent' | 'byteMap';
const GRAPHS: Record<GraphName, () => Uint8Array> = {
  axis0: () => resampleGraph(0), axis1: () => resampleGraph(1), extent: extentGraph, byteMap: byteMapGraph,
};
const sessions: Partial<Record<GraphName, Promise<{ ort: OrtModule; session: Session }>>> = {};

function sessionFor(name: GraphName): Promise<{ ort: OrtModule; session: Session }> {
  sessions[name] ??= (async () => {
    const ort = await onnxRuntime();
    return { ort, session: await ort.InferenceSession.create(GRAPHS[name](), cpuSessionOptions(1)) };
  })().catch((e: unknown) => {
    delete sessions[name];
    throw e;
  });
  return sessions[name]!;
}

export const onnxPixelEngine: PixelEngine = {
  name: 'onnxruntime',
  async gatherSum(img: RawImage, axis, index, weight, taps, outSize) {
    const { ort, session } = await sessionFor(axis === 0 ? 'axis0' : 'axis1');
    const out = await session.run({
      x: new ort.Tensor('uint8', img.data, [img.height, img.width, 3]),
      index: new ort.Tensor('int64', index, [taps, outSize]),
      weight: new ort.Tensor('float64', weight, axis === 0 ? [taps, outSize, 1, 1] : [taps, outSize, 1]),
    });
    return out.y!.data as Uint8Array;
  },
  async extent(values) {
    const { ort, session } = await sessionFor('extent');
    const out = await session.run({ x: new ort.Tensor('float64', values, [values.length]) });
    return { min: Number(out.min!.data[0]), max: Number(out.max!.data[0]) };
  },
  async toBytes(values, map) {
    const { ort, session } = await sessionFor('byteMap');
    const scalar = (v: number) => new ort.Tensor('float64', Float64Array.of(v), []);
    const out = await session.run({
      x: new ort.Tensor('float64', values, [values.length]), scale: scalar(map.scale), offset: scalar(map.offset),
      sigmoid: scalar(map.sigmoid ? 1 : 0), invert: scalar(map.invert ? 1 : 0),
    });
    return out.y!.data as Uint8Array;
  },
};
