// Public API of src/metrics: scikit-learn-identical metrics in plain TypeScript (no engine import).
export { binaryConfusion, confusionMatrix, predictLabels, uniqueLabels, type BinaryConfusion } from './confusion.js';
export {
  classificationReport, type ClassificationReportDict, type ClassificationReportOptions, type ReportRow,
  type SklearnCompat, type ZeroDivision,
} from './report.js';
export { auc, binaryClfCurve, rocAucScore, rocCurve, type ClfCurve, type RocCurve } from './roc.js';
export { averagePrecision, precisionRecallCurve, type PrCurve } from './pr.js';
export {
  accuracy, balancedAccuracy, brierScore, f1, logLoss, mcc, precision, recall, sensitivity, specificity,
  type ZeroDivisionOption,
} from './scalar.js';
export { wilsonCI95, classIntervals, type ClassIntervals } from './proportion.js';
export { aucBootstrapCI, mulberry32, ResampledAuc, resampleIndices, type BootstrapCI, type BootstrapOptions } from './bootstrap.js';
export { calibrationCurve, ECE_BINS, eceFromCurve, expectedCalibrationError, type CalibrationCurve, type CalibrationOptions } from './calibration.js';
export { chooseThreshold, type AchievedRates, type ThresholdChoice, type ThresholdMethod, type ThresholdOptions } from './threshold.js';
export { binaryMetrics, type BinaryMetricsOptions, type MetricsJson } from './summary.js';
export type { PrfAverage, PrfCounts, PrfOptions, PrfScores } from './prf.js';
export {
  multiclassAccuracy, multiclassBalancedAccuracy, multiclassConfusionMatrix, multiclassLogLoss, multiclassPrf,
  multiclassCounts, multiclassPrfPerClass, multiclassRocAuc, ovrRocAucPerClass, topKAccuracy, type MulticlassPrfOptions, type OvrAverage,
  type PerClassPrf,
} from './multiclass.js';
export {
  hammingLoss, multilabelAveragePrecision, multilabelAveragePrecisionPerLabel, multilabelClassificationReport,
  multilabelLabelCounts, multilabelPrf, multilabelPrfPerLabel, multilabelRocAuc, multilabelRocAucPerLabel, subsetAccuracy,
  type MultilabelPrfOptions, type MultilabelScoreAverage, type PerLabelPrf,
} from './multilabel.js';
export { checkClassIndices, checkLabelMatrix, checkProbaMatrix, checkScoreMatrix, type LabelMatrix, type ScoreMatrix } from './matrix.js';
export { pyFixed } from './format.js';
export { npSum, npMean, percentileSorted } from './numeric.js';
export {
  calibrateJoint, confidentJoint, findLabelIssues, findMultiLabelIssues, perClassThresholds, probabilityRows, type ConfidentLearningResult, type LabelIssue,
  type MultiLabelIssue,
} from './confident-learning.js';
export {
  delongPaired, mcnemarExactP, pairedMacroAucBootstrap, twoSidedNormalP, type DelongComparison, type MacroAucComparison, type PairedColumn,
} from './compare.js';
export { conformalCoverage, conformalMinimumImages, describeQhat, tooFewForAlpha, fitConformal, predictionSet, qhatOf, type ConformalCoverage, type ConformalFit, type Qhat } from './conformal.js';
