// Gradient clipping by norm, as torch.nn.utils.clip_grad_norm_ (torch 1.13): the norm of all the gradients
// together (the norm of their norms), and every gradient scaled by max_norm / (norm + 1e-6) when that is below 1.
// In libtorch, in the same order of operations, so the clipped gradients equal PyTorch's.
import { keep, noGrad, scope, stack, type Tensor } from '../torch/index.js';

/**
 * Scales the gradients of `params` in place so that their total `normType`-norm is at most `maxNorm`
 * (Infinity: the largest absolute value). Returns the total norm before clipping, a 0-d tensor (dispose it),
 * or null when no parameter has a gradient. No host sync: on CUDA the step goes on without waiting.
 */
export function clipGradNorm_(params: readonly Tensor[], maxNorm: number, normType = 2): Tensor | null {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm_: maxNorm must be a positive number, got ${maxNorm}`);
  if (!(normType > 0)) throw new Error(`clipGradNorm_: normType must be positive (or Infinity), got ${normType}`);
  return noGrad(() => scope(() => {
    const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== undefined);
    if (grads.length === 0) return null;
    const norms = grads.map((g) => (normType === Infinity ? g.abs().max() : g.norm(normType)));
    let total: Tensor;
    if (normType === Infinity) total = norms.length === 1 ? norms[0]! : stack(norms).max();
    else total = stack(norms).norm(normType);
    // max_norm / (total + 1e-6) as torch evaluates it: (total + 1e-6).reciprocal() * max_norm.
    const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(undefined, 1);
    for (const g of grads) g.mul_(coef);
    return keep(total);
  }));
}
