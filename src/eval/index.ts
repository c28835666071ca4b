// Evaluation and prediction with a trained model: the engine, data, metrics and report layers together.
export { evaluate, writeEvaluation, jsonWithNulls, type EvaluationInput, type EvaluationMetrics, type ReportContext } from './evaluate.js';
export { predict, predictItems, type ItemPredictions, type PredictItemsOptions } from './predict.js';
