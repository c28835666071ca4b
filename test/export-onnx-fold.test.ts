// The ONNX writer's parts: BatchNorm folded into a convolution is exact (against libtorch's own unfolded
// Conv2d → BatchNorm2d, and bit for bit against PyTorch's fuse_conv_bn_eval), and a module type without an
// emitter is refused by path and type instead of being exported as a wrong graph.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { exportOnnx, foldConvBn, GraphEmitter, UnsupportedModuleError } from '../src/export/index.js';
import { BatchNorm2d, Conv2d, Linear, Module, ReLU, Sequential } from '../src/nn/index.js';
import { GraphBuilder } from '../src/onnx/index.js';
import { F, manualSeed, memory, noGrad, randn, scope, type Tensor } from '../src/torch/index.js';
import { runPython } from './helpers/python.js';
import { tinyClassifier } from './helpers/onnx-models.js';

/** A Conv2d → BatchNorm2d pair with random weights, statistics, affine parameters and eps. */
function convBn(bias: boolean, eps: number): { conv: Conv2d; bn: BatchNorm2d } {
  const conv = new Conv2d(5, 8, 3, { stride: 2, padding: 1, bias });
  const bn = new BatchNorm2d(8, { eps });
  noGrad(() => {
    bn.runningMean!.normal_(0, 1);
    bn.runningVar!.uniform_(0.01, 4);
    bn.weight!.normal_(1, 0.5);
    bn.bias!.normal_(0, 1);
  });
  return { conv, bn };
}

/** max |a − b| / max |b|: the error relative to the output's scale. */
const relativeError = (a: Tensor, b: Tensor): number => scope(() => a.sub(b).abs().max().item() / b.abs().max().item());

for (const bias of [false, true]) {
  test(`Conv2d${bias ? ' with bias' : ''} + BatchNorm2d folded: the folded conv equals libtorch's unfolded pair within float32 rounding`, () => {
    manualSeed(3);
    const { conv, bn } = convBn(bias, 1e-3);
    conv.eval();
    bn.eval();
    const live = memory().tensors;
    scope(() => noGrad(() => {
      const x = randn([4, 5, 11, 11]);
      const reference = bn.forward(conv.forward(x));
      const { weight, bias: b } = foldConvBn(conv, bn, 'pair');
      const folded = F.conv2d(x, weight, b, { stride: conv.stride, padding: conv.padding });
      const err = relativeError(folded, reference);
      assert.ok(err <= 1e-6, `relative error ${err}`);
      // Not the identity: the BatchNorm changes the output a lot.
      assert.ok(relativeError(conv.forward(x), reference) > 0.1);
    }));
    assert.equal(memory().tensors, live, 'the folding leaves no tensor behind');
    conv.dispose();
    bn.dispose();
  });
}

test('the folded weights and bias are bit-identical to PyTorch fuse_conv_bn_eval on the same tensors', () => {
  manualSeed(4);
  const { conv, bn } = convBn(true, 1e-5);
  const values = (t: Tensor) => Array.from(t.data<'float32'>());
  const sd = { w: conv.weight, b: conv.bias!, g: bn.weight!, beta: bn.bias!, rm: bn.runningMean!, rv: bn.runningVar! };
  const py = runPython<{ w: number[]; b: number[] }>(`
import torch
from torch.nn.utils.fusion import fuse_conv_bn_eval
t = lambda k: torch.tensor(inp[k], dtype=torch.float32)
conv = torch.nn.Conv2d(5, 8, 3, stride=2, padding=1, bias=True).eval()
bn = torch.nn.BatchNorm2d(8, eps=1e-5).eval()
with torch.no_grad():
    conv.weight.copy_(t('w').reshape(8, 5, 3, 3)); conv.bias.copy_(t('b'))
    bn.weight.copy_(t('g')); bn.bias.copy_(t('beta')); bn.running_mean.copy_(t('rm')); bn.running_var.copy_(t('rv'))
f = fuse_conv_bn_eval(conv, bn)
out({'w': f.weight.detach().flatten().tolist(), 'b': f.bias.detach().tolist()})
`, Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, values(t)])));
  scope(() => {
    const folded = foldConvBn(conv, bn, 'pair');
    assert.deepEqual(values(folded.weight), Array.from(Float32Array.from(py.w)));
    assert.deepEqual(values(folded.bias), Array.from(Float32Array.from(py.b)));
  });
  conv.dispose();
  bn.dispose();
});

test('a BatchNorm2d without running statistics cannot be folded: refused by name', () => {
  const conv = new Conv2d(3, 4, 1);
  const bn = new BatchNorm2d(4, { trackRunningStats: false });
  assert.throws(() => foldConvBn(conv, bn, 'layer9.conv + layer9.bn'), /layer9\.conv \+ layer9\.bn: BatchNorm2d without running statistics/);
  conv.dispose();
  bn.dispose();
});

class Swish extends Module {
  forward(x: Tensor): Tensor {
    return x.mul(x.sigmoid());
  }
}
/** A subclass may compute something else than its parent: it needs its own emitter too. */
class LeakyReLU extends ReLU {
  override forward(x: Tensor): Tensor {
    return x.maximum(x.mul(0.01));
  }
}

test('a module type without an emitter is refused with its path and type, never exported as a guess', () => {
  const e = new GraphEmitter(new GraphBuilder());
  const x = e.g.input('x', 'float32', ['N', 4]);
  const head = new Sequential(new Linear(4, 3), new Swish());
  assert.throws(() => e.emit(head, 'head', x), (err: unknown) =>
    err instanceof UnsupportedModuleError && err.path === 'head.1' && err.typeName === 'Swish'
    && /cannot export module 'head\.1' of type Swish to ONNX: no mapping for that type \(types that export: .*Conv2d/.test(err.message));
  assert.throws(() => e.emit(new Sequential(new LeakyReLU()), 'act', x), /module 'act\.0' of type LeakyReLU/);
  head.dispose();

  // Inside a whole classifier: the module's dotted path; nothing leaked, modes restored.
  const { model, metadata } = tinyClassifier('binary', 'resnet18', 32);
  model.layer4.append(new Swish());
  model.train();
  const live = memory().tensors;
  assert.throws(() => exportOnnx(model, metadata), /cannot export module 'layer4\.2' of type Swish to ONNX/);
  assert.equal(memory().tensors, live);
  assert.ok(model.modules().every((m) => m.training), 'modes restored after a failed export');
  model.dispose();
});
