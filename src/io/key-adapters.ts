// Renames state_dict keys from other ResNet layouts to torchvision's, so a checkpoint from timm,
// Hugging Face transformers (microsoft/resnet-50), DataParallel or a wrapping LightningModule loads into
// our torchvision-identical models. timm's ResNet keys are already torchvision's.
import type { StateDictRecords } from './dtypes.js';

/** 'timm': timm's RegNet names (src/models/regnet-timm.ts renames them; timm's ResNet keys are torchvision's). */
export type KeyLayout = 'torchvision' | 'transformers' | 'timm' | 'unknown';

export interface AdaptedKeys {
  tensors: StateDictRecords;
  /** Layout detected in the input. */
  layout: KeyLayout;
  /** Prefix stripped from every key ('module.', 'model.', ...), or ''. */
  strippedPrefix: string;
  /** Input keys that the layout's mapping did not recognise (kept unchanged). */
  unmapped: string[];
}

const TV_MARKER = 'conv1.weight';
const HF_MARKER = /^(?:resnet\.)?embedder\.embedder\.convolution\.weight$/;

/** transformers ResNet key → torchvision key, or undefined if not a ResNet key. */
export function transformersKeyToTorchvision(key: string): string | undefined {
  let m = /^(?:resnet\.)?embedder\.embedder\.(convolution|normalization)\.(.+)$/.exec(key);
  if (m) return `${m[1] === 'convolution' ? 'conv1' : 'bn1'}.${m[2]}`;
  m = /^(?:resnet\.)?encoder\.stages\.(\d+)\.layers\.(\d+)\.(.+)$/.exec(key);
  if (m) {
    const block = `layer${Number(m[1]) + 1}.${m[2]}`;
    const rest = m[3];
    let r = /^shortcut\.(convolution|normalization)\.(.+)$/.exec(rest);
    if (r) return `${block}.downsample.${r[1] === 'convolution' ? 0 : 1}.${r[2]}`;
    r = /^layer\.(\d+)\.(convolution|normalization)\.(.+)$/.exec(rest);
    if (r) return `${block}.${r[2] === 'convolution' ? 'conv' : 'bn'}${Number(r[1]) + 1}.${r[3]}`;
    return undefined;
  }
  m = /^classifier\.1\.(weight|bias)$/.exec(key);
  if (m) return `fc.${m[1]}`;
  return undefined;
}

/** A prefix shared by every key that, once removed, reveals a torchvision/transformers ResNet. */
function commonWrapperPrefix(keys: string[]): string {
  if (keys.length === 0) return '';
  for (const k of keys) {
    const i = k.indexOf(TV_MARKER);
    const hf = k.search(/(?:resnet\.)?embedder\.embedder\.convolution\.weight$/);
    const at = i > 0 && k.endsWith(TV_MARKER) && k.length === i + TV_MARKER.length ? i : hf > 0 ? hf : -1;
    if (at > 0) {
      const prefix = k.slice(0, at);
      if (prefix.endsWith('.') && keys.every((x) => x.startsWith(prefix))) return prefix;
    }
  }
  return '';
}

/** Detects the layout of `tensors` and renames its keys to torchvision's. */
export function adaptToTorchvision(tensors: StateDictRecords): AdaptedKeys {
  const keys = [...tensors.keys()];
  const hasTv = (ks: Iterable<string>) => { for (const k of ks) if (k === TV_MARKER) return true; return false; };
  const hasHf = (ks: Iterable<string>) => { for (const k of ks) if (HF_MARKER.test(k)) return true; return false; };
  let strippedPrefix = '';
  let work = tensors;
  if (!hasTv(keys) && !hasHf(keys)) {
    strippedPrefix = commonWrapperPrefix(keys);
    if (strippedPrefix) {
      work = new Map([...tensors].map(([k, v]) => [k.slice(strippedPrefix.length), v]));
    }
  }
  const wk = [...work.keys()];
  if (hasTv(wk)) return { tensors: work, layout: 'torchvision', strippedPrefix, unmapped: [] };
  if (!hasHf(wk)) return { tensors: work, layout: 'unknown', strippedPrefix, unmapped: [] };
  const out: StateDictRecords = new Map();
  const unmapped: string[] = [];
  for (const [k, v] of work) {
    const tv = transformersKeyToTorchvision(k);
    if (tv === undefined) unmapped.push(k);
    const name = tv ?? k;
    if (out.has(name)) throw new Error(`key adapter: two keys map to '${name}'`);
    out.set(name, v);
  }
  return { tensors: out, layout: 'transformers', strippedPrefix, unmapped };
}
