// Pretrained ImageNet weights into a model's backbone: from the registry ('imagenet', 'imagenet-v1', ... via
// src/io's verified cache and download, timm's names for torchvision's files included), from a file (torchvision
// layout, timm's (a ResNet's keys are torchvision's, a RegNet's are renamed), microsoft/resnet-50 layout,
// DataParallel prefixes), or none. The backbone loads strictly: every key present, no unknown key, equal
// shapes; the file's own head (fc.*, e.g. ImageNet's 1000 classes) is dropped and the model keeps its new head.
// The head is the module at the family's headPath (fc, classifier.1, ...).
import * as fs from 'node:fs';
import { dispose, type Tensor } from '../torch/index.js';
import { underPrefix } from '../nn/index.js';
import {
  adaptToTorchvision, fetchWeights, findWeights, loadCheckpoint, type KeyLayout, type StateDictRecords,
  type WeightsEntry, type WeightsOptions,
} from '../io/index.js';
import { BinaryClassifier, ImageClassifier, type BinaryClassifierOptions, type ImageClassifierOptions } from './classifier.js';
import { inferArch } from './families.js';
import type { StagedNet } from './staged.js';
import { familyInfo, familyOf, isArch, isResNetFamily, type Arch } from './zoo.js';
import { upgradeViTKeys } from './vit.js';
import { fromTimmLayout } from './regnet-timm.js';
import { recordToTensor } from './state.js';
import { checkFinite } from './finite.js';

export interface PretrainedInfo {
  /** The source as given ('imagenet', a path, 'none'). */
  source: string;
  /** The registry entry, for a registry name. */
  entry?: WeightsEntry;
  /** The file read (undefined for 'none'). */
  file?: string;
  layout?: KeyLayout;
  /** Keys of the file that were not loaded: its head. */
  droppedKeys: string[];
}

const FLOATING = new Set(['float32', 'float64', 'float16', 'bfloat16']);
const MAX_LISTED = 20;
const listKeys = (keys: string[]): string =>
  keys.slice(0, MAX_LISTED).map((k) => `'${k}'`).join(', ') + (keys.length > MAX_LISTED ? `, … (${keys.length - MAX_LISTED} more)` : '');

/** Whether `source` names registry weights (rather than a file). */
export function isRegistryName(source: string): boolean {
  try {
    findWeights(source);
    return true;
  } catch {
    return ['imagenet', 'imagenet-v1', 'imagenet-v2'].includes(source.trim().toLowerCase());
  }
}

/**
 * Copies the backbone (everything but fc) of a state_dict into `model`. `records` may be in any layout that
 * adaptToTorchvision knows. Throws, naming `source` and the keys, if the backbone does not match exactly.
 */
export function loadBackboneRecords(model: StagedNet, records: StateDictRecords, source: string): { layout: KeyLayout; droppedKeys: string[] } {
  const resnet = !isArch(model.arch) || isResNetFamily(model.arch);
  // The layouts adaptToTorchvision maps (transformers, DataParallel prefixes) are ResNet's; other families load torchvision's keys as they are.
  // torchvision's own ViT file (vit_b_16-c867db91.pth) predates 0.14's MLP names: its upgrade hook's renaming.
  const upgraded = !resnet && familyOf(model.arch as Arch) === 'vit' ? upgradeViTKeys(records) : records;
  // timm's RegNet file (regnety_*.tv2_in1k) names torchvision's modules its own way: renamed one to one.
  const fromTimm = resnet ? undefined : fromTimmLayout(upgraded, source);
  const adapted = fromTimm ? { tensors: fromTimm.tensors, layout: (fromTimm.timm ? 'timm' : 'torchvision') as KeyLayout } : adaptToTorchvision(records);
  if (adapted.layout === 'unknown') {
    const first = [...records.keys()].slice(0, 5).join(', ');
    throw new Error(`${source}: not a ResNet state_dict in a known layout (no 'conv1.weight' or transformers 'embedder' key; first keys: ${first || 'none'})`);
  }
  const file = adapted.tensors;
  const headPath = isArch(model.arch) ? familyInfo(model.arch).headPath : 'fc';
  const isHead = (k: string): boolean => underPrefix(k, headPath);
  const slots = model.stateSlots().filter(([key]) => !isHead(key));
  const wanted = new Set(slots.map(([key]) => key));
  const missing: string[] = [];
  const mismatched: string[] = [];
  for (const [key, owner, local, target] of slots) {
    const r = file.get(key);
    if (!r) {
      if (!owner.canFillMissingState(local)) missing.push(key);
      continue;
    }
    if (r.shape.join(',') !== target.shape.join(',')) {
      mismatched.push(`'${key}': the file has [${r.shape.join(', ')}], ${model.arch} has [${target.shape.join(', ')}]`);
    } else if (FLOATING.has(target.dtype) && !FLOATING.has(r.dtype)) {
      mismatched.push(`'${key}': the file has ${r.dtype} values, ${model.arch} needs floating point`);
    }
  }
  const droppedKeys = [...file.keys()].filter(isHead);
  const unexpected = [...file.keys()].filter((k) => !isHead(k) && !wanted.has(k));
  if (missing.length || unexpected.length || mismatched.length) {
    const lines = [`${source}: cannot load these weights into the ${model.arch} backbone:`];
    if (missing.length) lines.push(`  missing key(s) (${missing.length}): ${listKeys(missing)}`);
    if (unexpected.length) lines.push(`  unexpected key(s) (${unexpected.length}): ${listKeys(unexpected)}`);
    for (const m of mismatched.slice(0, MAX_LISTED)) lines.push(`  shape mismatch for ${m}`);
    if (mismatched.length > MAX_LISTED) lines.push(`  … and ${mismatched.length - MAX_LISTED} more mismatches`);
    try {
      const other = inferArch(file, source);
      if (other !== model.arch) lines.push(`  (the file holds ${other} weights; use --arch ${other} or weights made for ${model.arch})`);
    } catch { /* not a recognisable architecture: the lists say enough */ }
    throw new Error(lines.join('\n'));
  }
  const tensors = new Map<string, Tensor>();
  try {
    for (const key of wanted) {
      const r = file.get(key);
      if (r) tensors.set(key, recordToTensor(key, r));
    }
    // Only what is loaded: a NaN in the dropped head (ImageNet's fc) never reaches the model.
    checkFinite(tensors, source);
    // Not strict: the head is absent on purpose; everything else was checked above.
    model.loadStateDict(tensors, { strict: false });
  } finally {
    dispose(tensors);
  }
  return { layout: adapted.layout, droppedKeys };
}

/** Loads the backbone from a checkpoint file (.pth, .pt, .bin, .safetensors). */
export function loadBackboneFromFile(model: StagedNet, file: string): PretrainedInfo {
  if (!fs.existsSync(file)) throw new Error(`pretrained weights file ${file} does not exist`);
  const { tensors } = loadCheckpoint(file);
  const { layout, droppedKeys } = loadBackboneRecords(model, tensors, file);
  return { source: file, file, layout, droppedKeys };
}

/**
 * Loads pretrained weights into the backbone of `model`. `source` is 'none' (keep the random initialisation),
 * a registry name ('imagenet' = the architecture's best torchvision weights, 'imagenet-v1', ...; found in the
 * cache or downloaded and verified), or a file path.
 */
export async function loadPretrainedBackbone(model: StagedNet, source: string, opts: WeightsOptions = {}): Promise<PretrainedInfo> {
  const s = source.trim();
  if (s === '' ) throw new Error(`weights: empty source; use 'imagenet', 'imagenet-v1', 'none' or a file path`);
  if (s.toLowerCase() === 'none') return { source: 'none', droppedKeys: [] };
  if (!isRegistryName(s)) {
    if (!fs.existsSync(s)) {
      throw new Error(`weights '${s}': no such file, and not a registry name (known: imagenet, imagenet-v1, none, or names from \`tlearn weights list\`)`);
    }
    return loadBackboneFromFile(model, s);
  }
  const entry = findWeights(s, model.arch);
  const file = await fetchWeights(entry, opts);
  return { ...loadBackboneFromFile(model, file), source: s, entry };
}

interface WeightsChoice {
  /** 'imagenet' (default), 'imagenet-v1', 'none' or a file path. */
  weights?: string;
  /** Cache/download options for registry weights. */
  weightsOptions?: WeightsOptions;
}
export type CreateBinaryClassifierOptions = BinaryClassifierOptions & WeightsChoice;
export type CreateClassifierOptions = ImageClassifierOptions & WeightsChoice;

/** Loads the backbone's weights into a new model; the model is freed when that fails. */
async function withBackbone<M extends ImageClassifier>(model: M, o: WeightsChoice): Promise<{ model: M; pretrained: PretrainedInfo }> {
  try {
    const pretrained = await loadPretrainedBackbone(model, o.weights ?? 'imagenet', o.weightsOptions);
    return { model, pretrained };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * The seed's model: a torchvision ResNet (default resnet50) with pretrained backbone weights and the new head
 * fc = Sequential(Dropout(p), Linear(F, 1), Sigmoid). After manualSeed(s), the head's initial weights equal
 * those of the same PyTorch code run after torch.manual_seed(s).
 */
export function createBinaryClassifier(o: CreateBinaryClassifierOptions = {}): Promise<{ model: BinaryClassifier; pretrained: PretrainedInfo }> {
  return withBackbone(new BinaryClassifier(o), o);
}

/** A classifier with K outputs (ImageClassifier) on a pretrained backbone; the head is drawn as createBinaryClassifier's. */
export function createClassifier(o: CreateClassifierOptions = {}): Promise<{ model: ImageClassifier; pretrained: PretrainedInfo }> {
  return withBackbone(new ImageClassifier(o), o);
}
