// The ResNet architectures by name: plain data, without the modules (resnet.ts), so that code reading a
// model's metadata (metadata.ts, and prediction without libtorch in src/deploy) loads no engine.
import type { BlockKind } from './blocks.js';

export type ResNetArch = 'resnet18' | 'resnet34' | 'resnet50' | 'resnet101' | 'resnet152';

export interface ArchSpec {
  block: BlockKind;
  /** Blocks in layer1..layer4. */
  layers: [number, number, number, number];
  /** torchvision's parameter count with the 1000-class head. */
  numParams: number;
}

export const ARCHS: Readonly<Record<ResNetArch, ArchSpec>> = Object.freeze({
  resnet18: { block: 'basic', layers: [2, 2, 2, 2], numParams: 11_689_512 },
  resnet34: { block: 'basic', layers: [3, 4, 6, 3], numParams: 21_797_672 },
  resnet50: { block: 'bottleneck', layers: [3, 4, 6, 3], numParams: 25_557_032 },
  resnet101: { block: 'bottleneck', layers: [3, 4, 23, 3], numParams: 44_549_160 },
  resnet152: { block: 'bottleneck', layers: [3, 8, 36, 3], numParams: 60_192_808 },
});
export const RESNET_ARCHS = Object.keys(ARCHS) as ResNetArch[];

export function isResNetArch(x: unknown): x is ResNetArch {
  return typeof x === 'string' && Object.hasOwn(ARCHS, x);
}
export function checkArch(arch: unknown, what = 'arch'): ResNetArch {
  if (!isResNetArch(arch)) throw new Error(`${what}: unknown architecture ${JSON.stringify(arch)}; expected one of ${RESNET_ARCHS.join(', ')}`);
  return arch;
}
