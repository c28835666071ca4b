// The draws of torchvision's automatic augmentation policies for one image (augment: trivial, randaugment): which
// of its 14 operations, at which of 31 strengths, of which sign. TrivialAugmentWide (Müller & Hutter 2021) applies
// one operation at a random strength; RandAugment (Cubuk et al. 2020) applies N in a row at strength M of 30 (torchvision's
// defaults N = 2, M = 9; randAugment in the run's configuration).
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
/** RandAugment's parameters: operations per image, and their strength (an index into the 31 magnitudes). */
export interface RandAugmentParams { numOps: number; magnitude: number }

/** torchvision's RandAugment defaults: num_ops 2, magnitude 9. */
export const RAND_AUGMENT: Readonly<RandAugmentParams> = { numOps: 2, magnitude: 9 };

const UNSIGNED: ReadonlySet<AugmentOpName> = new Set(['Identity', 'Posterize', 'Solarize', 'AutoContrast', 'Equalize']);
const WITHOUT_MAGNITUDE: ReadonlySet<AugmentOpName> = new Set(['Identity', 'AutoContrast', 'Equalize']);

/** RandAugment's parameters, checked: 1 to 16 operations (torchvision takes any count), strength 0 to 30. */
export function checkRandAugment(p: RandAugmentParams): RandAugmentParams {
  if (!(Number.isInteger(p.numOps) && p.numOps >= 1 && p.numOps <= 16)) throw new Error(`RandAugment numOps must be an integer from 1 to 16, got ${p.numOps}`);
  if (!(Number.isInteger(p.magnitude) && p.magnitude >= 0 && p.magnitude < MAGNITUDE_BINS)) {
    throw new Error(`RandAugment magnitude must be an integer from 0 to ${MAGNITUDE_BINS - 1}, got ${p.magnitude}`);
  }
  return { numOps: p.numOps, magnitude: p.magnitude };
}

/** Whether an operation's strength takes a random sign (Rotate: either way; Solarize: no). */
export const isSigned = (op: AugmentOpName): boolean => !UNSIGNED.has(op);

/** Whether an operation has strengths at all (Identity, AutoContrast and Equalize have none). */
export const hasMagnitude = (op: AugmentOpName): boolean => !WITHOUT_MAGNITUDE.has(op);

/**
 * torchvision's draws, in its order, per operation: the operation, then (TrivialAugmentWide only) the strength
 * where it has one, then the sign where signed. `rand`: RandAugment's operations and strength.
 */
export function drawAutoAugment(rng: Rng, policy: AutoAugmentPolicy, rand: RandAugmentParams = RAND_AUGMENT): AutoAugmentDraw {
  const step = (bin: (op: AugmentOpName) => number): AugmentStep => {
    const op = AUGMENT_OPS[rng.int(0, AUGMENT_OPS.length - 1)]!;
    const b = bin(op);
    return { op, bin: b, negative: isSigned(op) && rng.int(0, 1) === 1 };
  };
  if (policy === 'trivial') return { policy, steps: [step((op) => (hasMagnitude(op) ? rng.int(0, MAGNITUDE_BINS - 1) : 0))] };
  return { policy, steps: Array.from({ length: rand.numOps }, () => step(() => rand.magnitude)) };
}
