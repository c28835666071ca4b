// The errors of a C-class model grouped the way one reads them: multiclass by confused pair (true class ->
// predicted class, the most frequent pair first), multilabel by label and kind of error (a label missed, a
// label predicted that the image does not have). Within a group the most confident errors come first.
import type { MultiClassView, MultiLabelView } from './view.js';

export interface ConfusedImage {
  path: string;
  /** Row of the image in the view. */
  row: number;
  /** Probability of the predicted class. */
  pPredicted: number;
  /** Probability of the true class. */
  pTrue: number;
}

export interface ConfusedPair {
  truth: number;
  predicted: number;
  count: number;
  /** Every image of the pair, highest p(predicted) first (ties: view order). */
  images: ConfusedImage[];
}

/** Pairs ordered by count (ties: true class, then predicted class, by index). */
export function confusedPairs(v: MultiClassView, predicted: Int32Array): ConfusedPair[] {
  const c = v.classes.length;
  const pairs = new Map<number, ConfusedPair>();
  for (let i = 0; i < predicted.length; i++) {
    const t = v.yTrue[i];
    const p = predicted[i];
    if (t === p) continue;
    const key = t * c + p;
    let pair = pairs.get(key);
    if (!pair) pairs.set(key, (pair = { truth: t, predicted: p, count: 0, images: [] }));
    pair.count++;
    pair.images.push({ path: v.paths[i], row: i, pPredicted: v.probs[i * c + p], pTrue: v.probs[i * c + t] });
  }
  const out = [...pairs.values()].sort((a, b) => b.count - a.count || a.truth - b.truth || a.predicted - b.predicted);
  for (const pair of out) pair.images.sort((a, b) => b.pPredicted - a.pPredicted || a.row - b.row);
  return out;
}

export type LabelErrorKind = 'missed' | 'false alarm';

export interface LabelErrorImage {
  path: string;
  row: number;
  /** The label's probability on this image. */
  probability: number;
}

export interface LabelErrorGroup {
  label: number;
  kind: LabelErrorKind;
  threshold: number;
  count: number;
  /** Furthest from the threshold first: lowest probability for a miss, highest for a false alarm. */
  images: LabelErrorImage[];
}

/** Groups ordered by count (ties: label index, then missed before false alarm). */
export function labelErrorGroups(v: MultiLabelView, predicted: Uint8Array): LabelErrorGroup[] {
  const c = v.classes.length;
  const groups: LabelErrorGroup[] = [];
  for (let j = 0; j < c; j++) {
    const missed: LabelErrorImage[] = [];
    const alarms: LabelErrorImage[] = [];
    for (let i = 0; i * c < predicted.length; i++) {
      const k = i * c + j;
      if (v.yTrue[k] === predicted[k]) continue;
      (v.yTrue[k] === 1 ? missed : alarms).push({ path: v.paths[i], row: i, probability: v.probs[k] });
    }
    missed.sort((a, b) => a.probability - b.probability || a.row - b.row);
    alarms.sort((a, b) => b.probability - a.probability || a.row - b.row);
    if (missed.length) groups.push({ label: j, kind: 'missed', threshold: v.thresholds[j], count: missed.length, images: missed });
    if (alarms.length) groups.push({ label: j, kind: 'false alarm', threshold: v.thresholds[j], count: alarms.length, images: alarms });
  }
  // Stable sort: equal counts keep the label order, a label's miss before its false alarm.
  return groups.sort((a, b) => b.count - a.count);
}
