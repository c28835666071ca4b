// The libtorch engine of prediction: the model's forward pass (eval mode, no gradients) on a batch, with test-time
// augmentation (TTA) and the reference results that evaluate reports beside the main one.
import type { ImageClassifier } from '../models/index.js';
import { noGrad, scope, type Tensor } from '../torch/index.js';

/** Test-time augmentation: none, or the mean of the probabilities of the image and its horizontal mirror (fastai's tta). */
export const TTA_MODES = ['flip'] as const;
export type TtaMode = (typeof TTA_MODES)[number];

export interface TorchEngineOptions {
  device?: string;
  /** The model file, named in errors. */
  source?: string;
  tta?: TtaMode | null;
}

/** The model in eval mode without gradients for fn; each module's mode is restored afterwards. */
function inEval<T>(model: ImageClassifier, fn: () => T): T {
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  try {
    return noGrad(fn);
  } finally {
    for (const [m, on] of modes) m.training = on;
  }
}

/**
 * The probabilities of a batch's images x: `main` as the model predicts them (its temperature, TTA when asked),
 * `plain` without TTA (when TTA is on) and `uncalibrated` at temperature 1 (when the model has another one).
 * Each forward pass runs once; the variants only apply the activation differently.
 */
export function probabilityVariants(model: ImageClassifier, x: Tensor, tta: TtaMode | null = null): { main: Tensor; plain?: Tensor; uncalibrated?: Tensor } {
  return inEval(model, () => scope(() => {
    const z = model.forward(x);
    const mirrored = tta === 'flip' ? model.forward(x.flip([3])) : null;
    const view = (t: number) => {
      const p = model.probabilitiesOf(z, t);
      return mirrored ? p.add(model.probabilitiesOf(mirrored, t)).div(2) : p;
    };
    const main = view(model.temperature);
    return {
      main,
      ...(mirrored ? { plain: model.probabilitiesOf(z) } : {}),
      ...(model.temperature !== 1 ? { uncalibrated: view(1) } : {}),
    };
  }));
}
