// Loss weights as kept tensors on the run's device (a task owns them and frees them with dispose()).
import { keep, scope, tensor, type Tensor } from '../torch/index.js';

export function weightTensor(values: readonly number[] | null, device: string): Tensor | undefined {
  if (values === null) return undefined;
  return keep(scope(() => {
    const t = tensor(Float32Array.from(values), { shape: [values.length] });
    return device === 'cpu' ? t : t.to(device);
  }));
}
