// Mixup (Zhang et al. 2018) as timm's Mixup in its default 'batch' mode: one λ ~ Beta(α, α) per batch, each image
// mixed with the batch's mirror image (x·λ + x.flip(0)·(1 − λ); the sampler has shuffled the batch already), and
// the loss λ·L(y) + (1 − λ)·L(y.flip(0)), fastai's MixUp loss, which for cross-entropy and BCE (linear in their
// targets) equals timm's loss on mixed soft targets, class weights, pos_weight and label smoothing included.
// λ comes from a stream of the run's seed, the epoch and the batch, so a resumed epoch mixes as the first try did.
import type { Tensor } from '../torch/index.js';
import { deriveSeed, Rng } from '../data/rng.js';

/** A Gamma(shape, 1) draw: Marsaglia and Tsang (2000), with Gamma(a) = Gamma(a + 1) · U^(1/a) below shape 1. */
function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * rng.next() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      // A standard normal by Box–Muller (1 − next() is in (0, 1], so the log is finite).
      x = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Beta(a, b) draw, as the ratio of two Gamma draws. */
export function betaSample(rng: Rng, a: number, b: number): number {
  const x = gamma(rng, a);
  const y = gamma(rng, b);
  // Both underflow to 0 only for tiny shapes; a fair coin is the limit of Beta(a, a) as a → 0.
  return x + y > 0 ? x / (x + y) : (rng.next() < a / (a + b) ? 1 : 0);
}

/** The λ of batch `batch` of (global) epoch `epoch`: Beta(α, α) from the run's seed. */
export function mixupLambda(alpha: number, seed: number, epoch: number, batch: number): number {
  return betaSample(new Rng(deriveSeed(seed, 'mixup', epoch, batch)), alpha, alpha);
}

/** The mixed inputs: x·λ + x.flip(0)·(1 − λ). */
export function mixInputs(x: Tensor, lambda: number): Tensor {
  return x.mul(lambda).add(x.flip([0]).mul(1 - lambda));
}

/** The mixup loss from the task's loss on the logits of mixed inputs: λ·L(y) + (1 − λ)·L(y.flip(0)). */
export function mixupLoss(loss: (targets: Tensor) => Tensor, y: Tensor, lambda: number): Tensor {
  return loss(y).mul(lambda).add(loss(y.flip([0])).mul(1 - lambda));
}
