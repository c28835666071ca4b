// "Did you mean" suggestions for unknown keys and values, so a typo gets a pointed answer.

/** Levenshtein distance (insert, delete, substitute, each cost 1). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

// Compares names ignoring case and separators, so batch_size / batch-size / BatchSize all find batchSize.
function normalise(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}

/** The closest candidate, or undefined when nothing is close enough to be a plausible typo. */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const n = normalise(input);
  const limit = Math.max(1, Math.floor(Math.max(n.length, 3) / 3));
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    // The distance is at least the difference in length: a 50 MB input is compared with nothing.
    if (Math.abs(normalise(c).length - n.length) > limit) continue;
    const d = normalise(c) === n ? 0 : editDistance(n, normalise(c));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= limit ? best : undefined;
}

/** " (did you mean "x"?)" or an empty string. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const s = suggest(input, candidates);
  return s === undefined ? '' : ` (did you mean "${s}"?)`;
}
