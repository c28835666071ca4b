// Emitters of the backbone zoo's convnets (EfficientNet, MobileNetV3) and their layers, each following its
// module's eval-mode forward: Conv2dNormActivation (BatchNorm folded into the Conv, grouped convolutions
// included), SiLU as x·Sigmoid(x), HardSwish / HardSigmoid (ONNX ops, opset 14+), squeeze-excitation
// (GlobalAveragePool, two 1x1 Convs, Mul), stochastic depth (the identity in eval mode), the residual blocks,
// the networks, and the task's head (Dropout then Linear: the logits; the activation is the caller's).
import { GELU, Hardsigmoid, Hardswish, LayerNorm, SiLU, SqueezeExcitation, StochasticDepth, type Module } from '../../nn/index.js';
import {
  Conv2dNormActivation, EfficientNet, FusedMBConv, InvertedResidual, MBConv, MobileNetV3, TaskHead,
} from '../../models/index.js';
import { ones, scope, zeros } from '../../torch/index.js';
import { childPath, registerEmitter, type GraphEmitter } from './emitter.js';

/** A float32 scalar initializer. */
const scalar = (e: GraphEmitter, name: string, v: number): string => e.g.initializer(name, 'float32', [], new Uint8Array(new Float32Array([v]).buffer));
const children = (m: Module, path: string): [string, Module][] => [...m.namedChildren()].map(([n, c]) => [childPath(path, n), c]);

registerEmitter(SiLU, (e, _m, path, x) => e.g.node('Mul', [x, e.g.node('Sigmoid', [x], {}, `${path}.sigmoid`)], {}, path));
registerEmitter(Hardswish, (e, _m, path, x) => e.g.node('HardSwish', [x], {}, path));
// torch's hardsigmoid is relu6(x + 3) / 6: ONNX HardSigmoid with alpha 1/6, beta 0.5.
registerEmitter(Hardsigmoid, (e, _m, path, x) => e.g.node('HardSigmoid', [x], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } }, path));
// The exact GELU: x·(1 + erf(x/√2))/2.
registerEmitter(GELU, (e, _m, path, x) => {
  const g = e.g;
  const scaled = g.node('Div', [x, scalar(e, `${path}.sqrt2`, Math.SQRT2)], {}, `${path}.div`);
  const erf = g.node('Erf', [scaled], {}, `${path}.erf`);
  const one = g.node('Add', [erf, scalar(e, `${path}.one`, 1)], {}, `${path}.add`);
  const half = g.node('Mul', [x, scalar(e, `${path}.half`, 0.5)], {}, `${path}.half_x`);
  return g.node('Mul', [half, one], {}, path);
});
// LayerNormalization (opset 17) over the trailing normalised dimensions.
registerEmitter(LayerNorm, (e, m, path, x) => {
  const [scale, bias] = scope(() => [
    e.tensor(`${path}.weight`, m.weight ?? ones(m.normalizedShape)), e.tensor(`${path}.bias`, m.bias ?? zeros(m.normalizedShape)),
  ]);
  return e.g.node('LayerNormalization', [x, scale, bias], { axis: -m.normalizedShape.length, epsilon: { float: m.eps } }, path);
});
registerEmitter(StochasticDepth, (_e, _m, _path, x) => x);
// SqueezeExcitation.scale's order (avgpool, fc1, activation, fc2, scale_activation), not the registration order
// (torchvision registers fc2 before activation).
registerEmitter(SqueezeExcitation, (e, m, path, x) => {
  const scale = e.chain(['avgpool', 'fc1', 'activation', 'fc2', 'scale_activation'].map((n) => [childPath(path, n), m.getSubmodule(n)] as const), x);
  return e.g.node('Mul', [scale, x], {}, `${path}.scale`);
});
registerEmitter(Conv2dNormActivation, (e, m, path, x) => e.chain(children(m, path), x));
registerEmitter(TaskHead, (e, m, path, x) => e.chain([[childPath(path, '0'), m.at(0)], [childPath(path, '1'), m.at(1)]], x));

/** The block's branch, plus the input when the block is residual (stochastic depth is the identity in eval mode). */
function residual(e: GraphEmitter, m: MBConv | FusedMBConv | InvertedResidual, path: string, x: string): string {
  const y = e.child(m, 'block', path, x);
  return m.useResConnect ? e.g.node('Add', [y, x], {}, `${path}.add`) : y;
}
registerEmitter(MBConv, residual);
registerEmitter(FusedMBConv, residual);
registerEmitter(InvertedResidual, residual);

/** features, avgpool, flatten, classifier: the networks' forward. */
function convnet(e: GraphEmitter, m: EfficientNet | MobileNetV3, path: string, x: string): string {
  let y = e.child(m, 'features', path, x);
  y = e.child(m, 'avgpool', path, y);
  y = e.g.node('Flatten', [y], { axis: 1 }, childPath(path, 'flatten'));
  return e.child(m, 'classifier', path, y);
}
registerEmitter(EfficientNet, convnet);
registerEmitter(MobileNetV3, convnet);
