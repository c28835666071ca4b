// Shared fixtures for the models tests: temp dirs, tensor comparison, reading the safetensors files the Python
// oracle writes, and the Python prelude (a hand-written safetensors writer: Debian has no safetensors package;
// the seed's model; random BatchNorm statistics so that eval mode depends on them).
import * as assert from 'node:assert/strict';
import { readSafetensors } from '../src/io/index.js';
import type { Tensor } from '../src/torch/index.js';
import { recordsToTensors } from '../src/models/index.js';
import { PY_SAFETENSORS } from './helpers/py-safetensors.js';
import { tempDir as newTempDir } from './helpers/temp.js';

export function tempDir(tag: string): string {
  return newTempDir(`tlearn-models-${tag}-`);
}

/** The tensors of a safetensors file (written by the Python side), in file order. */
export function readTensors(file: string): Map<string, Tensor> {
  return recordsToTensors(readSafetensors(file).tensors);
}

/** Largest |a-b| and the worst ratio |a-b| / (atol + rtol·|b|); passes when the ratio is ≤ 1. */
export function assertClose(actual: Tensor, expected: Tensor, what: string, atol = 1e-4, rtol = 1e-4): number {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = actual.toArray();
  const b = expected.toArray();
  let worst = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    maxAbs = Math.max(maxAbs, d);
    worst = Math.max(worst, d / (atol + rtol * Math.abs(b[i])));
    if (!Number.isFinite(a[i]) || Number.isNaN(d)) assert.fail(`${what}: element ${i} is ${a[i]}, expected ${b[i]}`);
  }
  assert.ok(worst <= 1, `${what}: max |diff| ${maxAbs} exceeds atol ${atol} + rtol ${rtol}·|expected|`);
  return maxAbs;
}

export const PY_MODELS = String.raw`
import torch, torchvision, struct, collections
` + PY_SAFETENSORS + String.raw`
torch.set_num_threads(2)
def randomize_bn(model, seed=123):
    # Non-trivial running statistics and affine parameters, so that eval-mode outputs depend on all of them.
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                m.weight.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(n, generator=g) * 0.1)
                m.num_batches_tracked.fill_(7)
def seed_model(arch='resnet50'):
    m = getattr(torchvision.models, arch)()
    m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(m.fc.in_features, 1), torch.nn.Sigmoid())
    return m
`;
