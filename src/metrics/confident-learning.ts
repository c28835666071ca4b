// Confident learning (Northcutt, Jiang & Chuang 2021, "Confident Learning: Estimating Uncertainty in Dataset
// Labels", JAIR 70): which given labels are probably wrong, from out-of-sample predicted probabilities.
//  - per-class thresholds t_j: the mean self-confidence P[k][j] of the examples labelled j (eq. 1's t_j);
//  - the confident joint C[i][j] (i = given label, j = latent true label): an example labelled i counts in
//    C[i][j*] where j* is the argmax of P[k][j] among the classes j with P[k][j] >= t_j (none: not counted);
//  - calibration (eq. 2): each row rescaled to its label count, C~[i][j] = C[i][j] / sum_j C[i][j] * n_i, and
//    the joint Q = C~ / sum C~;
//  - prune by noise rate (section 3.2, cleanlab's prune_by_noise_rate): for each off-diagonal (i, j), the
//    round(n * Q[i][j]) examples labelled i with the largest margin P[k][j] - P[k][i] are label issues,
//    suggested label j (flagged by several pairs: the j of the largest margin);
//  - issues ranked by self-confidence P[k][given], lowest first (cleanlab's 'self_confidence' ranking).
// Small matrices and loops over examples: plain TypeScript, no engine.

export interface ConfidentLearningResult {
  /** t_j; NaN for a class no example is labelled with. */
  thresholds: number[];
  /** C[i][j]: examples labelled i confidently counted as j. */
  confidentJoint: number[][];
  /** Q[i][j], the calibrated joint (sums to 1). */
  joint: number[][];
  /** The label issues, ranked (rank 1: lowest self-confidence). */
  issues: LabelIssue[];
}

export interface LabelIssue {
  /** Row of the example in the input. */
  index: number;
  given: number;
  suggested: number;
  /** P[index][given]. */
  selfConfidence: number;
  /** The margin P[suggested] - P[given] that selected it. */
  margin: number;
  rank: number;
}

/** Rows of class probabilities: `probs` n x m (rows of length m), or binary positive-class probabilities (m = 2: [1-p, p]). */
export function probabilityRows(probs: ArrayLike<number>, n: number): number[][] {
  if (probs.length === n) return Array.from({ length: n }, (_, k) => [1 - probs[k]!, probs[k]!]);
  if (n === 0 || probs.length % n !== 0) throw new RangeError(`probabilities: ${probs.length} values for ${n} examples`);
  const m = probs.length / n;
  return Array.from({ length: n }, (_, k) => Array.from({ length: m }, (_, j) => probs[k * m + j]!));
}

/** t_j = mean over the examples labelled j of P[k][j]. */
export function perClassThresholds(labels: readonly number[], P: readonly (readonly number[])[], m: number): number[] {
  const sum = new Array<number>(m).fill(0), count = new Array<number>(m).fill(0);
  labels.forEach((s, k) => { sum[s]! += P[k]![s]!; count[s]! += 1; });
  return sum.map((v, j) => (count[j]! > 0 ? v / count[j]! : NaN));
}

/** C[i][j] (eq. 1 with the argmax rule among the classes at or above their threshold). */
export function confidentJoint(labels: readonly number[], P: readonly (readonly number[])[], t: readonly number[]): number[][] {
  const m = t.length;
  const C = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  labels.forEach((s, k) => {
    let best = -1;
    for (let j = 0; j < m; j++) {
      const p = P[k]![j]!;
      if (p >= t[j]! && (best < 0 || p > P[k]![best]!)) best = j;
    }
    if (best >= 0) C[s]![best]! += 1;
  });
  return C;
}

/** Q: each row of C scaled to its label count (eq. 2), then the whole divided by its sum. */
export function calibrateJoint(C: readonly (readonly number[])[], labelCounts: readonly number[]): number[][] {
  const scaled = C.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((c) => (total > 0 ? (c / total) * labelCounts[i]! : 0));
  });
  const all = scaled.flat().reduce((a, b) => a + b, 0);
  return scaled.map((row) => row.map((c) => (all > 0 ? c / all : 0)));
}

/**
 * The label issues of `labels` (class indices 0..m-1) given out-of-sample probabilities `probs` (n x m, or n
 * positive-class probabilities for a binary task).
 */
export function findLabelIssues(labels: readonly number[], probs: ArrayLike<number>, classes?: number): ConfidentLearningResult {
  const n = labels.length;
  const P = probabilityRows(probs, n);
  const m = classes ?? P[0]?.length ?? 2;
  labels.forEach((s, k) => {
    if (!(Number.isInteger(s) && s >= 0 && s < m)) throw new RangeError(`labels[${k}] = ${s}: expected a class index in [0, ${m})`);
    if (P[k]!.length !== m || P[k]!.some((p) => !Number.isFinite(p))) throw new RangeError(`probabilities of example ${k}: expected ${m} finite values`);
  });
  const thresholds = perClassThresholds(labels, P, m);
  const C = confidentJoint(labels, P, thresholds);
  const counts = new Array<number>(m).fill(0);
  for (const s of labels) counts[s]! += 1;
  const Q = calibrateJoint(C, counts);
  const flagged = new Map<number, { suggested: number; margin: number }>();
  for (let i = 0; i < m; i++) {
    const members = labels.flatMap((s, k) => (s === i ? [k] : []));
    for (let j = 0; j < m; j++) {
      if (j === i) continue;
      const remove = Math.round(n * Q[i]![j]!);
      if (remove <= 0) continue;
      // The largest margins first; equal margins: the earlier example first (a stable order).
      const byMargin = members.map((k) => ({ k, margin: P[k]![j]! - P[k]![i]! })).sort((a, b) => b.margin - a.margin || a.k - b.k);
      for (const { k, margin } of byMargin.slice(0, remove)) {
        const prev = flagged.get(k);
        if (!prev || margin > prev.margin) flagged.set(k, { suggested: j, margin });
      }
    }
  }
  const issues = [...flagged.entries()]
    .map(([index, f]) => ({ index, given: labels[index]!, suggested: f.suggested, selfConfidence: P[index]![labels[index]!]!, margin: f.margin, rank: 0 }))
    .sort((a, b) => a.selfConfidence - b.selfConfidence || a.index - b.index);
  issues.forEach((it, r) => { it.rank = r + 1; });
  return { thresholds, confidentJoint: C, joint: Q, issues };
}

/** A label issue of a multi-label task: one label of one example, probably given wrongly (present or absent). */
export interface MultiLabelIssue {
  /** Row of the example in the input. */
  index: number;
  /** The label (class index) that is probably wrong. */
  label: number;
  /** Whether the label was given as present (the suggestion is the opposite). */
  givenPresent: boolean;
  /** The out-of-sample probability of the given value: p if present, 1 - p if absent. */
  selfConfidence: number;
  margin: number;
  rank: number;
}

/**
 * Multi-label confident learning as cleanlab's multi_label mode: every label is its own binary problem (present
 * vs absent, probabilities [1 - p, p]) solved by {@link findLabelIssues}; the issues of all labels ranked together
 * by self-confidence, lowest first. `labelSets[k]`: the labels given to example k; `probs`: n x m sigmoid outputs.
 */
export function findMultiLabelIssues(labelSets: readonly (readonly number[])[], probs: ArrayLike<number>, m: number): MultiLabelIssue[] {
  const n = labelSets.length;
  if (probs.length !== n * m) throw new RangeError(`probabilities: ${probs.length} values for ${n} examples x ${m} labels`);
  const issues: MultiLabelIssue[] = [];
  for (let j = 0; j < m; j++) {
    const given = labelSets.map((s) => (s.includes(j) ? 1 : 0));
    const column = Float64Array.from({ length: n }, (_, k) => probs[k * m + j]!);
    for (const it of findLabelIssues(given, column, 2).issues) {
      issues.push({ index: it.index, label: j, givenPresent: it.given === 1, selfConfidence: it.selfConfidence, margin: it.margin, rank: 0 });
    }
  }
  issues.sort((a, b) => a.selfConfidence - b.selfConfidence || a.index - b.index || a.label - b.label);
  issues.forEach((it, r) => { it.rank = r + 1; });
  return issues;
}
