// ONNX export (src/export/onnx): the written graph passes ONNX's own checker, onnxruntime-node computes what
// libtorch's predictProba computes (batch 1 and 7, every task, BasicBlock and Bottleneck ResNets), the uint8
// graph equals the float path on the same pixels, metadata round-trips, the op counts are ResNet50's, and torchvision
// with the same weights (a second oracle, independent of tlearn's modules) gives what onnxruntime gives.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportOnnx } from '../src/export/index.js';
import { metadataToJSON, type ModelMetadata } from '../src/models/index.js';
import type { ResNetArch, TaskKind } from '../src/models/index.js';
import { decodeModel, metadataOf, ONNX_PROPS } from '../src/onnx/index.js';
import { imagesTensor } from '../src/data/index.js';
import { memory, randn, type Tensor } from '../src/torch/index.js';
import { writeSafetensors } from '../src/io/index.js';
import { moduleToRecords, tensorToRecord } from '../src/models/index.js';
import { runPython } from './helpers/python.js';
import { PY_SAFETENSORS } from './helpers/py-safetensors.js';
import { tempDir } from './helpers/temp.js';
import { maxAbsDiff, runOnnx, tinyClassifier } from './helpers/onnx-models.js';

const S = 32;

/** predictProba vs onnxruntime on the same float input; returns libtorch's probabilities. */
async function assertParity(bytes: Uint8Array, predict: (x: Tensor) => Float32Array, x: Tensor, what: string): Promise<Float32Array> {
  const expected = predict(x);
  const actual = await runOnnx(bytes, x.data<'float32'>(), x.shape);
  const d = maxAbsDiff(actual, expected);
  assert.ok(d <= 1e-5, `${what}: max |onnxruntime − libtorch| = ${d}`);
  return expected;
}

/** onnx.checker.check_model(full_check=True) in Debian's python3-onnx; returns what the file says of itself. */
function checkWithOnnx(file: string): { ir: number; opset: number; input: (number | string)[]; output: (number | string)[] } {
  return runPython(`
import onnx
m = onnx.load(inp)
onnx.checker.check_model(m, full_check=True)
dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
out({'ir': m.ir_version, 'opset': m.opset_import[0].version, 'input': dims(m.graph.input[0]), 'output': dims(m.graph.output[0])})
`, file);
}

const CASES: [TaskKind, ResNetArch][] = [['binary', 'resnet18'], ['multiclass', 'resnet18'], ['multilabel', 'resnet50']];

for (const [task, arch] of CASES) {
  test(`${task} ${arch}: passes onnx.checker and equals libtorch's predictProba within 1e-5 for batch 1 and 7`, async () => {
    const { model, metadata } = tinyClassifier(task, arch, S);
    const dir = tempDir();
    try {
      const { bytes } = exportOnnx(model, metadata);
      const file = path.join(dir, 'model.onnx');
      fs.writeFileSync(file, bytes);
      const info = checkWithOnnx(file);
      const k = model.outputs;
      assert.deepEqual(info, { ir: 8, opset: 17, input: ['N', 3, S, S], output: ['N', k] });
      for (const n of [1, 7]) {
        const x = randn([n, 3, S, S]);
        const p = await assertParity(bytes, (t) => model.probabilities(t), x, `${task} batch ${n}`);
        x.dispose();
        // Not a vacuous comparison: the probabilities are spread out, not saturated at 0 or 1.
        assert.ok(p.some((v) => v > 0.02 && v < 0.98), `${task}: probabilities ${Array.from(p).slice(0, 8)} are all saturated`);
        if (task === 'multiclass') {
          for (let i = 0; i < n; i++) assert.ok(Math.abs(p.slice(i * k, (i + 1) * k).reduce((a, b) => a + b, 0) - 1) < 1e-5, 'softmax rows sum to 1');
        }
      }
    } finally {
      model.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('resnet50: one Conv per convolution (BatchNorm folded), no BatchNormalization or Dropout, the residual Adds', () => {
  const { model, metadata } = tinyClassifier('binary', 'resnet50', S);
  try {
    const { opCounts } = exportOnnx(model, metadata);
    assert.deepEqual(opCounts, { Conv: 53, Relu: 49, MaxPool: 1, Add: 16, GlobalAveragePool: 1, Flatten: 1, Gemm: 1, Sigmoid: 1 });
  } finally {
    model.dispose();
  }
});

test('uint8 NHWC input: the graph normalises the pixels itself and equals the float path on the same pixels', async () => {
  const { model, metadata } = tinyClassifier('multiclass', 'resnet18', S);
  const dir = tempDir();
  try {
    const u8 = exportOnnx(model, metadata, { input: 'uint8-nhwc' });
    const f32 = exportOnnx(model, metadata);
    const file = path.join(dir, 'u8.onnx');
    fs.writeFileSync(file, u8.bytes);
    assert.deepEqual(checkWithOnnx(file).input, ['N', S, S, 3]);
    assert.equal(metadataOf(decodeModel(u8.bytes))[ONNX_PROPS.input], 'uint8-nhwc');
    for (const n of [1, 7]) {
      const pixels = new Uint8Array(n * S * S * 3);
      for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919 + n * 31) % 256;
      // The pixels as the loader hands them to libtorch (data/tensor.ts: /255, − mean, / std).
      const x = imagesTensor({ pixels, shape: [n, 3, S, S], layout: 'nchw', jitter: [], views: [], mean: metadata.mean, std: metadata.std });
      const fromPixels = await runOnnx(u8.bytes, pixels, [n, S, S, 3]);
      const fromFloats = await runOnnx(f32.bytes, x.data<'float32'>(), x.shape);
      const torchP = model.probabilities(x);
      x.dispose();
      assert.ok(maxAbsDiff(fromPixels, fromFloats) <= 1e-6, `batch ${n}: uint8 graph vs float graph ${maxAbsDiff(fromPixels, fromFloats)}`);
      assert.ok(maxAbsDiff(fromPixels, torchP) <= 1e-5, `batch ${n}: uint8 graph vs libtorch ${maxAbsDiff(fromPixels, torchP)}`);
    }
  } finally {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('metadata round-trips: tlearn_metadata equals metadataToJSON, the readable keys say the same', () => {
  for (const task of ['binary', 'multilabel'] as const) {
    const { model, metadata } = tinyClassifier(task, 'resnet18', S);
    try {
      const sha = 'ab'.repeat(32);
      const { bytes } = exportOnnx(model, metadata, { sourceSha256: sha });
      const props = metadataOf(decodeModel(bytes));
      assert.deepEqual(JSON.parse(props[ONNX_PROPS.metadata]!), metadataToJSON(metadata));
      const readable: Record<string, string> = {
        task, classes: JSON.stringify(metadata.classes), image_size: String(S), resize_mode: 'squash',
        mean: JSON.stringify(metadata.mean), std: JSON.stringify(metadata.std), threshold: String(metadata.threshold),
        arch: 'resnet18', source_sha256: sha, tlearn_input: 'float32-nchw',
      };
      for (const [k, v] of Object.entries(readable)) assert.equal(props[k], v, k);
      assert.equal(props.positive_class, task === 'binary' ? 'dog' : undefined);
      assert.equal(props.thresholds, task === 'multilabel' ? '[0.4,0.5,0.6]' : undefined);
      assert.match(props.tlearn_version!, /^\d+\.\d+\.\d+/);
    } finally {
      model.dispose();
    }
  }
});

test('export leaves the model as it was (modes restored, weights unchanged, no tensor leaked) and is deterministic', () => {
  const { model, metadata } = tinyClassifier('binary', 'resnet18', S);
  try {
    model.train();
    model.layer1.eval();
    const modes = model.modules().map((m) => m.training);
    const x = randn([2, 3, S, S]);
    const before = model.probabilities(x);
    const live = memory().tensors;
    exportOnnx(model, metadata, { input: 'uint8-nhwc' });
    const first = exportOnnx(model, metadata).bytes;
    assert.equal(memory().tensors, live, 'no tensor left behind');
    assert.deepEqual(exportOnnx(model, metadata).bytes, first, 'the same model exports to the same bytes');
    assert.deepEqual(model.modules().map((m) => m.training), modes, 'each module keeps its mode');
    assert.deepEqual(model.probabilities(x), before, 'same weights and statistics');
    x.dispose();
  } finally {
    model.dispose();
  }
});

test('metadata that does not describe the model is refused', () => {
  const { model, metadata } = tinyClassifier('multiclass', 'resnet18', S);
  try {
    const bad = (m: Partial<ModelMetadata>, re: RegExp) => assert.throws(() => exportOnnx(model, { ...metadata, ...m }), re);
    bad({ arch: 'resnet34' }, /metadata says arch resnet34 but the model is a resnet18/);
    bad({ classes: ['a', 'b', 'c'] }, /the model has 4 outputs; a multiclass model of 3 classes has 3/);
    bad({ task: 'multilabel', thresholds: [0.5, 0.5, 0.5, 0.5] }, /head uses softmax; a multilabel model uses sigmoid/);
    assert.throws(() => exportOnnx(model, metadata, { sourceSha256: 'not-a-hash' }), /sourceSha256 must be 64 hex digits/);
  } finally {
    model.dispose();
  }
});

test('PyTorch as a second oracle: torchvision resnet18 with the same weights gives the probabilities onnxruntime gives', async () => {
  const { model, metadata } = tinyClassifier('multiclass', 'resnet18', S);
  const dir = tempDir();
  try {
    const { bytes } = exportOnnx(model, metadata);
    const x = randn([3, 3, S, S]);
    const file = path.join(dir, 'weights.safetensors');
    writeSafetensors(file, new Map([...moduleToRecords(model), ['__input__', tensorToRecord(x)]]));
    const ours = Array.from(await runOnnx(bytes, x.data<'float32'>(), x.shape));
    x.dispose();
    const d = runPython<number>(`import torch, torchvision, struct, collections
${PY_SAFETENSORS}
tensors, _, _ = st_read(inp['file'])
x = tensors.pop('__input__')
m = torchvision.models.resnet18()
m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(512, 4))
m.load_state_dict(tensors)
m.eval()
with torch.no_grad():
    p = torch.softmax(m(x), 1).flatten()
out(float((p - torch.tensor(inp['ours'])).abs().max()))
`, { file, ours });
    assert.ok(d <= 1e-5, `max |onnxruntime − torchvision| = ${d}`);
  } finally {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
