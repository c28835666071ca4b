// Mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019) as timm's Mixup in its default 'batch' mode: one draw
// per batch, each image mixed with the batch's mirror image (x.flip(0); the sampler has shuffled the batch
// already). Mixup: x·λ + x.flip(0)·(1 − λ), λ ~ Beta(α, α). CutMix: a box of about (1 − λ) of the image taken from
// the mirror image, λ then corrected to the box's real area (timm's rand_bbox and correct_lam). With both, each
// batch picks one, CutMix with probability 0.5 (timm's switch_prob). The loss is λ·L(y) + (1 − λ)·L(y.flip(0)),
// fastai's MixUp loss, which for cross-entropy and BCE (linear in their targets) equals timm's loss on mixed soft
// targets, class weights, pos_weight and label smoothing included. The draws come from a stream of the run's seed,
// the epoch and the batch, so a resumed epoch mixes as the first try did.
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

/** Rows [top, bottom) and columns [left, right) of a CutMix box. */
export interface Box { top: number; bottom: number; left: number; right: number }

/**
 * timm's rand_bbox (margin 0) for a centre (cy, cx): a box of int(h·√(1 − λ)) by int(w·√(1 − λ)) around it,
 * clipped to the image.
 */
export function cutmixBox(h: number, w: number, lambda: number, cy: number, cx: number): Box {
  const ratio = Math.sqrt(1 - lambda);
  const ch = Math.trunc(h * ratio), cw = Math.trunc(w * ratio);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return {
    top: clip(cy - Math.floor(ch / 2), h), bottom: clip(cy + Math.floor(ch / 2), h),
    left: clip(cx - Math.floor(cw / 2), w), right: clip(cx + Math.floor(cw / 2), w),
  };
}

/** How a batch is mixed: λ, and the box when it is CutMix's. */
export interface MixDraw { lambda: number; box: Box | null }

/** Mixup's and CutMix's alphas (null: that one is off; at least one is set). */
export interface MixSettings { mixupAlpha: number | null; cutmixAlpha: number | null }

/** The run's mixing (config mixup, cutmix), or null when it mixes nothing. */
export function mixSettingsOf(config: { mixup: { alpha: number } | null; cutmix: { alpha: number } | null }): MixSettings | null {
  return config.mixup || config.cutmix ? { mixupAlpha: config.mixup?.alpha ?? null, cutmixAlpha: config.cutmix?.alpha ?? null } : null;
}

/** The draw of batch `batch` of (global) epoch `epoch` for h × w images. */
export function mixDraw(m: MixSettings, seed: number, epoch: number, batch: number, h: number, w: number): MixDraw {
  const rng = new Rng(deriveSeed(seed, 'mixup', epoch, batch));
  const cutmix = m.cutmixAlpha !== null && (m.mixupAlpha === null || rng.next() < 0.5);
  if (!cutmix) return { lambda: betaSample(rng, m.mixupAlpha!, m.mixupAlpha!), box: null };
  const drawn = betaSample(rng, m.cutmixAlpha!, m.cutmixAlpha!);
  const box = cutmixBox(h, w, drawn, rng.int(0, h - 1), rng.int(0, w - 1));
  // correct_lam: the share of the image that stayed its own.
  return { lambda: 1 - ((box.bottom - box.top) * (box.right - box.left)) / (h * w), box };
}

/** The mixed inputs [N, C, H, W]: x·λ + x.flip(0)·(1 − λ), or x with the box taken from x.flip(0). */
export function mixInputs(x: Tensor, draw: MixDraw): Tensor {
  const mirror = x.flip([0]);
  if (!draw.box) return x.mul(draw.lambda).add(mirror.mul(1 - draw.lambda));
  const { top, bottom, left, right } = draw.box;
  const out = x.clone();
  const window = (t: Tensor) => t.narrow(2, top, bottom - top).narrow(3, left, right - left);
  window(out).copy_(window(mirror));
  return out;
}

/** The mixed loss from the task's loss on the logits of mixed inputs: λ·L(y) + (1 − λ)·L(y.flip(0)). */
export function mixupLoss(loss: (targets: Tensor) => Tensor, y: Tensor, lambda: number): Tensor {
  return loss(y).mul(lambda).add(loss(y.flip([0])).mul(1 - lambda));
}
