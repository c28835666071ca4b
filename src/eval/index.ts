// Evaluation and prediction with a trained model: the engine, data, metrics and report layers together.
export { evaluateWith, writeEvaluation, jsonWithNulls, type AnyEvaluationMetrics, type BinaryEvaluationMetrics, type EvaluationInput, type EvaluationMetrics, type EvaluationModel, type ReportContext } from './evaluate.js';
export { evaluate, evaluateRun, type EvaluateRunOptions, type TestPrediction } from './evaluate-model.js';
export { predict, predictItems, NonFiniteOutputError, type ItemPredictions, type PredictItemsOptions } from './predict.js';
export { OutFolderError } from './out-folder.js';
export type { EvaluateCommandOptions, PredictCommandOptions, PredictRow } from './types.js';
export { compareEvaluations, type EvaluationComparison } from './compare.js';
