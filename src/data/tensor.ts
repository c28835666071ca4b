// Hands a loader batch to the engine: pixels and labels as tensors (the only place data meets src/torch).
import { tensor, type Tensor } from '../torch/index.js';
import type { Batch } from './loader.js';

export interface BatchTensors {
  /** [n, 3, h, w] float32; channels-last memory when the loader produced NHWC. */
  x: Tensor;
  /** [n, 1] float32 labels 0/1 (NaN where unknown). */
  y: Tensor;
}

/** Copies a batch into tensors (on `device`, default the CPU). Free them with dispose() or inside a scope. */
export function batchTensors(batch: Batch, device = 'cpu'): BatchTensors {
  const [n, c, h, w] = batch.shape;
  let x: Tensor;
  if (batch.layout === 'nhwc') {
    const nhwc = tensor(batch.x, { shape: [n, h, w, c] });
    x = nhwc.permute(0, 3, 1, 2); // logical NCHW over channels-last memory, as torch's channels_last format
    nhwc.dispose();
  } else {
    x = tensor(batch.x, { shape: [n, c, h, w] });
  }
  let y = tensor(batch.y, { shape: [n, 1] });
  if (device !== 'cpu') {
    const [xd, yd] = [x.to(device), y.to(device)];
    x.dispose();
    y.dispose();
    [x, y] = [xd, yd];
  }
  return { x, y };
}
