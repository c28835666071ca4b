// ONNX export of ConvNeXt, RegNet and ViT: small networks of each family (ConvNeXt's LayerNorm2d, NHWC Linears,
// GELU and layer scale; ViT's patch embedding, class token, position embedding, self-attention as MatMul/Softmax
// nodes, LayerNormalization, Erf-based GELU) with the task's head, emitted into a graph that passes onnx.checker
// and that onnxruntime-node runs to libtorch's logits within export's parity tolerance; and regnet_y_400mf
// through exportOnnx (the classifier, BatchNorm folded into every Conv, squeeze-excitation in forward order) to
// libtorch's probabilities.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportOnnx } from '../src/export/index.js';
import { GraphEmitter } from '../src/export/onnx/index.js';
import { PARITY_TOLERANCE } from '../src/export/parity.js';
import { GraphBuilder, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, encodeModel } from '../src/onnx/index.js';
import { manualSeed, noGrad, randn, scope } from '../src/torch/index.js';
import { LayerNorm, type Module } from '../src/nn/index.js';
import { TaskHead, type StagedNet } from '../src/models/index.js';
import { ConvNeXt } from '../src/models/convnext.js';
import { VisionTransformer } from '../src/models/vit.js';
import { runPython } from './helpers/python.js';
import { tempDir } from './helpers/temp.js';
import { maxAbsDiff, runOnnx, tinyClassifier } from './helpers/onnx-models.js';

const dir = tempDir('tlearn-onnx-zoo2-');
const checked: string[] = [];

/** Non-trivial LayerNorm affines (ones and zeros would hide a swapped weight and bias). */
function randomizeLayerNorms(m: Module): void {
  noGrad(() => {
    for (const mod of m.modules()) {
      if (mod instanceof LayerNorm) {
        mod.weight!.uniform_(0.5, 1.5);
        mod.bias!.normal_(0, 0.2);
      }
    }
  });
}

/** The network's eval-mode logits as a graph (input [N, 3, S, S], output [N, K]); written for onnx.checker. */
function graphOf(net: StagedNet, name: string, size: number, outputs: number): Uint8Array {
  const g = new GraphBuilder(name);
  const x = g.input(ONNX_INPUT_NAME, 'float32', ['N', 3, size, size]);
  const y = scope(() => new GraphEmitter(g).emit(net, '', x));
  g.output(y, ONNX_OUTPUT_NAME, 'float32', ['N', outputs]);
  const bytes = encodeModel(g.model({ producerVersion: 'test' }));
  const file = path.join(dir, `${name}.onnx`);
  fs.writeFileSync(file, bytes);
  checked.push(file);
  return bytes;
}

async function assertGraphMatches(net: StagedNet, name: string, size: number, outputs: number): Promise<void> {
  net.eval();
  const bytes = graphOf(net, name, size, outputs);
  const x = randn([3, 3, size, size]);
  try {
    const expected = noGrad(() => scope(() => net.forward(x).toFloat32Array()));
    const actual = await runOnnx(bytes, x.toFloat32Array(), x.shape);
    const d = maxAbsDiff(actual, expected);
    assert.ok(d <= PARITY_TOLERANCE, `${name}: max |onnxruntime − libtorch| = ${d}`);
    assert.ok(new Set(Array.from(expected, (v) => v.toFixed(3))).size > 3, `${name}: the logits ${Array.from(expected)} barely vary`);
  } finally {
    x.dispose();
    net.dispose();
  }
}

test('a small ConvNeXt with the task\'s head: its graph equals libtorch\'s logits (LayerNorm2d, NHWC Linears, GELU, layer scale)', async () => {
  manualSeed(3);
  const net = new ConvNeXt('small', { blocks: [[8, 16, 1], [16, null, 2]], layerScale: 0.5, head: (f) => new TaskHead(0.5, f, 3, false) });
  randomizeLayerNorms(net);
  await assertGraphMatches(net, 'convnext_small_test', 32, 3);
});

test('a small ViT with the task\'s head: its graph equals libtorch\'s logits (self-attention as MatMul/Softmax, class token, position embedding)', async () => {
  manualSeed(3);
  const net = new VisionTransformer('small', {
    config: { imageSize: 32, patchSize: 8, numLayers: 2, numHeads: 2, hiddenDim: 16, mlpDim: 32 }, head: (f) => new TaskHead(0.5, f, 3, false),
  });
  randomizeLayerNorms(net);
  await assertGraphMatches(net, 'vit_small_test', 32, 3);
});

test('regnet_y_400mf through exportOnnx: every BatchNorm folded, probabilities equal libtorch\'s', async () => {
  const { model, metadata } = tinyClassifier('binary', 'regnet_y_400mf', 64);
  try {
    const { bytes, opCounts } = exportOnnx(model, metadata);
    assert.equal(opCounts.BatchNormalization, undefined, 'every BatchNorm folded into its Conv');
    fs.writeFileSync(path.join(dir, 'regnet.onnx'), bytes);
    checked.push(path.join(dir, 'regnet.onnx'));
    const x = randn([2, 3, 64, 64]);
    const expected = model.probabilities(x);
    const actual = await runOnnx(bytes, x.toFloat32Array(), x.shape);
    x.dispose();
    assert.ok(maxAbsDiff(actual, expected) <= PARITY_TOLERANCE, `max |onnxruntime − libtorch| = ${maxAbsDiff(actual, expected)}`);
  } finally {
    model.dispose();
  }
});

test('the graphs pass onnx.checker (full check, opset 17)', () => {
  assert.ok(checked.length >= 3, 'the export tests ran first');
  runPython(`
import onnx
for f in inp:
    onnx.checker.check_model(onnx.load(f), full_check=True)
`, checked);
});
