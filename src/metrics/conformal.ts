// Split conformal prediction sets (Vovk et al. 2005; Angelopoulos & Bates, "A gentle introduction to conformal
// prediction", 2021; MAPIE's "lac" method): on held-out labelled images (the validation split), each image's score
// is 1 − the probability the model gives its true class; q̂ is their ⌈(n + 1)(1 − α)⌉/n quantile (the next order
// statistic up, numpy's method 'higher'). A new image's set holds every class whose score 1 − p would be at most
// q̂. When the images are exchangeable with the held-out ones, a set holds the true class with probability at least
// 1 − α (marginally: over images, not per class). A binary model's two classes have probabilities 1 − p and p.

/** Rows of probabilities, one per image (binary: [p] of the positive class). */
export type ProbabilityRows = readonly ArrayLike<number>[];

export interface ConformalFit {
  /** The error rate asked for: sets miss the true class at most this often. */
  alpha: number;
  /** The score threshold: classes with 1 − p ≤ q̂ are in the set. */
  qhat: number;
  /** The number of held-out images it was fitted on. */
  n: number;
}

/** Each class's probability in an image: a binary model's [1 − p, p], or a multi-class row as it is. */
function classProbabilities(row: ArrayLike<number>, binary: boolean): number[] {
  return binary ? [1 - row[0]!, row[0]!] : Array.from(row);
}

/**
 * q̂ from n held-out images (rows of probabilities, binary: of the positive class) and their classes. The level
 * ⌈(n + 1)(1 − α)⌉/n above 1 (too few images for α) gives q̂ = 1: every set holds every class.
 */
export function fitConformal(probs: ProbabilityRows, labels: ArrayLike<number>, alpha: number, binary: boolean): ConformalFit {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`conformal: alpha must be between 0 and 1, got ${alpha}`);
  const n = probs.length;
  if (n === 0 || labels.length !== n) throw new RangeError(`conformal: ${n} probability rows for ${labels.length} labels`);
  const scores = Array.from(probs, (row, i) => 1 - classProbabilities(row, binary)[labels[i]!]!).sort((a, b) => a - b);
  const level = Math.ceil((n + 1) * (1 - alpha)) / n;
  if (level > 1) return { alpha, qhat: 1, n };
  // numpy's quantile, method 'higher': the order statistic at ceil(level · (n − 1)).
  return { alpha, qhat: scores[Math.ceil(level * (n - 1))]!, n };
}

/** The fewest held-out images for which α leaves some set smaller than all classes: (n + 1)(1 − α) ≤ n. */
export const conformalMinimumImages = (alpha: number): number => Math.ceil(1 / alpha - 1);

/** The indices of the classes in an image's set (binary: 0 the negative, 1 the positive class). */
export function predictionSet(row: ArrayLike<number>, qhat: number, binary: boolean): number[] {
  return classProbabilities(row, binary).flatMap((p, k) => (1 - p <= qhat ? [k] : []));
}

export interface ConformalCoverage {
  /** The share of images whose set holds their class. */
  coverage: number;
  /** The mean number of classes in a set. */
  meanSetSize: number;
  /** The share of images with an empty set (every class below 1 − q̂). */
  emptySets: number;
  /** Per class: the share of its images whose set holds it (null: no image of it). */
  classCoverage: (number | null)[];
}

/** How the sets of labelled images do: coverage, mean size, empty sets, per-class coverage. */
export function conformalCoverage(probs: ProbabilityRows, labels: ArrayLike<number>, qhat: number, binary: boolean, classes: number): ConformalCoverage {
  const n = probs.length;
  let covered = 0, size = 0, empty = 0;
  const hit = new Array<number>(classes).fill(0), count = new Array<number>(classes).fill(0);
  probs.forEach((row, i) => {
    const set = predictionSet(row, qhat, binary), y = labels[i]!;
    const holds = set.includes(y);
    covered += holds ? 1 : 0;
    size += set.length;
    empty += set.length === 0 ? 1 : 0;
    count[y]!++;
    hit[y]! += holds ? 1 : 0;
  });
  return { coverage: covered / n, meanSetSize: size / n, emptySets: empty / n, classCoverage: count.map((c, k) => (c ? hit[k]! / c : null)) };
}
