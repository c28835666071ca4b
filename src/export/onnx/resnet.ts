// Emitters of src/models: the residual blocks, ResNet and ImageClassifier, each following its forward():
// the same modules in the same order, so the graph computes what libtorch computes (BatchNorm folded).
import type { Module } from '../../nn/index.js';
import { BasicBlock, BinaryClassifier, Bottleneck, ImageClassifier, ResNet, type ResidualBlock } from '../../models/index.js';
import { childPath, registerEmitter, type GraphEmitter } from './emitter.js';

/** ResidualBlock.forward: the main branch, plus the identity or the downsample projection, then ReLU. */
function residual(e: GraphEmitter, block: ResidualBlock, path: string, x: string, branch: (string | 'relu')[]): string {
  let y = x;
  const pending: [string, Module][] = [];
  const flush = () => {
    y = e.chain(pending.splice(0), y);
  };
  for (const step of branch) {
    if (step === 'relu') {
      flush();
      y = e.g.node('Relu', [y], {}, childPath(path, 'relu'));
    } else {
      pending.push([childPath(path, step), block.getSubmodule(step)]);
    }
  }
  flush();
  const identity = block.downsample ? e.child(block, 'downsample', path, x) : x;
  const sum = e.g.node('Add', [y, identity], {}, childPath(path, 'add'));
  return e.g.node('Relu', [sum], {}, childPath(path, 'out'));
}

// The branches of BasicBlock.branch() and Bottleneck.branch() ('relu': the block's in-place ReLU).
registerEmitter(BasicBlock, (e, m, path, x) => residual(e, m, path, x, ['conv1', 'bn1', 'relu', 'conv2', 'bn2']));
registerEmitter(Bottleneck, (e, m, path, x) =>
  residual(e, m, path, x, ['conv1', 'bn1', 'relu', 'conv2', 'bn2', 'relu', 'conv3', 'bn3']));

/** ResNet's stages 'stem' … 'pool': the pooled, flattened features [N, F]. */
function features(e: GraphEmitter, m: ResNet, path: string, x: string): string {
  const stem = ['conv1', 'bn1', 'relu', 'maxpool'].map((n) => [childPath(path, n), m.getSubmodule(n)] as const);
  let y = e.chain(stem, x);
  for (const layer of ['layer1', 'layer2', 'layer3', 'layer4']) y = e.child(m, layer, path, y);
  y = e.child(m, 'avgpool', path, y);
  return e.g.node('Flatten', [y], { axis: 1 }, childPath(path, 'flatten'));
}

registerEmitter(ResNet, (e, m, path, x) => e.child(m, 'fc', path, features(e, m, path, x)));

// ImageClassifier.forward gives the logits: Dropout then Linear (fc.0, fc.1); the head's activation is applied
// by the caller from `activation`, as predictProba does (fc.2, the Sigmoid module, is not part of forward).
const classifierLogits = (e: GraphEmitter, m: ImageClassifier, path: string, x: string): string => {
  if (m.net instanceof ResNet) {
    const fc = childPath(path, 'fc');
    return e.chain([[`${fc}.0`, m.fc.at(0)], [`${fc}.1`, m.fc.at(1)]], features(e, m.net, path, x));
  }
  // Other families: the network's own emitter, under the same path (its modules are the classifier's).
  return e.emit(m.net, path, x);
};
registerEmitter(ImageClassifier, classifierLogits);
registerEmitter(BinaryClassifier, classifierLogits);
