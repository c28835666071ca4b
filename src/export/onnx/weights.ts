// Weights for the graph: a tensor's float32 bytes as an initializer's raw_data, and BatchNorm folded into the
// convolution before it. The folding is the arithmetic of PyTorch's fuse_conv_bn_eval (eval-mode running
// statistics, float32, the same order of operations): F.foldBatchNorm, which eval-mode forwards use too.
import * as os from 'node:os';
import { F, noGrad, scope, type Tensor } from '../../torch/index.js';
import type { BatchNorm2d, Conv2d } from '../../nn/index.js';

/**
 * The elements of `t` as little-endian float32 bytes, row-major (what ONNX's raw_data holds). The tensor is
 * copied to the CPU and converted to float32 (a model kept in float64 exports in float32, as ONNX's
 * float graphs run); channels-last memory comes back in logical order.
 */
export function float32Bytes(t: Tensor): Uint8Array {
  // raw_data is little-endian by ONNX's definition; the typed arrays below use the host's order.
  if (os.endianness() !== 'LE') throw new Error('ONNX export needs a little-endian host');
  const f = scope(() => noGrad(() => (t.dtype === 'float32' ? t.data<'float32'>() : t.toFloat32Array())));
  return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
}

/** The convolution's weight and bias with BatchNorm folded in: conv(x, W', b') = bn(conv(x, W, b)) in eval mode. */
export interface FoldedConv {
  weight: Tensor;
  bias: Tensor;
}

/**
 * Folds `bn` (eval mode: its running statistics) into `conv`:
 *   s = γ / √(σ² + ε),  W' = W · s (per output channel),  b' = (b − μ) · s + β   (b = 0 without a conv bias),
 * computed as fuse_conv_bn_weights does: rsqrt(σ² + ε), then ((b − μ) · rsqrt) · γ + β (F.foldBatchNorm). The
 * returned tensors belong to the caller's scope. `what` names the pair in errors (the module path).
 */
export function foldConvBn(conv: Conv2d, bn: BatchNorm2d, what: string): FoldedConv {
  const mean = bn.runningMean, variance = bn.runningVar;
  if (!mean || !variance) throw new Error(`${what}: BatchNorm2d without running statistics normalises with each batch's own statistics, which an exported graph cannot do`);
  const out = conv.outChannels;
  if (bn.numFeatures !== out) throw new Error(`${what}: BatchNorm2d over ${bn.numFeatures} channels follows a Conv2d with ${out} output channels`);
  const [weight, bias] = F.foldBatchNorm(conv.weight, conv.bias, { runningMean: mean, runningVar: variance, weight: bn.weight, bias: bn.bias, eps: bn.eps });
  return { weight, bias };
}
