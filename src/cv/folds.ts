// Stratified k-fold assignment of the training pool (train + val of the data; the test split stays out).
// Single-label tasks: per class (classes in sorted order), the images sorted by path, shuffled from the seed,
// then dealt to the folds in turn, the turn going on from one class to the next, as scikit-learn's
// StratifiedKFold balances them: every fold gets floor or ceil of each class's n/K, and fold sizes differ by at
// most one. Multi-label: iterative stratification (Sechidis et al. 2011) with K equal shares: the label with the
// fewest unplaced images goes first, each of its images to the fold that still wants most of that label (ties:
// the fold that wants most images, then the seeded order); images without a label go to the emptiest fold.
import { deriveSeed, Rng } from '../data/rng.js';
import { TrainSetupError } from '../train/index.js';

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Thrown when the pool cannot give every fold every class: bad input (the CLI exits with 2). */
export class FoldError extends TrainSetupError {}

/**
 * Fold (0..k-1) of each item. `keys` are the items' paths, `labels` their label names (one for single-label
 * tasks). Every class (label) must have at least k images, so that each fold's validation part has it.
 */
export function assignFolds(keys: readonly string[], labels: ReadonlyArray<readonly string[]>, k: number, seed: number): number[] {
  if (!(Number.isInteger(k) && k >= 2)) throw new FoldError(`--folds must be an integer of at least 2, got ${k}`);
  if (keys.length !== labels.length) throw new Error('assignFolds: keys and labels differ in length');
  const counts = new Map<string, number>();
  for (const ls of labels) for (const l of new Set(ls)) counts.set(l, (counts.get(l) ?? 0) + 1);
  const small = [...counts.entries()].filter(([, n]) => n < k).sort((a, b) => byString(a[0], b[0]));
  if (small.length > 0) {
    throw new FoldError(`too few images for ${k} stratified folds: every fold's validation part needs an image of each class\n` +
      small.map(([c, n]) => `  class '${c}' has ${n} image${n === 1 ? '' : 's'} in the training pool (train + val); it needs at least ${k}`).join('\n') +
      `\nAdd images, or use fewer folds (--folds ${Math.max(2, Math.min(...small.map(([, n]) => n)))}).`);
  }
  const multi = labels.some((ls) => ls.length !== 1);
  return multi ? iterativeFolds(keys, labels, k, seed) : stratifiedFolds(keys, labels.map((ls) => ls[0]!), k, seed);
}

function stratifiedFolds(keys: readonly string[], classes: readonly string[], k: number, seed: number): number[] {
  const byClass = new Map<string, number[]>();
  classes.forEach((c, i) => { let a = byClass.get(c); if (!a) byClass.set(c, (a = [])); a.push(i); });
  const out = new Array<number>(keys.length);
  let turn = 0;
  for (const [cls, idx] of [...byClass.entries()].sort((a, b) => byString(a[0], b[0]))) {
    idx.sort((a, b) => byString(keys[a]!, keys[b]!) || a - b);
    new Rng(deriveSeed(seed, 'cv-folds', cls)).shuffle(idx);
    for (const i of idx) out[i] = turn++ % k;
  }
  return out;
}

function iterativeFolds(keys: readonly string[], labels: ReadonlyArray<readonly string[]>, k: number, seed: number): number[] {
  const order = keys.map((_, i) => i).sort((a, b) => byString(keys[a]!, keys[b]!) || a - b);
  new Rng(deriveSeed(seed, 'cv-folds-multilabel')).shuffle(order);
  const sets = labels.map((ls) => [...new Set(ls)]);
  const wantAll = Array.from({ length: k }, () => keys.length / k);
  const want = new Map<string, number[]>();
  for (const ls of sets) for (const l of ls) if (!want.has(l)) want.set(l, Array.from({ length: k }, () => 0));
  for (const ls of sets) for (const l of ls) for (let f = 0; f < k; f++) want.get(l)![f]! += 1 / k;
  const out = new Array<number>(keys.length).fill(-1);
  const unplaced = new Set(order);
  const place = (i: number, f: number) => {
    out[i] = f;
    unplaced.delete(i);
    wantAll[f]! -= 1;
    for (const l of sets[i]!) want.get(l)![f]! -= 1;
  };
  const argmax = (xs: readonly number[], tie: readonly number[]): number => {
    let best = 0;
    for (let f = 1; f < xs.length; f++) {
      if (xs[f]! > xs[best]! + 1e-9 || (Math.abs(xs[f]! - xs[best]!) <= 1e-9 && tie[f]! > tie[best]! + 1e-9)) best = f;
    }
    return best;
  };
  for (;;) {
    // The label with the fewest unplaced images (ties: name order).
    const left = new Map<string, number[]>();
    for (const i of order) if (unplaced.has(i)) for (const l of sets[i]!) { let a = left.get(l); if (!a) left.set(l, (a = [])); a.push(i); }
    if (left.size === 0) break;
    const [label, items] = [...left.entries()].sort((a, b) => a[1].length - b[1].length || byString(a[0], b[0]))[0]!;
    for (const i of items) place(i, argmax(want.get(label)!, wantAll));
  }
  for (const i of order) if (unplaced.has(i)) place(i, argmax(wantAll, wantAll));
  return out;
}
