// The proof of parity of an exported graph: the .onnx file run by onnxruntime-node and the model run by libtorch
// on the same decoded pixels, compared probability by probability and decision by decision. Both sides see the
// very same batch: libtorch its normalised float tensor (data/tensor.ts), the graph that tensor (float32-nchw) or
// the batch's uint8 pixels themselves (uint8-nhwc, whose preprocessing is inside the graph).
import { DataLoader, type LoaderItem, type PixelBatch, type SkippedItem } from '../data/index.js';
import { Rng } from '../data/rng.js';
import type { ImageClassifier, ModelMetadata } from '../models/index.js';
import { cpuSessionOptions, onnxRuntime, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, type OnnxInputLayout } from '../onnx/index.js';
import { createTask, NO_LOSS_SETTINGS, type Prediction } from '../tasks/index.js';
import { imagesTensor } from '../data/tensor.js';
import { noGrad, scope, tensor } from '../torch/index.js';

/** The largest difference of a probability the check accepts (issue 17: 1e-4). */
export const PARITY_TOLERANCE = 1e-4;

/** A batch of decoded images, as both sides take it (the paths only name images in the report). */
export type ParityBatch = Omit<PixelBatch, 'views'> & { views: ReadonlyArray<{ flip: boolean }>; paths: string[] };

export interface ParityResult {
  /** Images compared (files that could not be decoded are in `skipped`, not here). */
  images: number;
  /** Over every probability of every image. */
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** Images whose decision differs (binary: the threshold; multi-class: the argmax; multi-label: any label). */
  decisionsDiffer: number;
  /** The first few images whose decision differs. */
  differing: string[];
  tolerance: number;
  passed: boolean;
  /** onnxruntime's version (the library that ran the graph). */
  onnxruntime: string;
}

export interface ParityOptions {
  /** Intra-op threads of onnxruntime (0: its default). */
  threads?: number;
  tolerance?: number;
}

/** What a prediction decides, as a comparable string (the class, or the set of labels). */
function decisionOf(p: Prediction): string {
  return 'labels' in p ? p.labels.join('\u0000') : String(p.predicted);
}

/**
 * Runs the .onnx graph (a file path or its bytes) and the model over the batches and compares them. Fails only
 * for an error (the graph does not load or run); a difference comes back in the result, `passed` false.
 */
export async function checkParity(model: ImageClassifier, metadata: ModelMetadata, graph: string | Uint8Array, input: OnnxInputLayout,
  batches: AsyncIterable<ParityBatch>, opts: ParityOptions = {}): Promise<ParityResult> {
  const ort = await onnxRuntime();
  const options = cpuSessionOptions(opts.threads ?? 0);
  // Two calls: create's overloads take a path or bytes, not their union.
  const session = typeof graph === 'string' ? await ort.InferenceSession.create(graph, options) : await ort.InferenceSession.create(graph, options);
  const task = createTask(metadata.task, metadata.classes, NO_LOSS_SETTINGS);
  const decision = { threshold: metadata.threshold, thresholds: metadata.thresholds };
  const width = model.outputs;
  let images = 0, max = 0, sum = 0, decisionsDiffer = 0;
  const differing: string[] = [];
  try {
    for await (const b of batches) {
      const [n, , h, w] = b.shape;
      const x = imagesTensor({ ...b, layout: 'nchw' });
      try {
        const feed = input === 'uint8-nhwc'
          ? new ort.Tensor('uint8', b.pixels, [n, h, w, 3])
          : new ort.Tensor('float32', x.toFloat32Array(), [n, 3, h, w]);
        const out = (await session.run({ [ONNX_INPUT_NAME]: feed }))[ONNX_OUTPUT_NAME];
        if (!out || out.size !== n * width) throw new Error(`the graph's output ${ONNX_OUTPUT_NAME} has ${out?.size ?? 0} values for ${n} images of ${width} outputs`);
        const fromGraph = out.data as Float32Array;
        const { fromTorch, batchMax, batchSum } = scope(() => noGrad(() => {
          const p = model.predictProba(x);
          const diff = p.sub(tensor(fromGraph, { shape: [n, width] })).abs();
          return { fromTorch: p.toFloat32Array(), batchMax: diff.max().item(), batchSum: diff.sum().item() };
        }));
        // NaN on either side is a difference, not a pass (Math.max would keep NaN, a comparison would not).
        max = Number.isNaN(batchMax) ? Infinity : Math.max(max, batchMax);
        sum += batchSum;
        for (let i = 0; i < n; i++) {
          const a = task.predict(fromTorch.subarray(i * width, (i + 1) * width), decision);
          const g = task.predict(fromGraph.subarray(i * width, (i + 1) * width), decision);
          if (decisionOf(a) !== decisionOf(g)) {
            decisionsDiffer++;
            if (differing.length < 5) differing.push(b.paths[i]!);
          }
        }
        images += n;
      } finally {
        x.dispose();
      }
    }
  } finally {
    task.dispose();
    await session.release();
  }
  const tolerance = opts.tolerance ?? PARITY_TOLERANCE;
  const meanAbsDiff = images > 0 ? sum / (images * width) : NaN;
  return {
    images, maxAbsDiff: max, meanAbsDiff, decisionsDiffer, differing, tolerance,
    passed: images > 0 && max <= tolerance && decisionsDiffer === 0, onnxruntime: ort.env.versions?.common ?? 'unknown',
  };
}

/** The images of `items` decoded with the model's preprocessing (no augmentation), in batches. */
export async function* fileBatches(metadata: ModelMetadata, items: readonly LoaderItem[], skipped: SkippedItem[], batchSize = 16): AsyncIterable<ParityBatch> {
  const loader = new DataLoader(items, {
    imageSize: metadata.imageSize, resize: metadata.resize, dicomWindows: metadata.dicomWindows ?? null, mean: metadata.mean, std: metadata.std,
    batchSize, train: false, cache: null, channelsLast: false, onSkip: (s) => skipped.push(s),
  });
  yield* loader.epoch(0);
}

/**
 * `count` images of seeded random pixels at the model's size: what the check runs on when there is no image of
 * the model's own data (a plain state_dict). They test the graph's arithmetic, not the data it will see.
 */
export async function* randomBatches(metadata: ModelMetadata, count: number, seed = 0, batchSize = 16): AsyncIterable<ParityBatch> {
  const rng = new Rng(seed);
  const s = metadata.imageSize;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const words = new Uint32Array(Math.ceil((n * s * s * 3) / 4));
    for (let i = 0; i < words.length; i++) words[i] = rng.nextU32();
    const pixels = new Uint8Array(words.buffer, 0, n * s * s * 3);
    yield {
      pixels, shape: [n, 3, s, s], layout: 'nchw', jitter: new Array(n).fill(null), mean: metadata.mean, std: metadata.std,
      views: new Array(n).fill({ flip: false }), paths: Array.from({ length: n }, (_, i) => `random image ${start + i + 1}`),
    };
  }
}
