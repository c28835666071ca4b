// TrivialAugment's draw for one image (augment: trivial): which of torchvision's 14 operations, at which of its 31
// strengths, of which sign. Plain numbers from the image's seeded stream: the loader needs no libtorch for it;
// trivial-augment.ts applies the draw in libtorch.
import type { Rng } from './rng.js';

/** torchvision's operations, in its order (the draw is an index into this list). */
export const TRIVIAL_OPS = [
  'Identity', 'ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate', 'Brightness', 'Color', 'Contrast', 'Sharpness',
  'Posterize', 'Solarize', 'AutoContrast', 'Equalize',
] as const;
export type TrivialOpName = (typeof TRIVIAL_OPS)[number];

/** One image's draw: the operation, its strength (index into the 31 magnitudes) and, for signed ones, the sign. */
export interface TrivialOp { op: TrivialOpName; bin: number; negative: boolean }

export const MAGNITUDE_BINS = 31;
const UNSIGNED: ReadonlySet<TrivialOpName> = new Set(['Identity', 'Posterize', 'Solarize', 'AutoContrast', 'Equalize']);
const WITHOUT_MAGNITUDE: ReadonlySet<TrivialOpName> = new Set(['Identity', 'AutoContrast', 'Equalize']);

/** Whether an operation's strength takes a random sign (Rotate: either way; Solarize: no). */
export const isSigned = (op: TrivialOpName): boolean => !UNSIGNED.has(op);

/** torchvision's draws, in its order: the operation, then the strength (where it has one), then the sign (where signed). */
export function drawTrivialOp(rng: Rng): TrivialOp {
  const op = TRIVIAL_OPS[rng.int(0, TRIVIAL_OPS.length - 1)]!;
  const bin = WITHOUT_MAGNITUDE.has(op) ? 0 : rng.int(0, MAGNITUDE_BINS - 1);
  return { op, bin, negative: isSigned(op) && rng.int(0, 1) === 1 };
}
