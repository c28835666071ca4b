// Seeded stratified split: each class is shuffled on its own and cut into test, val and train parts,
// so every split keeps the class ratio. Items are sorted by path first, so the result depends only on
// the set of files and the seed, not on the order the file system lists them.
import { shorten } from '../format/quote.js';
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

/**
 * How many of a class's n items go to val and test: the fractions rounded, but at least one in each split
 * that is asked for (fraction > 0), and at least one left for train. Undefined when n is too small for
 * that (n below the number of splits asked for).
 */
export function allocate(n: number, f: SplitFractions): { nVal: number; nTest: number } | undefined {
  if (n < splitsAskedFor(f)) return undefined;
  let nTest = f.testFraction > 0 ? Math.max(1, Math.round(n * f.testFraction)) : 0;
  let nVal = f.valFraction > 0 ? Math.max(1, Math.round(n * f.valFraction)) : 0;
  // Rounding up both parts can leave nothing to train on: take back from the larger one (never below 1).
  while (nTest + nVal > n - 1) {
    if (nVal >= nTest && nVal > 1) nVal--;
    else if (nTest > 1) nTest--;
    else break; // unreachable: n >= splitsAskedFor(f) guarantees 1 + 1 <= n - 1 here
  }
  return { nVal, nTest };
}

/** train, plus val and test when their fraction is above 0. */
export function splitsAskedFor(f: SplitFractions): number {
  return 1 + (f.valFraction > 0 ? 1 : 0) + (f.testFraction > 0 ? 1 : 0);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Assigns a split to each item. `keys` identify items (paths), `classes` their class names.
 * Returns the splits in the same order as the input. Throws, naming every class that is too small,
 * when a class cannot give each requested split at least one image.
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
  const tooSmall: string[] = [];
  for (const [cls, idx] of [...byClass.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    idx.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
    new Rng(deriveSeed(seed, 'split', cls)).shuffle(idx);
    const parts = allocate(idx.length, fractions);
    if (!parts) { tooSmall.push(cls); continue; }
    const { nTest, nVal } = parts;
    idx.forEach((item, k) => { out[item] = k < nTest ? 'test' : k < nTest + nVal ? 'val' : 'train'; });
  }
  if (tooSmall.length) throw new Error(tooSmallMessage(tooSmall, byClass, fractions));
  return out;
}

function tooSmallMessage(names: string[], byClass: Map<string, number[]>, f: SplitFractions): string {
  const need = splitsAskedFor(f);
  const which = ['train', ...(f.valFraction > 0 ? ['val'] : []), ...(f.testFraction > 0 ? ['test'] : [])].join(', ');
  const lines = names.map((c) => `  class '${shorten(c)}' has only ${plural(byClass.get(c)!.length, 'image')}; ` +
    `it needs at least ${plural(need, 'image')} (one for each of ${which})`);
  const quoted = names.map((c) => `'${shorten(c)}'`).join(' and ');
  return `too few images for a stratified split with val ${f.valFraction}, test ${f.testFraction}: ` +
    `every split needs at least one image of each class\n${lines.join('\n')}\n` +
    `Add images of ${quoted}; or lower the fractions (valFraction/testFraction, --val-fraction/--test-fraction; ` +
    `0 leaves that split out, e.g. --test-fraction 0); or give the split yourself (train/, val/ and test/ split folders, ` +
    `or a split column in the CSV).`;
}
