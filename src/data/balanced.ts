// Class-balanced sampling, as torch.utils.data.WeightedRandomSampler with each image weighted by 1 / (images of its
// class) and num_samples = the split's size, replacement=True: every class is drawn equally often, each of its
// images uniformly. Drawn here as a class, then an image of it: the same distribution, without cumulative sums.
import type { Rng } from './rng.js';

/**
 * An epoch's order of `labels.length` draws with replacement (item indices), from `rng`. Items whose label is
 * null are never drawn; an empty list when no item has a label.
 */
export function balancedOrder(labels: readonly (number | null)[], rng: Rng): number[] {
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => {
    if (label === null) return;
    let members = byClass.get(label);
    if (!members) byClass.set(label, (members = []));
    members.push(i);
  });
  // Classes in label order, so that the draws do not depend on the order the items came in.
  const classes = [...byClass.keys()].sort((a, b) => a - b).map((c) => byClass.get(c)!);
  if (classes.length === 0) return [];
  return Array.from(labels, () => {
    const members = classes[Math.floor(rng.next() * classes.length)]!;
    return members[Math.floor(rng.next() * members.length)]!;
  });
}

/** For each position of `order`, how many times its item came before it (0 at its first draw). */
export function drawNumbers(order: readonly number[]): number[] {
  const seen = new Map<number, number>();
  return order.map((i) => {
    const k = seen.get(i) ?? 0;
    seen.set(i, k + 1);
    return k;
  });
}
