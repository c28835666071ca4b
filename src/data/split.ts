// Seeded stratified split: each class is shuffled on its own and cut into test, val and train parts,
// so every split keeps the class ratio. Items are sorted by path first, so the result depends only on
// the set of files and the seed, not on the order the file system lists them.
import { deriveSeed, Rng } from './rng.js';
import type { Split } from './types.js';

export interface SplitFractions { valFraction: number; testFraction: number }

export const DEFAULT_FRACTIONS: SplitFractions = { valFraction: 0.15, testFraction: 0.15 };

export function checkFractions(f: SplitFractions): void {
  for (const [k, v] of Object.entries(f)) {
    if (!(typeof v === 'number' && v >= 0 && v < 1)) throw new Error(`${k} must be a number in [0, 1), got ${v}`);
  }
  if (f.valFraction + f.testFraction >= 1) {
    throw new Error(`valFraction + testFraction must be below 1 (got ${f.valFraction} + ${f.testFraction}): nothing would be left to train on`);
  }
}

/** How many of n items go to a split of the given fraction: rounded, but at least 1 when fraction > 0 and n >= 3. */
function partSize(n: number, fraction: number): number {
  if (fraction <= 0) return 0;
  const k = Math.round(n * fraction);
  return k === 0 && n >= 3 ? 1 : k;
}

/**
 * Assigns a split to each item. `keys` identify items (paths), `classes` their class names.
 * Returns the splits in the same order as the input.
 */
export function stratifiedSplit(keys: string[], classes: string[], seed: number, fractions: SplitFractions = DEFAULT_FRACTIONS): Split[] {
  checkFractions(fractions);
  if (keys.length !== classes.length) throw new Error('stratifiedSplit: keys and classes differ in length');
  const byClass = new Map<string, number[]>();
  keys.forEach((_, i) => {
    const c = classes[i]!;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  });
  const out: Split[] = new Array(keys.length);
  for (const [cls, idx] of [...byClass.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    idx.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
    new Rng(deriveSeed(seed, 'split', cls)).shuffle(idx);
    const n = idx.length;
    const nTest = partSize(n, fractions.testFraction);
    const nVal = partSize(n, fractions.valFraction);
    if (nTest + nVal >= n) {
      throw new Error(`class '${cls}' has only ${n} image(s): too few to split into train/val/test with fractions ` +
        `${fractions.valFraction}/${fractions.testFraction} (need at least ${nTest + nVal + 1})`);
    }
    idx.forEach((item, k) => { out[item] = k < nTest ? 'test' : k < nTest + nVal ? 'val' : 'train'; });
  }
  return out;
}
