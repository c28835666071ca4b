// The draws of torchvision's automatic augmentation policies for one image (augment: trivial, randaugment): which
// of its 14 operations, at which of 31 strengths, of which sign. TrivialAugmentWide (Müller & Hutter 2021) applies
// one operation at a random strength; RandAugment (Cubuk et al. 2020) applies 2 in a row at strength 9 of 30.
// Plain numbers from the image's seeded stream, in torchvision's order of draws: the loader needs no libtorch for
// them; auto-augment.ts applies them in libtorch.
import type { Rng } from './rng.js';

/** torchvision's operations, in its order (a draw is an index into this list). */
export const AUGMENT_OPS = [
  'Identity', 'ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate', 'Brightness', 'Color', 'Contrast', 'Sharpness',
  'Posterize', 'Solarize', 'AutoContrast', 'Equalize',
] as const;
export type AugmentOpName = (typeof AUGMENT_OPS)[number];

export const AUTO_AUGMENT_POLICIES = ['trivial', 'randaugment'] as const;
export type AutoAugmentPolicy = (typeof AUTO_AUGMENT_POLICIES)[number];

/** One operation: its strength (an index into the policy's 31 magnitudes) and, for signed ones, the sign. */
export interface AugmentStep { op: AugmentOpName; bin: number; negative: boolean }

/** One image's draw: the policy (whose magnitude tables apply) and its operations, in the order applied. */
export interface AutoAugmentDraw { policy: AutoAugmentPolicy; steps: AugmentStep[] }

export const MAGNITUDE_BINS = 31;
/** torchvision's RandAugment defaults: num_ops 2, magnitude 9. */
export const RAND_AUGMENT = { numOps: 2, magnitude: 9 } as const;

const UNSIGNED: ReadonlySet<AugmentOpName> = new Set(['Identity', 'Posterize', 'Solarize', 'AutoContrast', 'Equalize']);
const WITHOUT_MAGNITUDE: ReadonlySet<AugmentOpName> = new Set(['Identity', 'AutoContrast', 'Equalize']);

/** Whether an operation's strength takes a random sign (Rotate: either way; Solarize: no). */
export const isSigned = (op: AugmentOpName): boolean => !UNSIGNED.has(op);

/** Whether an operation has strengths at all (Identity, AutoContrast and Equalize have none). */
export const hasMagnitude = (op: AugmentOpName): boolean => !WITHOUT_MAGNITUDE.has(op);

/**
 * torchvision's draws, in its order, per operation: the operation, then (TrivialAugmentWide only) the strength
 * where it has one, then the sign where signed.
 */
export function drawAutoAugment(rng: Rng, policy: AutoAugmentPolicy): AutoAugmentDraw {
  const step = (bin: (op: AugmentOpName) => number): AugmentStep => {
    const op = AUGMENT_OPS[rng.int(0, AUGMENT_OPS.length - 1)]!;
    const b = bin(op);
    return { op, bin: b, negative: isSigned(op) && rng.int(0, 1) === 1 };
  };
  if (policy === 'trivial') return { policy, steps: [step((op) => (hasMagnitude(op) ? rng.int(0, MAGNITUDE_BINS - 1) : 0))] };
  return { policy, steps: Array.from({ length: RAND_AUGMENT.numOps }, () => step(() => RAND_AUGMENT.magnitude)) };
}
