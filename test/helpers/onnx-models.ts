// Fixtures for the ONNX export tests: small classifiers whose BatchNorm layers have non-trivial statistics and
// affine parameters (so that folding them into the convolutions is really exercised), their metadata, and
// running an exported graph through onnxruntime-node.
import { BatchNorm2d, Conv2d } from '../../src/nn/index.js';
import { ImageClassifier, seedMetadata, type ModelMetadata } from '../../src/models/index.js';
import type { Arch, TaskKind } from '../../src/models/index.js';
import { cpuSessionOptions, onnxRuntime } from '../../src/onnx/index.js';
import { manualSeed, noGrad } from '../../src/torch/index.js';

/** Random BatchNorm statistics and affine parameters; convolutions rescaled to keep activations moderate. */
export function randomizeBatchNorm(model: ImageClassifier): void {
  noGrad(() => {
    for (const m of model.modules()) {
      if (m instanceof BatchNorm2d) {
        m.runningMean!.normal_(0, 0.2);
        m.runningVar!.uniform_(0.3, 2);
        m.weight!.uniform_(0.4, 1.2);
        m.bias!.normal_(0, 0.2);
      } else if (m instanceof Conv2d && m.bias) {
        m.bias.normal_(0, 0.1);
      }
    }
  });
}

const CLASSES: Record<TaskKind, string[]> = {
  binary: ['cat', 'dog'], multiclass: ['ant', 'bee', 'cow', 'dog'], multilabel: ['sky', 'sea', 'tree'],
};

/** A seeded classifier for `task` with random BatchNorm state, and metadata that describes it. */
export function tinyClassifier(task: TaskKind, arch: Arch, imageSize = 32, seed = 7): { model: ImageClassifier; metadata: ModelMetadata } {
  manualSeed(seed);
  const classes = CLASSES[task];
  const model = new ImageClassifier({
    arch, outputs: task === 'binary' ? 1 : classes.length, activation: task === 'multiclass' ? 'softmax' : 'sigmoid',
  });
  randomizeBatchNorm(model);
  const metadata: ModelMetadata = {
    ...seedMetadata(arch), task, classes, positiveClass: task === 'binary' ? classes[1]! : null, imageSize,
    thresholds: task === 'multilabel' ? [0.4, 0.5, 0.6] : null, threshold: task === 'binary' ? 0.35 : 0.5,
    phase: 'head', epoch: 3, metrics: { val_loss: 0.25, val_auc: null }, weights: 'none', createdAt: '2026-01-02T03:04:05.000Z',
    extra: { seed },
  };
  return { model, metadata };
}

/** Runs an exported graph on one input with onnxruntime-node (2 threads); the probabilities, row-major. */
export async function runOnnx(bytes: Uint8Array, data: Float32Array | Uint8Array, shape: number[]): Promise<Float32Array> {
  const ort = await onnxRuntime();
  const session = await ort.InferenceSession.create(bytes, cpuSessionOptions(2));
  try {
    const input = new ort.Tensor(data instanceof Uint8Array ? 'uint8' : 'float32', data, shape);
    const out = await session.run({ input });
    return out.probabilities!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Largest |a − b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(worst) ? Infinity : worst;
}
