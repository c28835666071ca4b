// Applying layers one after another while freeing each intermediate result as soon as the next exists.
// Inside a `scope` every intermediate would otherwise stay alive until the scope ends, which for a
// ResNet50 batch means holding every activation of the forward pass at once (gigabytes), even under
// noGrad. Disposing a handle only drops this reference: autograd keeps whatever backward needs.
import type { Tensor } from '../torch/index.js';

export interface Layer {
  forward(x: Tensor): Tensor;
}

/** A layer, or a function of one tensor. In-place functions must only be given tensors made in the chain. */
export type Step = Layer | ((t: Tensor) => Tensor);

/** fn(x) for each fn in order; frees the intermediates but never `x` (the caller's) or the result. */
export function runChain(x: Tensor, layers: Iterable<Step>): Tensor {
  let y = x;
  for (const layer of layers) {
    const z = typeof layer === 'function' ? layer(y) : layer.forward(y);
    // An in-place layer or an identity returns the same tensor: it must stay alive.
    if (y !== x && z !== y) y.dispose();
    y = z;
  }
  return y;
}
