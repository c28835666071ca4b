// k-fold cross-validation above src/train: folds, one run per fold sharing the frozen-prefix caches, out-of-fold
// probabilities, label issues, the summary and its report.
export { crossValidate, type CvEvent, type CvOptions, type CvResult, type CvSummary, type FoldRecord } from './cross-validate.js';
export { assignFolds, FoldError } from './folds.js';
export { cvPaths, type CvPaths } from './paths.js';
export { readOof, type OofRow } from './oof.js';
export { meanSd, summarise, tInterval95, tQuantile975 } from './summary.js';
