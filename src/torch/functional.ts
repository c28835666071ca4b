// Neural-network functions (torch.nn.functional), each one ATen call.
import { native, type Handle } from './native.js';
import { type Tensor, wrap } from './tensor.js';
import { scope } from './scope.js';

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);
export type Reduction = 'none' | 'mean' | 'sum';
const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor, o: Conv2dOptions = {}): Tensor {
  return wrap(native.conv2d(x.handle, weight.handle, bias?.handle, pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.groups ?? 1));
}

/** The running statistics and affine parameters of an eval-mode batch norm. */
export interface BatchNormEval {
  runningMean: Tensor;
  runningVar: Tensor;
  weight?: Tensor | undefined;
  bias?: Tensor | undefined;
  eps: number;
}
/**
 * An eval-mode batch norm folded into the convolution before it: [weight, bias] such that conv2d with them equals
 * conv2d then batchNorm up to float rounding. With r = 1/√(var+ε): weight W·(γ·r) per output channel, bias
 * ((b − mean)·r)·γ + β, in the order of PyTorch's fuse_conv_bn_weights. Never part of an autograd graph.
 */
export function foldBatchNorm(weight: Tensor, bias: Tensor | undefined, bn: BatchNormEval): [Tensor, Tensor] {
  const [w, b] = native.foldBatchNorm(weight.handle, bias?.handle, bn.runningMean.handle, bn.runningVar.handle,
    bn.weight?.handle, bn.bias?.handle, bn.eps) as [Handle, Handle];
  return [wrap(w), wrap(b)];
}

/** Batch normalisation; in training mode the running statistics are updated in place, as PyTorch does. */
export function batchNorm(
  x: Tensor, runningMean: Tensor | undefined, runningVar: Tensor | undefined, weight: Tensor | undefined,
  bias: Tensor | undefined, training: boolean, momentum = 0.1, eps = 1e-5,
): Tensor {
  return wrap(native.batchNorm(x.handle, weight?.handle, bias?.handle, runningMean?.handle, runningVar?.handle, training, momentum, eps));
}

export function maxPool2d(x: Tensor, kernel: Pair, stride?: Pair, padding: Pair = 0, dilation: Pair = 1, ceilMode = false): Tensor {
  return wrap(native.maxPool2d(x.handle, pair(kernel), pair(stride ?? kernel), pair(padding), pair(dilation), ceilMode));
}
export function avgPool2d(x: Tensor, kernel: Pair, stride?: Pair, padding: Pair = 0, ceilMode = false, countIncludePad = true): Tensor {
  return wrap(native.avgPool2d(x.handle, pair(kernel), pair(stride ?? kernel), pair(padding), ceilMode, countIncludePad));
}
export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair): Tensor {
  return wrap(native.adaptiveAvgPool2d(x.handle, pair(outputSize)));
}
/** F.interpolate(x, size=[h, w], mode='bilinear', align_corners) on an [N, C, H, W] tensor. */
export function upsampleBilinear2d(x: Tensor, size: Pair, alignCorners = false): Tensor {
  return wrap(native.upsampleBilinear2d(x.handle, pair(size), alignCorners));
}
/**
 * F.grid_sample(x, grid, mode, padding_mode='zeros', align_corners): x [N, C, H, W] float sampled at grid
 * [N, H', W', 2] ((x, y) in [-1, 1]); points outside read zeros.
 */
export function gridSample(x: Tensor, grid: Tensor, mode: 'bilinear' | 'nearest' = 'bilinear', alignCorners = false): Tensor {
  return wrap(native.gridSampler(x.handle, grid.handle, mode === 'bilinear' ? 0 : 1, 0, alignCorners));
}
/** torch.bincount(x, minlength): counts of each value of a 1-D non-negative integer tensor, as int64. */
export function bincount(x: Tensor, minlength = 0): Tensor {
  return wrap(native.bincount(x.handle, minlength));
}
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  return wrap(native.linear(x.handle, weight.handle, bias?.handle));
}
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  return wrap(native.dropout(x.handle, p, training));
}
export const relu = (x: Tensor): Tensor => x.relu();
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
export const softmax = (x: Tensor, dim: number): Tensor => wrap(native.softmax(x.handle, dim));
export const logSoftmax = (x: Tensor, dim: number): Tensor => wrap(native.logSoftmax(x.handle, dim));

export interface BCEOptions {
  weight?: Tensor;
  posWeight?: Tensor;
  reduction?: Reduction;
}
/** BCE on logits: the numerically stable and autocast-safe form of Sigmoid + BCELoss. */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, o: BCEOptions = {}): Tensor {
  return wrap(native.binaryCrossEntropyWithLogits(logits.handle, target.handle, o.weight?.handle, o.posWeight?.handle, REDUCTION[o.reduction ?? 'mean']));
}
/**
 * torchvision.ops.sigmoid_focal_loss (Lin et al. 2017): BCE-with-logits scaled by (1 - p_t)^gamma, where p_t is the
 * probability given to the true label, so that confident right answers weigh little; then by alpha_t (alpha for
 * positives, 1 - alpha for negatives) unless alpha is null. Composed of ATen ops as torchvision composes it.
 */
export function sigmoidFocalLoss(logits: Tensor, target: Tensor, o: { gamma?: number; alpha?: number | null; reduction?: Reduction } = {}): Tensor {
  const gamma = o.gamma ?? 2;
  const alpha = o.alpha === undefined ? 0.25 : o.alpha;
  const reduction = o.reduction ?? 'mean';
  return scope(() => {
    const p = logits.sigmoid();
    const ce = binaryCrossEntropyWithLogits(logits, target, { reduction: 'none' });
    const pt = p.mul(target).add(p.rsub(1).mul(target.rsub(1)));
    let loss = ce.mul(pt.rsub(1).pow(gamma));
    if (alpha !== null) loss = target.mul(alpha).add(target.rsub(1).mul(1 - alpha)).mul(loss);
    return reduction === 'mean' ? loss.mean() : reduction === 'sum' ? loss.sum() : loss;
  });
}
/**
 * The focal loss over a softmax, as kornia.losses.focal_loss (Lin et al. 2017's multi-class form): per image
 * −alpha·w[y]·(1 − p_y)^gamma·log p_y, p_y the softmax probability of its class y (logits [N, C], target [N] int64);
 * `weight` one factor per class ([C]; none: 1), alpha a factor of every term (null: 1). 'mean' is over the images,
 * so gamma 0 without alpha or weights is cross_entropy.
 */
export function softmaxFocalLoss(logits: Tensor, target: Tensor, o: { gamma?: number; alpha?: number | null; weight?: Tensor; reduction?: Reduction } = {}): Tensor {
  const gamma = o.gamma ?? 2;
  const reduction = o.reduction ?? 'mean';
  return scope(() => {
    const logPy = logSoftmax(logits, 1).gather(1, target.unsqueeze(1)).squeeze(1);
    let loss = logPy.neg();
    if (gamma !== 0) loss = loss.mul(logPy.exp().rsub(1).pow(gamma));
    if (o.weight) loss = loss.mul(o.weight.indexSelect(0, target));
    if (o.alpha !== undefined && o.alpha !== null) loss = loss.mul(o.alpha);
    return reduction === 'mean' ? loss.mean() : reduction === 'sum' ? loss.sum() : loss;
  });
}
export function binaryCrossEntropy(prob: Tensor, target: Tensor, o: { weight?: Tensor; reduction?: Reduction } = {}): Tensor {
  return wrap(native.binaryCrossEntropy(prob.handle, target.handle, o.weight?.handle, REDUCTION[o.reduction ?? 'mean']));
}
export function mseLoss(x: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return wrap(native.mseLoss(x.handle, target.handle, REDUCTION[reduction]));
}
export interface CrossEntropyOptions {
  /** One weight per class ([C]). */
  weight?: Tensor;
  reduction?: Reduction;
  ignoreIndex?: number;
  /** torch's label_smoothing in [0, 1): the target mixes (1 - s) of the one-hot with s of the uniform distribution. */
  labelSmoothing?: number;
}
/** Cross-entropy on logits [N, C] against class indices [N] (int64), as torch.nn.functional.cross_entropy. */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return wrap(native.crossEntropy(logits.handle, target.handle, o.weight?.handle, REDUCTION[o.reduction ?? 'mean'], o.ignoreIndex ?? -100,
    o.labelSmoothing ?? 0));
}

// ---- backbone zoo (issue 21): the activations and normalisation of EfficientNet, MobileNetV3, ConvNeXt, ViT ----
/** x·sigmoid(x) (torch.nn.functional.silu, EfficientNet's activation). */
export const silu = (x: Tensor): Tensor => wrap(native.silu(x.handle));
/** x·relu6(x + 3)/6 (MobileNetV3). */
export const hardswish = (x: Tensor): Tensor => wrap(native.hardswish(x.handle));
/** relu6(x + 3)/6 (MobileNetV3's squeeze-excitation gate). */
export const hardsigmoid = (x: Tensor): Tensor => wrap(native.hardsigmoid(x.handle));
/** The exact (erf) GELU, torch's default approximate='none'. */
export const gelu = (x: Tensor): Tensor => wrap(native.gelu(x.handle));
/** Layer normalisation over the trailing dimensions `normalizedShape`, as torch.nn.functional.layer_norm. */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  return wrap(native.layerNorm(x.handle, [...normalizedShape], weight?.handle, bias?.handle, eps));
}

// ---- the transformer pieces of ViT and ConvNeXt (issue 21) ----
/** Batched matrix product of [B, n, m] and [B, m, p]. */
export const bmm = (a: Tensor, b: Tensor): Tensor => wrap(native.bmm(a.handle, b.handle));
/**
 * torch._native_multi_head_attention for self-attention without a mask, the output only: x [N, L, E], the packed
 * in-projection inProjWeight [3E, E] / inProjBias [3E] and the out-projection [E, E] / [E]. It is the path that
 * nn.MultiheadAttention takes in eval mode when no gradient is recorded; it has no autograd formula.
 */
export function nativeSelfAttention(x: Tensor, numHeads: number, inProjWeight: Tensor, inProjBias: Tensor, outProjWeight: Tensor,
  outProjBias: Tensor): Tensor {
  return wrap(native.nativeMultiHeadAttention(x.handle, x.size(-1), numHeads, inProjWeight.handle, inProjBias.handle,
    outProjWeight.handle, outProjBias.handle));
}
