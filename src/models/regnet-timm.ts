// timm's RegNet keys → torchvision's. timm's RegNet is torchvision's RegNetY module for module under other names
// (timm's regnetY_*.tv2_in1k files are torchvision's weights renamed by timm/models/regnet.py's _filter_fn); this is
// the inverse of that renaming, one key to one key:
//   stem.conv.* → stem.0.*            stem.bn.* → stem.1.*
//   s<S>.b<B>.<part>.* → trunk_output.block<S>.block<S>-<B-1>.<torchvision part>.*, the parts being
//     conv1.conv → f.a.0   conv1.bn → f.a.1   conv2.conv → f.b.0   conv2.bn → f.b.1   se.fc1 → f.se.fc1
//     se.fc2 → f.se.fc2    conv3.conv → f.c.0 conv3.bn → f.c.1     downsample.conv → proj.0   downsample.bn → proj.1
//   head.fc.* → fc.*                  (timm's classifier; a task head saved there, head.fc.1.weight, → fc.1.weight)
// Any other key has no torchvision counterpart, and the first one is named in the error.
import type { StateDictRecords } from '../io/index.js';

const PARTS: Readonly<Record<string, string>> = {
  'conv1.conv': 'f.a.0', 'conv1.bn': 'f.a.1', 'conv2.conv': 'f.b.0', 'conv2.bn': 'f.b.1', 'se.fc1': 'f.se.fc1', 'se.fc2': 'f.se.fc2',
  'conv3.conv': 'f.c.0', 'conv3.bn': 'f.c.1', 'downsample.conv': 'proj.0', 'downsample.bn': 'proj.1',
};
const TENSOR = '(weight|bias|running_mean|running_var|num_batches_tracked)';
const STEM = new RegExp(`^stem\\.(conv|bn)\\.${TENSOR}$`);
const BLOCK = new RegExp(`^s([1-9])\\.b([1-9]\\d*)\\.(${Object.keys(PARTS).map((p) => p.replace('.', '\\.')).join('|')})\\.${TENSOR}$`);
const HEAD = /^head\.fc\.(.+)$/;

/** The torchvision key of a timm RegNet key, or undefined when it has none. */
export function timmRegNetKeyToTorchvision(key: string): string | undefined {
  let m = STEM.exec(key);
  if (m) return `stem.${m[1] === 'conv' ? 0 : 1}.${m[2]}`;
  m = BLOCK.exec(key);
  if (m) return `trunk_output.block${m[1]}.block${m[1]}-${Number(m[2]) - 1}.${PARTS[m[3]]}.${m[4]}`;
  m = HEAD.exec(key);
  if (m) return `fc.${m[1]}`;
  return undefined;
}

/** Whether a state_dict is in timm's RegNet layout (its stem is stem.conv, its first block s1.b1). */
export function isTimmRegNet(records: StateDictRecords): boolean {
  return records.has('stem.conv.weight') && records.has('s1.b1.conv1.conv.weight');
}

/**
 * A timm RegNet state_dict under torchvision's keys (the same tensors, in the same order); throws naming `source`
 * and the first key that has no torchvision counterpart.
 */
export function timmRegNetToTorchvision(records: StateDictRecords, source: string): StateDictRecords {
  const out: StateDictRecords = new Map();
  for (const [key, r] of records) {
    const tv = timmRegNetKeyToTorchvision(key);
    if (tv === undefined) {
      throw new Error(`${source}: a timm RegNet state_dict (stem.conv, s1.b1, ...), but its key '${key}' has no torchvision counterpart ` +
        `(known: stem.conv/bn, s<stage>.b<block>.{${Object.keys(PARTS).join(', ')}}, head.fc; BatchNorm and conv tensors only)`);
    }
    out.set(tv, r);
  }
  return out;
}

/** `records` with timm's RegNet keys renamed to torchvision's; other layouts as they are. */
export function fromTimmLayout(records: StateDictRecords, source: string): { tensors: StateDictRecords; timm: boolean } {
  return isTimmRegNet(records) ? { tensors: timmRegNetToTorchvision(records, source), timm: true } : { tensors: records, timm: false };
}
