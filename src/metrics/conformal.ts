// Split conformal prediction sets (Vovk et al. 2005; Angelopoulos & Bates, "A gentle introduction to conformal
// prediction", 2021; MAPIE's "lac" method): on held-out labelled images (the validation split), each image's score
// is 1 − the probability the model gives its true class; q̂ is their ⌈(n + 1)(1 − α)⌉/n quantile (the next order
// statistic up, numpy's method 'higher'). A new image's set holds every class whose score 1 − p would be at most
// q̂. When the images are exchangeable with the held-out ones, a set holds the true class with probability at least
// 1 − α (marginally: over images, not per class). A binary model's two classes have probabilities 1 − p and p.
// Class-conditional ("Mondrian") sets fit one q̂ per class on that class's images alone (Vovk 2012; Angelopoulos &
// Bates §4.1): each class is then covered at least 1 − α of the time, at the price of larger sets for rare classes.

/** Rows of probabilities, one per image (binary: [p] of the positive class). */
export type ProbabilityRows = readonly ArrayLike<number>[];

/** The score threshold: one for every class, or one per class (class-conditional sets). */
export type Qhat = number | readonly number[];

export interface ConformalFit {
  /** The error rate asked for: sets miss the true class at most this often (per class, with one q̂ per class). */
  alpha: number;
  /** The score threshold: classes with 1 − p ≤ q̂ (their own q̂, class-conditional) are in the set. */
  qhat: Qhat;
  /** The number of held-out images it was fitted on. */
  n: number;
}

/** Each class's probability in an image: a binary model's [1 − p, p], or a multi-class row as it is. */
function classProbabilities(row: ArrayLike<number>, binary: boolean): number[] {
  return binary ? [1 - row[0]!, row[0]!] : Array.from(row);
}

/** The ⌈(n + 1)(1 − α)⌉/n quantile of n scores (numpy's method 'higher'), or 1 when that level is above 1. */
function conformalQuantile(scores: number[], alpha: number): number {
  const n = scores.length;
  const level = Math.ceil((n + 1) * (1 - alpha)) / n;
  if (n === 0 || level > 1) return 1;
  // numpy's quantile, method 'higher': the order statistic at ceil(level · (n − 1)).
  return [...scores].sort((a, b) => a - b)[Math.ceil(level * (n - 1))]!;
}

/**
 * q̂ from n held-out images (rows of probabilities, binary: of the positive class) and their classes; `perClass`:
 * one q̂ per class from its own images. Too few images for α (the level ⌈(n + 1)(1 − α)⌉/n above 1) give q̂ = 1:
 * sets that hold that class (every class) always.
 */
export function fitConformal(probs: ProbabilityRows, labels: ArrayLike<number>, alpha: number, binary: boolean, perClass = false): ConformalFit {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`conformal: alpha must be between 0 and 1, got ${alpha}`);
  const n = probs.length;
  if (n === 0 || labels.length !== n) throw new RangeError(`conformal: ${n} probability rows for ${labels.length} labels`);
  const scores = Array.from(probs, (row, i) => 1 - classProbabilities(row, binary)[labels[i]!]!);
  if (!perClass) return { alpha, qhat: conformalQuantile(scores, alpha), n };
  const classes = binary ? 2 : probs[0]!.length;
  const qhat = Array.from({ length: classes }, (_, k) => conformalQuantile(scores.filter((_, i) => labels[i] === k), alpha));
  return { alpha, qhat, n };
}

/** q̂ in words: 'q̂ 0.4616 (each class of probability at least 0.5384)', or per class 'q̂ per class: a 0.41, b 0.62'. */
export function describeQhat(qhat: Qhat, classes: readonly string[]): string {
  if (typeof qhat === 'number') return `q̂ ${qhat.toPrecision(4)} (each class of probability at least ${(1 - qhat).toPrecision(4)})`;
  return `q̂ per class: ${classes.map((c, k) => `${c} ${qhat[k]!.toPrecision(3)}`).join(', ')}`;
}

/** The q̂ of class k. */
export const qhatOf = (qhat: Qhat, k: number): number => (typeof qhat === 'number' ? qhat : qhat[k]!);

/** The fewest held-out images for which α leaves some set smaller than all classes: (n + 1)(1 − α) ≤ n. */
export const conformalMinimumImages = (alpha: number): number => Math.ceil(1 / alpha - 1);

/**
 * The warning for held-out images too few for α (all of them; per class, each class's): the sets then hold every
 * class (per class: those classes) always. null when there are enough.
 */
export function tooFewForAlpha(labels: readonly number[], classes: readonly string[], alpha: number, perClass: boolean): string | null {
  const need = conformalMinimumImages(alpha);
  if (!perClass) return labels.length < need ? `${labels.length} images are too few for alpha ${alpha} (at least ${need} are needed): every set holds every class` : null;
  const few = classes.filter((_, k) => labels.filter((y) => y === k).length < need);
  if (few.length === 0) return null;
  return `${few.join(', ')} ${few.length === 1 ? 'has' : 'have'} fewer than ${need} images for alpha ${alpha}: every set holds ${few.length === 1 ? 'it' : 'them'}`;
}

/** The indices of the classes in an image's set (binary: 0 the negative, 1 the positive class). */
export function predictionSet(row: ArrayLike<number>, qhat: Qhat, binary: boolean): number[] {
  return classProbabilities(row, binary).flatMap((p, k) => (1 - p <= qhatOf(qhat, k) ? [k] : []));
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
export function conformalCoverage(probs: ProbabilityRows, labels: ArrayLike<number>, qhat: Qhat, binary: boolean, classes: number): ConformalCoverage {
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
