// The libtorch engine of prediction: the model's forward pass (eval mode, no gradients) on a batch, with test-time
// augmentation (TTA) and the reference results that evaluate reports beside the main one.
import { orient } from '../data/orientation.js';
import type { ImageClassifier } from '../models/index.js';
import { noGrad, scope, type Tensor } from '../torch/index.js';
import { ttaViews, type TtaMode } from './tta.js';

export interface TorchEngineOptions {
  device?: string;
  /** The model file, named in errors. */
  source?: string;
  tta?: TtaMode | null;
}

/** The model's logits for a batch x (eval mode, no gradients): what temperature scaling is fitted on. */
export function logitsOf(model: ImageClassifier, x: Tensor): Tensor {
  return inEval(model, () => model.forward(x));
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
    // The other views' logits, one forward pass each (its activations freed before the next).
    const others = tta ? ttaViews(tta).slice(1).map((o) => scope(() => model.forward(orient(x, o)))) : [];
    const view = (t: number) => {
      const p = others.reduce((sum, zv) => sum.add(model.probabilitiesOf(zv, t)), model.probabilitiesOf(z, t));
      return others.length ? p.div(others.length + 1) : p;
    };
    const main = view(model.temperature);
    return {
      main,
      ...(others.length ? { plain: model.probabilitiesOf(z) } : {}),
      ...(model.temperature !== 1 ? { uncalibrated: view(1) } : {}),
    };
  }));
}
