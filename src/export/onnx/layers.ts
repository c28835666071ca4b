// Emitters of src/nn's layers. Each writes the ONNX ops that compute the layer's eval-mode forward.
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, Identity, Linear, MaxPool2d, ReLU, Sequential, Sigmoid,
} from '../../nn/index.js';
import { ones, scope, zeros } from '../../torch/index.js';
import { registerEmitter } from './emitter.js';

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

registerEmitter(Conv2d, (e, m, path, x) => e.conv(m, path, x));

// A BatchNorm2d with no convolution before it (none in ResNets: those are folded) stays a BatchNormalization.
registerEmitter(BatchNorm2d, (e, m, path, x) => {
  if (!m.runningMean || !m.runningVar) throw new Error(`${path}: BatchNorm2d without running statistics normalises with each batch's own statistics, which an exported graph cannot do`);
  const n = m.numFeatures;
  const [scale, bias] = scope(() => [
    e.tensor(`${path}.weight`, m.weight ?? ones([n])), e.tensor(`${path}.bias`, m.bias ?? zeros([n])),
  ]);
  const mean = e.tensor(`${path}.running_mean`, m.runningMean);
  const variance = e.tensor(`${path}.running_var`, m.runningVar);
  return e.g.node('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: { float: m.eps } }, path);
});

registerEmitter(ReLU, (e, _m, path, x) => e.g.node('Relu', [x], {}, path));
registerEmitter(Sigmoid, (e, _m, path, x) => e.g.node('Sigmoid', [x], {}, path));
// Identity in eval mode: no node at all.
registerEmitter(Dropout, (_e, _m, _path, x) => x);
registerEmitter(Identity, (_e, _m, _path, x) => x);

registerEmitter(MaxPool2d, (e, m, path, x) => {
  const o = m.options;
  const [ph, pw] = pair(o.padding ?? 0);
  return e.g.node('MaxPool', [x], {
    kernel_shape: pair(m.kernelSize), strides: pair(o.stride ?? m.kernelSize), pads: [ph, pw, ph, pw],
    dilations: pair(o.dilation ?? 1), ceil_mode: o.ceilMode ? 1 : 0,
  }, path);
});

registerEmitter(AdaptiveAvgPool2d, (e, m, path, x) => {
  const [h, w] = pair(m.outputSize);
  if (h !== 1 || w !== 1) throw new Error(`${path}: AdaptiveAvgPool2d to ${h}×${w} has no ONNX mapping here (only to 1×1: GlobalAveragePool)`);
  return e.g.node('GlobalAveragePool', [x], {}, path);
});

registerEmitter(Flatten, (e, m, path, x) => {
  // ONNX Flatten makes 2-D [prod(dims < axis), prod(dims ≥ axis)]: torch's flatten(startDim, -1) when 2-D.
  if (m.endDim !== -1 || m.startDim !== 1) throw new Error(`${path}: Flatten(${m.startDim}, ${m.endDim}) has no ONNX mapping here (only Flatten(1, -1))`);
  return e.g.node('Flatten', [x], { axis: 1 }, path);
});

// y = x·Wᵀ + b: Gemm with transB, W kept as stored ([out, in]).
registerEmitter(Linear, (e, m, path, x) => {
  const w = e.tensor(`${path}.weight`, m.weight);
  const inputs = m.bias ? [x, w, e.tensor(`${path}.bias`, m.bias)] : [x, w];
  return e.g.node('Gemm', inputs, { transB: 1 }, path);
});

registerEmitter(Sequential, (e, m, path, x) =>
  e.chain([...m.namedChildren()].map(([name, child]) => [path === '' ? name : `${path}.${name}`, child] as const), x));
