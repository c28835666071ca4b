// The run configuration per backbone family: the default phases name the family's head and last stage (the
// aliases head and last_stage, expanded to module prefixes in the resolved config), explicit aliases expand for
// ResNet to the seed's fc / layer4, and the image size defaults to the architecture's ImageNet crop unless set.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { resolveConfig } from '../src/train/config/index.js';

const resolve = (raw: Record<string, unknown>) => resolveConfig({ raw: { data: { path: 'demo-data' }, ...raw } });

test('per-family defaults: phases through head / last_stage, the image size from the weights\' crop', () => {
  const b3 = resolve({ model: { arch: 'efficientnet_b3' } });
  assert.equal(b3.input.imageSize, 300);
  assert.deepEqual(b3.phases.map((p) => p.trainable), [['classifier.1'], ['features.6', 'features.7', 'features.8', 'classifier.1']]);
  const mobile = resolve({ model: { arch: 'mobilenet_v3_large' }, input: { imageSize: 128 }, phases: [{ epochs: 1 }, { epochs: 2 }] });
  assert.equal(mobile.input.imageSize, 128);
  assert.deepEqual(mobile.phases.map((p) => p.trainable),
    [['classifier.3'], ['features.13', 'features.14', 'features.15', 'features.16', 'classifier.0', 'classifier.3']]);
  const resnet = resolve({ model: { arch: 'resnet50' } });
  assert.equal(resnet.input.imageSize, 224);
  assert.deepEqual(resnet.phases.map((p) => p.trainable), [['fc'], ['layer4', 'fc']]);
  const aliases = resolve({ model: { arch: 'resnet18' }, phases: [{ trainable: 'head' }, { trainable: ['last_stage', 'head'] }] });
  assert.deepEqual(aliases.phases.map((p) => p.trainable), [['fc'], ['layer4', 'fc']]);
});
