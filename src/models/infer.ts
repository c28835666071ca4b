// Recognising a ResNet state_dict from its keys and shapes alone (a seed .pth has no metadata): the block
// type (resnet18/34 have no conv3 in their blocks) and the number of blocks per layer name the architecture;
// the head's keys (at the family's headPath) say whether it is the seed's binary head or a Linear classifier.
// Every family's recognition is in families.ts (inferArch).
import type { StateDictRecords } from '../io/index.js';
import { ARCHS, RESNET_ARCHS, type ResNetArch } from './resnet.js';

export interface HeadInfo {
  /** 'binary': fc = Sequential(Dropout, Linear(F, 1), Sigmoid); 'linear': fc = Linear(F, classes). */
  kind: 'binary' | 'linear' | 'none';
  inFeatures?: number;
  outFeatures?: number;
}

/** Blocks per layer (layer1..layer4) found in the keys. */
export function blockCounts(keys: Iterable<string>): [number, number, number, number] {
  const counts: [number, number, number, number] = [0, 0, 0, 0];
  for (const k of keys) {
    const m = /^layer([1-4])\.(\d+)\./.exec(k);
    if (m) {
      const layer = Number(m[1]) - 1;
      counts[layer] = Math.max(counts[layer], Number(m[2]) + 1);
    }
  }
  return counts;
}

/** The architecture of a torchvision-layout ResNet state_dict, or throws saying what was found. */
export function inferResNetArch(records: StateDictRecords, source = 'state_dict'): ResNetArch {
  const conv1 = records.get('conv1.weight');
  if (!conv1) {
    const first = [...records.keys()].slice(0, 5).join(', ');
    throw new Error(`${source}: not a torchvision ResNet state_dict (no 'conv1.weight'; first keys: ${first || 'none'})`);
  }
  if (conv1.shape.join(',') !== '64,3,7,7') {
    throw new Error(`${source}: 'conv1.weight' has shape [${conv1.shape.join(', ')}], expected [64, 3, 7, 7] for a torchvision ResNet`);
  }
  const bottleneck = records.has('layer1.0.conv3.weight');
  const counts = blockCounts(records.keys());
  const hit = RESNET_ARCHS.find((a) => ARCHS[a].block === (bottleneck ? 'bottleneck' : 'basic') && ARCHS[a].layers.every((n, i) => n === counts[i]));
  if (!hit) {
    throw new Error(`${source}: no known ResNet has ${bottleneck ? 'Bottleneck' : 'BasicBlock'} layers of [${counts.join(', ')}] blocks ` +
      `(known: ${RESNET_ARCHS.map((a) => `${a} ${ARCHS[a].block} [${ARCHS[a].layers.join(', ')}]`).join('; ')})`);
  }
  return hit;
}

/** What the keys under the head's path (`fc.` for ResNet) describe. */
export function headInfo(records: StateDictRecords, headPath = 'fc'): HeadInfo {
  const w1 = records.get(`${headPath}.1.weight`);
  if (w1 && w1.shape.length === 2) return { kind: 'binary', inFeatures: w1.shape[1], outFeatures: w1.shape[0] };
  const w = records.get(`${headPath}.weight`);
  if (w && w.shape.length === 2) return { kind: 'linear', inFeatures: w.shape[1], outFeatures: w.shape[0] };
  return { kind: 'none' };
}
