// Test-time augmentation (--tta): each image's probabilities are the mean of those of a few views of it. 'flip'
// averages the image and its horizontal mirror (fastai's tta); 'dihedral' the 8 symmetries of a square (mirrored or
// not, turned 0 to 3 quarter turns), for images without an up or a left (microscopy, histology, satellite), as a
// model trained with --augment dihedral saw them. The views are data/orientation.ts's orientations, the upright
// image first; libtorch makes them in torch-engine.ts, onnxruntime in deploy/tta.ts and the browser page.
import { orientationsOf, type Orientation } from '../data/orientation.js';

export const TTA_MODES = ['flip', 'dihedral'] as const;
export type TtaMode = (typeof TTA_MODES)[number];

/** The orientations a mode averages over, the upright image first (its result is the one without TTA). */
export function ttaViews(mode: TtaMode): Orientation[] {
  return orientationsOf(true, mode === 'dihedral');
}

/** Whose probabilities a mode averages, for help texts, messages and the report: "the mean of the probabilities of …". */
export const TTA_AVERAGES: Record<TtaMode, string> = {
  flip: 'each image and its horizontal mirror',
  dihedral: "each image's 8 symmetries (the image and its mirror, each turned 0 to 3 quarter turns)",
};

/** --tta's help: each mode and what it averages. */
export const TTA_HELP = TTA_MODES.map((m) => `${m} = the mean of the probabilities of ${TTA_AVERAGES[m]}`).join('; ');

/**
 * A warning for a model with conformal sets used with --tta: q̂ was fitted on plain probabilities, so sets of
 * averaged ones keep no guarantee (evaluate measures their coverage). null when the two do not meet.
 */
export function conformalTtaNote(model: { conformal?: { alpha: number } | null; task: string }, tta: TtaMode | null | undefined): string | null {
  if (!tta || !model.conformal || model.task === 'multilabel') return null;
  return `warning: the model's conformal sets were fitted without test-time augmentation; with --tta ${tta} their ` +
    `coverage of ${+(1 - model.conformal.alpha).toFixed(6)} is not guaranteed (evaluate measures it)`;
}
