// The expected calibration error of a task's probabilities, without the engine: src/eval's report (and so the
// libtorch-free prediction of src/deploy) computes it, temperature.ts fits with it.
import type { TaskKind } from '../models/index.js';
import { ECE_BINS, expectedCalibrationError } from '../metrics/index.js';
import { argmaxRows } from './decide.js';

/**
 * The expected calibration error of probabilities [n, width] (10 equal-width bins, as metrics.json's ece): binary
 * on the positive class's probability; multi-class on the top label (Guo et al.: confidence = the largest
 * probability, correct = it is the true class); multi-label over every (image, label) pair.
 */
export function calibrationError(kind: TaskKind, probs: ArrayLike<number>, labels: ArrayLike<number>, width: number): number {
  if (kind !== 'multiclass') return expectedCalibrationError(labels, probs, { nBins: ECE_BINS });
  const top = argmaxRows(probs, width);
  const confidence = Float64Array.from(top, (c, i) => probs[i * width + c]!);
  const correct = Float64Array.from(top, (c, i) => (c === labels[i] ? 1 : 0));
  return expectedCalibrationError(correct, confidence, { nBins: ECE_BINS });
}
