// The options that give a model file without tlearn metadata (a plain state_dict, a foreign .onnx) what it cannot
// say (image size, classes, task, resize), and refuse them where a tlearn file says otherwise. Shared by the
// libtorch loader (model-file.ts) and the ONNX one (src/deploy), which must not load libtorch.
import type { TaskKind } from './bounds.js';
import type { Arch } from './zoo.js';
import { completeMetadata, seedMetadata, type ModelMetadata, type ResizeMode } from './metadata.js';

export interface ModelFileOptions {
  imageSize?: number;
  classes?: string[];
  task?: TaskKind;
  resize?: ResizeMode;
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The metadata a model is used with: a tlearn file's own (an option that contradicts it is an error naming the
 * key), else `metadata` (the defaults) completed with the options. `assumed` lists what came from defaults.
 */
export function applyModelOptions(file: string, metadata: ModelMetadata, fromTlearn: boolean, opts: ModelFileOptions,
  outputs: number): { final: ModelMetadata; assumed: string[] } {
  // Options fill in what a plain state_dict cannot say; a tlearn file already says it, and must not be contradicted.
  const given = { imageSize: opts.imageSize, classes: opts.classes, resize: opts.resize, task: opts.task };
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (fromTlearn && !sameJSON(value, metadata[key as keyof ModelMetadata])) {
      throw new Error(`${file}: was trained with ${key} ${JSON.stringify(metadata[key as keyof ModelMetadata])}; ` +
        `${JSON.stringify(value)} was given (leave the option out to use the model's own value)`);
    }
  }
  const final = fromTlearn ? metadata : completeMetadata(given, metadata, `loadModelFile(${file})`, 'option');
  if (!fromTlearn && final.classes.length !== metadata.classes.length) {
    throw new Error(`${file}: has ${outputs} output${outputs === 1 ? '' : 's'}; ${final.classes.length} class names were given (${final.classes.join(',')})`);
  }
  const assumed = fromTlearn ? [] : [
    ...(opts.imageSize === undefined ? [`image size ${final.imageSize}`] : []),
    ...(opts.classes === undefined ? [`classes ${final.classes.join(',')}`] : []),
  ];
  return { final, assumed };
}

/** The head's outputs a task has for its classes. */
export const headOutputs = (task: TaskKind, classes: number): number => (task === 'binary' ? 1 : classes);

/** A plain state_dict's metadata: the seed's, with the task and class names its head implies (or the options give). */
export function plainMetadata(arch: Arch | undefined, outputs: number, opts: ModelFileOptions, file: string): ModelMetadata {
  const task = opts.task ?? (outputs === 1 ? 'binary' : 'multiclass');
  const base = seedMetadata(arch);
  if (task === 'binary') return base;
  return completeMetadata({ task, classes: Array.from({ length: outputs }, (_, i) => String(i)) }, base, file);
}
