// Evaluation and prediction with a trained model: the engine, data, metrics and report layers together.
export { evaluate, evaluateRun, writeEvaluation, jsonWithNulls, type AnyEvaluationMetrics, type BinaryEvaluationMetrics, type EvaluationInput, type EvaluationMetrics, type ReportContext, type EvaluateRunOptions } from './evaluate.js';
export { predict, predictItems, NonFiniteOutputError, type ItemPredictions, type PredictItemsOptions } from './predict.js';
export { OutFolderError } from './out-folder.js';
export type { EvaluateCommandOptions, PredictCommandOptions, PredictRow } from './types.js';
