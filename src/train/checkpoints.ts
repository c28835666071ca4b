// Model checkpoints of a run: best_model_<phase> whenever a phase's monitored metric improves, restoring
// that file at the end of the phase, and best_model_final. Each file carries the full metadata
// (preprocessing, classes, threshold, where in training it was saved, validation metrics, tool version).
import fs from 'node:fs';
import { loadCheckpoint, saveCheckpoint } from '../io/index.js';
import { dispose } from '../torch/index.js';
import { recordsToTensors, saveModelFile, type ImageClassifier, type ModelMetadata, type TaskKind } from '../models/index.js';
import type { Task, ThresholdPick } from '../tasks/index.js';
import type { RunConfig } from './config/index.js';
import type { EpochRecord } from './types.js';

export interface RunIdentity {
  config: RunConfig;
  task: TaskKind;
  /** The ordered classes (binary: [negative, positive]). */
  classes: readonly string[];
  /** The loss's positive-class weight as used ('auto' resolved), or null: recorded in every checkpoint (extra.pos_weight). */
  posWeight: number | null;
  /** The loss's settings as its task records them in every checkpoint's extra (Task.lossRecord). */
  lossRecord: Record<string, unknown>;
}

/** The metrics of a record that go into a checkpoint. */
export function recordMetrics(r: EpochRecord): Record<string, number> {
  return {
    train_loss: r.train_loss, train_accuracy: r.train_accuracy, val_loss: r.val_loss, val_accuracy: r.val_accuracy, val_auc: r.val_auc,
  };
}

/**
 * The decision threshold(s) for validation scores, by config.threshold and the task. A method that cannot work
 * here (one class only, an unreachable target) falls back to 0.5 and says why (warnings).
 */
export function pickThreshold(task: Task, config: RunConfig, labels: Float32Array, probs: Float32Array): ThresholdPick {
  return task.pickThresholds(probs, labels, config.threshold);
}

export function checkpointMetadata(id: RunIdentity, phase: string, epoch: number, metrics: Record<string, number>,
  pick: ThresholdPick, extra: Record<string, unknown> = {}): Partial<ModelMetadata> {
  const c = id.config;
  return {
    task: id.task,
    classes: [...id.classes],
    positiveClass: id.task === 'binary' ? id.classes[1]! : null,
    imageSize: c.input.imageSize,
    resize: c.input.resize,
    dicomWindows: c.input.dicomWindows ? c.input.dicomWindows.map(([center, width]) => [center, width]) : null,
    mean: [...c.input.mean],
    std: [...c.input.std],
    threshold: pick.threshold,
    thresholds: pick.thresholds,
    phase,
    epoch,
    metrics: { ...metrics },
    weights: c.model.weights,
    extra: {
      threshold_method: c.threshold.method,
      threshold_value: c.threshold.value,
      ...(pick.achieved ? { threshold_rates_val: pick.achieved } : {}),
      bn_policy: c.bnPolicy,
      pos_weight: id.posWeight,
      seed: c.seed,
      // With the seed, the drawn split (data without split folders) can be redrawn by `evaluate`.
      val_fraction: c.data.valFraction,
      test_fraction: c.data.testFraction,
      ...id.lossRecord,
      ...extra,
    },
  };
}

/** Writes a model checkpoint (atomically, through src/io) in the configured format. */
export function writeCheckpoint(file: string, model: ImageClassifier, metadata: Partial<ModelMetadata>, format: RunConfig['checkpointFormat']): ModelMetadata {
  // With 'both', the .safetensors is written at every improvement and the .pth copy once the phase is over
  // (pthCopy): a .pth of a 100 MB model at every better epoch would cost seconds each time.
  return saveModelFile(file, model, metadata, { format: format === 'both' ? 'safetensors' : format });
}

/** Writes `X.pth` beside `X.safetensors` (same tensors and metadata) unless an up-to-date copy exists. */
export function pthCopy(file: string): string {
  const pth = file.replace(/\.safetensors$/, '') + '.pth';
  if (fs.existsSync(pth) && fs.statSync(pth).mtimeMs >= fs.statSync(file).mtimeMs) return pth;
  const ckpt = loadCheckpoint(file);
  saveCheckpoint(pth, ckpt.tensors, ckpt.metadata, { format: 'pth' });
  return pth;
}

/** Loads a checkpoint's weights into the model in place (all keys, strictly). */
export function restoreWeights(model: ImageClassifier, file: string): Record<string, unknown> {
  const ckpt = loadCheckpoint(file);
  const tensors = recordsToTensors(ckpt.tensors);
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    throw new Error(`cannot restore the best weights from ${file}: ${(e as Error).message}`);
  } finally {
    dispose(tensors);
  }
  return ckpt.metadata;
}
