// Seeded iterative stratification of multi-label data (Sechidis, Tsoumakas & Vlahavas 2011, "On the
// stratification of multi-label data", Algorithm 1): the label with the fewest images still unplaced is
// placed first, each of its images going to the split that still wants most of that label (ties: the split
// that wants most images, then a seeded draw), so rare labels are spread before common ones fill the splits.
// Each label's wanted counts are the single-label split's (allocate: the fractions rounded, at least one image
// in every split asked for, one left for train), and a last pass moves an image into a split that a label
// still misses when that leaves every split it leaves with its labels: so every label is in every split.
// Items are sorted by key first (then shuffled from the seed), so the result depends only on the set of files
// and the seed, not on the order the file system lists them. Images without any label go by the fractions.
import { shorten } from '../format/quote.js';
import { deriveSeed, Rng } from './rng.js';
import { allocate, checkFractions, DEFAULT_FRACTIONS, splitsAskedFor, type SplitFractions } from './split.js';
import type { Split } from './types.js';

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Assigns a split to each item. `keys` identify items (paths), `labelSets` the label names of each (may be
 * empty). Returns the splits in input order. Throws naming every label with fewer images than splits asked
 * for, or a label that cannot be given to every split without taking another label out of one.
 */
export function iterativeSplit(keys: readonly string[], labelSets: ReadonlyArray<readonly string[]>, seed: number,
  fractions: SplitFractions = DEFAULT_FRACTIONS): Split[] {
  checkFractions(fractions);
  if (keys.length !== labelSets.length) throw new Error('iterativeSplit: keys and labelSets differ in length');
  const rng = new Rng(deriveSeed(seed, 'split-multilabel'));
  const order = keys.map((_, i) => i).sort((a, b) => byString(keys[a]!, keys[b]!) || a - b);
  rng.shuffle(order);
  const splits: Split[] = ['test', 'val', 'train'].filter((s) => s === 'train' || (s === 'val' ? fractions.valFraction : fractions.testFraction) > 0) as Split[];
  const share: Record<Split, number> = { test: fractions.testFraction, val: fractions.valFraction, train: 1 - fractions.valFraction - fractions.testFraction };

  const sets = labelSets.map((ls) => [...new Set(ls)]);
  const withLabel = new Map<string, number[]>(); // label -> items, in the shuffled order
  for (const i of order) for (const l of sets[i]!) { let a = withLabel.get(l); if (!a) withLabel.set(l, (a = [])); a.push(i); }
  const labels = [...withLabel.keys()].sort(byString);
  const tooSmall = labels.filter((l) => !allocate(withLabel.get(l)!.length, fractions));
  if (tooSmall.length) throw new Error(tooSmallMessage(tooSmall, withLabel, fractions));

  // Wanted counts: per label and split (integers, see allocate), and of all images per split (fractions).
  const wanted = new Map<string, Record<Split, number>>();
  for (const l of labels) {
    const n = withLabel.get(l)!.length, { nVal, nTest } = allocate(n, fractions)!;
    wanted.set(l, { test: nTest, val: nVal, train: n - nVal - nTest });
  }
  const wantedAll: Record<Split, number> = { test: keys.length * share.test, val: keys.length * share.val, train: keys.length * share.train };
  const out: Array<Split | undefined> = new Array(keys.length);
  const place = (i: number, s: Split) => {
    out[i] = s;
    wantedAll[s]--;
    for (const l of sets[i]!) wanted.get(l)![s]--;
  };
  /** The best of `candidates` by `score`, ties by the seeded draw. */
  const pick = (candidates: Split[], score: (s: Split) => number): Split[] => {
    const best = Math.max(...candidates.map(score));
    return candidates.filter((s) => score(s) === best);
  };
  const left = new Map(labels.map((l) => [l, withLabel.get(l)!.length]));
  for (;;) {
    let label: string | undefined;
    for (const l of labels) if (left.get(l)! > 0 && (label === undefined || left.get(l)! < left.get(label)!)) label = l;
    if (label === undefined) break;
    for (const i of withLabel.get(label)!) {
      if (out[i] !== undefined) continue;
      let c = pick(splits, (s) => wanted.get(label)![s]);
      if (c.length > 1) c = pick(c, (s) => wantedAll[s]);
      place(i, c.length > 1 ? c[rng.int(0, c.length - 1)]! : c[0]!);
      for (const l of sets[i]!) left.set(l, left.get(l)! - 1);
    }
  }
  for (const i of order) {
    if (out[i] !== undefined) continue;
    const c = pick(splits, (s) => wantedAll[s]);
    place(i, c.length > 1 ? c[rng.int(0, c.length - 1)]! : c[0]!);
  }
  repair(out as Split[], sets, withLabel, labels, splits, wanted);
  return out as Split[];
}

/**
 * Moves images so that every label is in every split asked for: for a label missing from a split, an image of
 * it from the split that holds most more of it than wanted, whose labels all keep an image there. Each move
 * fills one gap and opens none, so this ends. Throws naming the labels it cannot place.
 */
function repair(out: Split[], sets: string[][], withLabel: Map<string, number[]>, labels: string[], splits: Split[],
  wanted: Map<string, Record<Split, number>>): void {
  const count = (l: string, s: Split) => withLabel.get(l)!.filter((i) => out[i] === s).length;
  const stuck: string[] = [];
  for (const l of labels) {
    for (const s of splits) {
      if (count(l, s) > 0) continue;
      // wanted[l][t] < 0: the split holds that many more of l than it wanted.
      const donors = splits.filter((t) => t !== s).sort((a, b) => wanted.get(l)![a] - wanted.get(l)![b]);
      let moved = false;
      for (const t of donors) {
        const i = withLabel.get(l)!.find((k) => out[k] === t && sets[k]!.every((m) => count(m, t) > 1));
        if (i === undefined) continue;
        out[i] = s;
        for (const m of sets[i]!) { wanted.get(m)![t]++; wanted.get(m)![s]--; }
        moved = true;
        break;
      }
      if (!moved && !stuck.includes(l)) stuck.push(l);
    }
  }
  if (stuck.length) {
    throw new Error(`cannot give every split an image of ${stuck.map((l) => `'${shorten(l)}'`).join(', ')}: each of its images ` +
      'is the only image of another label in its split. Add images of these labels, lower the fractions ' +
      '(valFraction/testFraction), or give the split yourself (a split column in the CSV)');
  }
}

function tooSmallMessage(names: string[], withLabel: Map<string, number[]>, f: SplitFractions): string {
  const need = splitsAskedFor(f);
  const which = ['train', ...(f.valFraction > 0 ? ['val'] : []), ...(f.testFraction > 0 ? ['test'] : [])].join(', ');
  const lines = names.map((l) => `  label '${shorten(l)}' has only ${plural(withLabel.get(l)!.length, 'image')}; ` +
    `it needs at least ${plural(need, 'image')} (one for each of ${which})`);
  return `too few images for a stratified split with val ${f.valFraction}, test ${f.testFraction}: ` +
    `every split needs at least one image of each label\n${lines.join('\n')}\n` +
    `Add images of ${names.map((l) => `'${shorten(l)}'`).join(' and ')}; or lower the fractions (valFraction/testFraction; ` +
    '0 leaves that split out); or give the split yourself (a split column in the CSV).';
}
