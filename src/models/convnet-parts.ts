// Parts shared by torchvision's mobile convnets (EfficientNet, MobileNetV3, RegNet): Conv2dNormActivation (conv
// without bias when a norm follows, "same" padding; an eval-mode norm folded into the conv where no gradient
// flows), _make_divisible, and their common initialisation loop.
import { dispose, F, isGradEnabled, keep, versionKey, type Tensor } from '../torch/index.js';
import { BatchNorm2d, Conv2d, Linear, Sequential, init, type Module } from '../nn/index.js';
import { runChain } from './chain.js';

/** torchvision.ops.Conv2dNormActivation: Conv2d, norm, activation (each optional but the conv), as a Sequential. */
export class Conv2dNormActivation extends Sequential {
  constructor(inC: number, outC: number, kernel: number, o: { stride?: number; groups?: number; norm?: (c: number) => Module; activation?: () => Module } = {}) {
    const layers: Module[] = [new Conv2d(inC, outC, kernel, { stride: o.stride ?? 1, padding: (kernel - 1) >> 1, groups: o.groups ?? 1, bias: !o.norm })];
    if (o.norm) layers.push(o.norm(outC));
    if (o.activation) layers.push(o.activation());
    super(...layers);
  }
  /** The convolution's weight and bias with the eval-mode norm folded in, and what they were made from. */
  #folded: { key: string; weight: Tensor; bias: Tensor } | undefined;

  /**
   * With the norm in eval mode and no gradient to compute here (evaluation, prediction, a frozen block in
   * training), one convolution carries the norm: a pass over the activations less (mobilenet_v3_small's eval
   * forward 7 % faster). Where gradients flow, the two ops run, as in torchvision.
   */
  override forward(x: Tensor): Tensor {
    const [conv, norm, ...rest] = this;
    const folded = conv instanceof Conv2d && norm instanceof BatchNorm2d && !needsGradient(x, [conv.weight, conv.bias, norm.weight, norm.bias])
      ? this.foldedNorm(conv, norm) : undefined;
    if (folded) return runChain(x, [(t: Tensor) => (conv as Conv2d).forwardWithWeights(t, folded.weight, folded.bias), ...rest]);
    return runChain(x, [...this]);
  }

  /**
   * The folded weights, made again whenever a tensor they come from may have changed: an optimizer step, a loaded
   * state, a move, a training-mode forward (which counts num_batches_tracked up; libtorch 1.13's batch norm updates
   * the running statistics without a version bump). Undefined where the norm normalises with batch statistics.
   */
  private foldedNorm(conv: Conv2d, norm: BatchNorm2d): { weight: Tensor; bias: Tensor } | undefined {
    const stats = norm.evalStatistics();
    if (!stats) return undefined;
    const sources = [conv.weight, conv.bias, stats.runningMean, stats.runningVar, stats.weight, stats.bias, norm.numBatchesTracked];
    const key = versionKey(sources.filter((t): t is Tensor => t !== undefined));
    if (!key) return undefined;
    if (this.#folded?.key !== key) {
      this.disposeCaches();
      const [weight, bias] = keep(F.foldBatchNorm(conv.weight, conv.bias, stats));
      this.#folded = { key, weight, bias };
    }
    return this.#folded;
  }

  protected override disposeCaches(): void {
    if (this.#folded) dispose([this.#folded.weight, this.#folded.bias]);
    this.#folded = undefined;
  }
}

/** Whether autograd needs the ops on x and these parameters: gradients are on and flow to one of them. */
function needsGradient(x: Tensor, params: readonly (Tensor | undefined)[]): boolean {
  return isGradEnabled() && (x.requiresGrad || params.some((p) => p?.requiresGrad));
}

/** torchvision's _make_divisible (from the TF repo): the nearest multiple of `divisor`, not below 90 % of v. */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  let n = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/**
 * The initialisation loop of torchvision's EfficientNet and MobileNetV3 over `modules` (in registration order):
 * convolutions kaiming_normal_ fan_out (bias 0), norms 1 / 0, Linear by `linear` (bias 0).
 */
export function initConvnet(modules: Iterable<Module>, linear: (l: Linear) => void): void {
  for (const m of modules) {
    if (m instanceof Conv2d) {
      init.kaimingNormal_(m.weight, { mode: 'fan_out' });
      if (m.bias) init.zeros_(m.bias);
    } else if (m instanceof BatchNorm2d) {
      if (m.weight) init.ones_(m.weight);
      if (m.bias) init.zeros_(m.bias);
    } else if (m instanceof Linear) {
      linear(m);
      if (m.bias) init.zeros_(m.bias);
    }
  }
}
