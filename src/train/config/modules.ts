// Checks `trainable` entries against the module names of torchvision's ResNets, so a typo such as
// "layer5" or "layer4.7" fails at configuration time instead of silently freezing everything.
// Other families are checked against their parameter names when the phase starts (applyTrainable); the
// aliases `head` and `last_stage` name the family's head and phase 2's stage (src/models/zoo.ts).
import { quote } from '../../format/quote.js';
import { isResNetFamily, TRAINABLE_ALIASES } from '../../models/zoo.js';
import type { ResNetArch } from '../../models/archs.js';
import type { Arch } from './types.js';

/** Blocks per stage (torchvision resnet.py). */
const BLOCKS: Record<ResNetArch, [number, number, number, number]> = {
  resnet18: [2, 2, 2, 2],
  resnet34: [3, 4, 6, 3],
  resnet50: [3, 4, 6, 3],
  resnet101: [3, 4, 23, 3],
  resnet152: [3, 8, 36, 3],
};

const TOP_LEVEL = ['conv1', 'bn1', 'layer1', 'layer2', 'layer3', 'layer4', 'fc'] as const;
export const TRAINABLE_NAMES: readonly string[] = ['all', ...TOP_LEVEL];

function isBottleneck(arch: ResNetArch): boolean {
  return arch !== 'resnet18' && arch !== 'resnet34';
}

/**
 * Returns undefined when `name` names a module (or `all`) of `arch`, else the reason it does not.
 * Accepted: all; conv1, bn1, fc, fc.1 (the head's Linear); layerN; layerN.B; layerN.B.<conv1|bn1|conv2|bn2
 * [|conv3|bn3 for bottleneck archs]|downsample> (downsample exists only in block 0 where the shape changes).
 */
export function checkModuleName(name: string, arch: Arch): string | undefined {
  if (name === 'all' || (TRAINABLE_ALIASES as readonly string[]).includes(name)) return undefined;
  if (!isResNetFamily(arch)) {
    return /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/.test(name) ? undefined : `${quote(name)} is not a module name (names such as features.7 or classifier.1)`;
  }
  const parts = name.split('.');
  const top = parts[0];
  if (!(TOP_LEVEL as readonly string[]).includes(top)) return `unknown module ${quote(top)}`;
  if (top === 'fc') {
    if (parts.length === 1 || (parts.length === 2 && parts[1] === '1')) return undefined;
    return `the head "fc" has only the trainable module "fc.1" (Dropout is fc.0 and has no parameters)`;
  }
  if (top === 'conv1' || top === 'bn1') return parts.length === 1 ? undefined : `"${top}" has no sub-modules`;
  if (parts.length === 1) return undefined;
  const stage = Number(top.slice(5)) - 1;
  const blocks = BLOCKS[arch][stage];
  if (!/^\d+$/.test(parts[1]) || Number(parts[1]) >= blocks) return `${arch} ${top} has blocks 0..${blocks - 1}, not ${quote(parts[1])}`;
  if (parts.length === 2) return undefined;
  const block = Number(parts[1]);
  const subs = isBottleneck(arch) ? ['conv1', 'bn1', 'conv2', 'bn2', 'conv3', 'bn3'] : ['conv1', 'bn1', 'conv2', 'bn2'];
  // Bottleneck stages all change the channel count; BasicBlock's layer1 does not (64 -> 64, stride 1).
  const hasDownsample = block === 0 && (stage > 0 || isBottleneck(arch));
  if (hasDownsample) subs.push('downsample');
  if (parts.length === 3 && subs.includes(parts[2])) return undefined;
  if (parts.length === 4 && parts[2] === 'downsample' && hasDownsample && (parts[3] === '0' || parts[3] === '1')) return undefined;
  return `${arch} ${top}.${block} has the modules ${subs.join(', ')}, not ${quote(parts.slice(2).join('.'))}`;
}
