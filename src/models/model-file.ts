// Model files: a tlearn checkpoint (safetensors or .pth, with metadata) or a plain `.pth` state_dict saved by
// the seed's PyTorch code (`torch.save(model.state_dict(), path)`), loaded into an ImageClassifier; and the
// writer, whose files load in PyTorch with `torch.load(path, weights_only=True)` + strict load_state_dict.
import fs from 'node:fs';
import path from 'node:path';
import { dispose } from '../torch/index.js';
import { adaptToTorchvision, loadCheckpoint, saveCheckpoint, type Checkpoint, type CheckpointFormat } from '../io/index.js';
import { ImageClassifier } from './classifier.js';
import { checkFinite, checkFiniteRecords } from './finite.js';
import { headInfo } from './infer.js';
import { fromTimmLayout } from './regnet-timm.js';
import { inferArch } from './families.js';
import {
  completeMetadata, isTlearnMetadata, metadataToJSON, seedMetadata, toolVersion, type ModelMetadata, type ResizeMode,
} from './metadata.js';
import { checkAnyArch, familyInfo, isResNetFamily, type Arch } from './zoo.js';
import type { TaskKind } from './bounds.js';
import { moduleToRecords, recordsToTensors } from './state.js';
import { applyModelOptions, headOutputs, plainMetadata } from './options.js';

export interface LoadModelOptions {
  /** Expected architecture (checked against the file); inferred from the keys when absent. */
  arch?: Arch;
  /** For a file without tlearn metadata (default 224); must agree with the metadata of a tlearn file. */
  imageSize?: number;
  /**
   * The class names for a file without tlearn metadata (binary: [negative, positive], default ['0', '1'];
   * otherwise one per output, default '0', '1', ...); must agree otherwise.
   */
  classes?: string[];
  /**
   * The task of a file without tlearn metadata: its keys cannot tell a multi-class head from a multi-label one
   * (the Sigmoid has no weights). Default: 'binary' for 1 output, 'multiclass' for more; must agree otherwise.
   */
  task?: TaskKind;
  /** The eval resize for a file without tlearn metadata (default 'squash', the seed's Resize((s, s))); must agree otherwise. */
  resize?: ResizeMode;
  /** Device to move the model to after loading (default: stays on the CPU). */
  device?: string;
}

export interface LoadedModel {
  model: ImageClassifier;
  metadata: ModelMetadata;
  format: CheckpointFormat;
  /** False for a plain state_dict (the metadata then holds the seed's defaults and the options). */
  fromTlearn: boolean;
  /** For a plain state_dict: what came from defaults because no option gave it ('image size 224', 'classes 0,1'). */
  assumed: string[];
  /**
   * True when the file is the model's state_dict as it is (torchvision's keys, not timm's, and not wrapped in a
   * checkpoint dict): PyTorch's load_state_dict takes it without any renaming.
   */
  keysAsSaved: boolean;
}

/** A model path that is not there, or a run's folder given for its model: the error says what to give instead. */
function missingModelFile(file: string): void {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  const hint = 'give the path of a .safetensors or .pth model file (a training run\'s final model is RUN/best_model_final.safetensors)';
  if (!stat) throw Object.assign(new Error(`the model file ${file} does not exist: ${hint}`), { code: 'ENOENT' });
  if (stat.isDirectory()) {
    const inRun = path.join(file, 'best_model_final.safetensors');
    throw Object.assign(new Error(`${file} is a folder, not a model file: give the path of a .safetensors or .pth model file` +
      ` (for a training run's folder: ${inRun})`), { code: 'EISDIR' });
  }
}

export { headOutputs } from './options.js';

/**
 * Loads a classifier from a file. The file's keys must be exactly the model's (strict), its head
 * `fc = Sequential(Dropout, Linear(F, K)[, Sigmoid])` with K = 1 for a binary model and K = classes otherwise.
 * The model is returned in eval mode.
 */
export function loadModelFile(file: string, opts: LoadModelOptions = {}): LoadedModel {
  missingModelFile(file);
  const ckpt = loadCheckpoint(file);
  // A model saved from timm (a RegNet under timm's names) is read under torchvision's keys.
  const { tensors: records } = fromTimmLayout(adaptToTorchvision(ckpt.tensors).tensors, file);
  // The family first (its head lies at its headPath); keys of no known family keep ResNet's messages about fc.
  let inferred: Arch | undefined;
  let inferError: Error | undefined;
  try {
    inferred = inferArch(records, file);
  } catch (e) {
    inferError = e as Error;
  }
  const headPath = inferred ? familyInfo(inferred).headPath : 'fc';
  const head = headInfo(records, headPath);
  if (head.kind !== 'binary') {
    const what = head.kind === 'linear'
      ? `a ${!inferred || isResNetFamily(inferred) ? 'ResNet' : inferred} with a ${head.outFeatures}-class Linear head (${headPath}.weight [${head.outFeatures}, ${head.inFeatures}])`
      : `a state_dict without a classifier head (no ${headPath}.1.weight)`;
    throw new Error(`${file}: this is ${what}, not a binary classifier (${headPath} = Sequential(Dropout, Linear(F, 1), Sigmoid)) nor a ` +
      `multi-class or multi-label one (${headPath} = Sequential(Dropout, Linear(F, C)[, Sigmoid])); to start training from it, pass it as pretrained weights (--weights ${file})`);
  }
  if (!inferred) throw inferError!;

  const fromTlearn = isTlearnMetadata(ckpt.metadata);
  const base = plainMetadata(inferred, head.outFeatures!, opts, file);
  const metadata = completeMetadata(fromTlearn ? ckpt.metadata : {}, base, file);
  const outputs = headOutputs(metadata.task, metadata.classes.length);
  if (head.outFeatures !== outputs) {
    throw new Error(`${file}: '${headPath}.1.weight' has ${head.outFeatures} outputs; a ${metadata.task} model of ${metadata.classes.length} classes has ${outputs}`);
  }
  if (metadata.arch !== inferred) {
    throw new Error(`${file}: metadata says arch '${metadata.arch}' but the weights are those of ${inferred}`);
  }
  if (opts.arch !== undefined && checkAnyArch(opts.arch, 'arch option') !== inferred) {
    throw new Error(`${file}: holds a ${inferred} model, not the requested ${opts.arch}`);
  }
  const { final, assumed } = applyModelOptions(file, metadata, fromTlearn, opts, outputs);

  const model = new ImageClassifier({
    arch: inferred, dropout: final.dropout, outputs, activation: final.task === 'multiclass' ? 'softmax' : 'sigmoid', skipInit: true,
  });
  if (head.inFeatures !== model.numFeatures) {
    model.dispose();
    throw new Error(`${file}: '${headPath}.1.weight' takes ${head.inFeatures} features, ${inferred} produces ${model.numFeatures}`);
  }
  const tensors = recordsToTensors(records);
  try {
    try {
      model.loadStateDict(tensors);
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
    // In the model's state_dict order (a safetensors file sorts its tensors by name), so the tensor named is the
    // first PyTorch's state_dict() would list.
    checkFinite(model.stateSlots().flatMap(([key]) => (tensors.has(key) ? [[key, tensors.get(key)!] as const] : [])), file);
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    dispose(tensors);
  }
  if (opts.device && opts.device !== 'cpu') model.to(opts.device);
  model.temperature = final.temperature ?? 1;
  model.eval();
  // loadStateDict above is strict: the keys read are the model's; were they the file's own?
  const keysAsSaved = Object.keys(ckpt.extra).length === 0 && records.size === ckpt.tensors.size && [...records.keys()].every((k) => ckpt.tensors.has(k));
  return { model, metadata: final, format: ckpt.format, fromTlearn, assumed, keysAsSaved };
}

export interface SaveModelOptions {
  /** Overrides the format implied by the extension (.safetensors or .pth/.pt). */
  format?: CheckpointFormat;
  /** Also write the metadata to `<file>.json`. */
  sidecar?: boolean;
}

/**
 * Writes the model's state_dict (torch's keys and order) and its metadata; arch, dropout, tool version and
 * time of writing are filled from the model and the tool. Returns the metadata as written.
 */
export function saveModelFile(file: string, model: ImageClassifier, metadata: Partial<ModelMetadata> = {}, opts: SaveModelOptions = {}): ModelMetadata {
  if (metadata.arch !== undefined && metadata.arch !== model.arch) {
    throw new Error(`saveModelFile(${file}): metadata arch '${metadata.arch}' differs from the model's ${model.arch}`);
  }
  const full = modelFileMetadata(model, metadata, `saveModelFile(${file})`);
  saveCheckpoint(file, moduleToRecords(model), metadataToJSON(full), opts);
  return full;
}

/** The metadata saveModelFile writes for `model` (completed and checked; errors name `source`), without writing. */
export function modelFileMetadata(model: ImageClassifier, metadata: Partial<ModelMetadata>, source: string): ModelMetadata {
  const base = { ...seedMetadata(model.arch), toolVersion: toolVersion(), createdAt: new Date().toISOString() };
  return completeMetadata({ ...metadata, arch: model.arch, dropout: model.dropoutP }, base, source);
}

/**
 * What `tlearn export` checks in a checkpoint it copies without building the model: tlearn's metadata (as
 * loadModelFile checks it) and every floating-point tensor (no NaN or inf, in the file's order). Throws naming `file`.
 */
export function checkCheckpointContents(ckpt: Pick<Checkpoint, 'tensors' | 'metadata'>, file: string): void {
  if (isTlearnMetadata(ckpt.metadata)) completeMetadata(ckpt.metadata, seedMetadata(), file);
  checkFiniteRecords(ckpt.tensors, file);
}
