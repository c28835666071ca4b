// Public API of src/tasks: one Task per kind of classification (binary, multiclass, multilabel).
import type { TaskKind } from '../models/index.js';
import { BinaryTask } from './binary.js';
import { MulticlassTask } from './multiclass.js';
import { MultilabelTask } from './multilabel.js';
import type { LossSettings, Task } from './task.js';

export { BinaryTask, countCorrect } from './binary.js';
export { MulticlassTask, argmaxRows } from './multiclass.js';
export { MultilabelTask, subsetCorrect } from './multilabel.js';
export {
  byClass, NO_LOSS_SETTINGS, orNaN, rowsOf, type Decision, type LossSettings, type Prediction, type Task, type ThresholdPick, type ValidationScores,
} from './task.js';

/** The task of a run or a model: its kind, its ordered classes and the loss settings (weights on `device`). */
export function createTask(kind: TaskKind, classes: readonly string[], loss: LossSettings, device = 'cpu'): Task {
  switch (kind) {
    case 'binary': return new BinaryTask(classes, loss, device);
    case 'multiclass': return new MulticlassTask(classes, loss, device);
    case 'multilabel': return new MultilabelTask(classes, loss, device);
  }
}
export {
  multiclassEvaluation, multilabelEvaluation, type MulticlassEvaluation, type MulticlassMetrics, type MultilabelEvaluation, type MultilabelMetrics,
} from './evaluation.js';
export { LOSS_POLICIES, type LossPolicy, type LossRequest, type LossResolution } from './loss.js';
export { calibrationError } from './calibration-error.js';
export { fitTemperature, LOG_T_RANGE, nllOfTemperature, temperedProbabilities, type TemperatureFit } from './temperature.js';
