// The resample arithmetic in onnxruntime, for prediction where libtorch is absent (src/deploy selects it with
// setResampleEngine). One small graph per axis: Gather the taps' pixels, multiply by the 22-bit weights,
// sum, add 2^21, divide by 2^22, floor, clip and cast, all in float64, where every value is an exact integer
// (as in the libtorch engine), so both give the same bytes.
import { GraphBuilder, encodeModel, onnxRuntime, cpuSessionOptions, type OrtModule } from '../onnx/index.js';
import { PRECISION_BITS, type ResampleEngine } from './resample.js';
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

const sessions: Partial<Record<0 | 1, Promise<{ ort: OrtModule; session: Session }>>> = {};

function sessionFor(axis: 0 | 1): Promise<{ ort: OrtModule; session: Session }> {
  sessions[axis] ??= (async () => {
    const ort = await onnxRuntime();
    return { ort, session: await ort.InferenceSession.create(resampleGraph(axis), cpuSessionOptions(1)) };
  })().catch((e: unknown) => {
    delete sessions[axis];
    throw e;
  });
  return sessions[axis]!;
}

export const onnxResampleEngine: ResampleEngine = {
  name: 'onnxruntime',
  async gatherSum(img: RawImage, axis, index, weight, taps, outSize) {
    const { ort, session } = await sessionFor(axis);
    const out = await session.run({
      x: new ort.Tensor('uint8', img.data, [img.height, img.width, 3]),
      index: new ort.Tensor('int64', index, [taps, outSize]),
      weight: new ort.Tensor('float64', weight, axis === 0 ? [taps, outSize, 1, 1] : [taps, outSize, 1]),
    });
    return out.y!.data as Uint8Array;
  },
};
