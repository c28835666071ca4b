// The bounds of the values a model is trained with, shared by the run configuration (src/train/config/validate.ts),
// the command line's flags and a checkpoint's metadata (metadata.ts): one definition, so a checkpoint may hold
// exactly what training accepts. This file imports nothing, so the CLI can read it without loading the engine.

/** A number's rule: finite, optionally an integer, within min/max (each included unless said otherwise). */
export interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  /** min/max themselves excluded. */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
}

/** ResNets divide the size by 32 before global pooling: below 32 the last stage sees less than a pixel. */
export const IMAGE_SIZE = { integer: true, min: 32, max: 4096 } as const satisfies NumberRule;
/** Dropout probability of the head: 1 would drop every feature. */
export const DROPOUT: NumberRule = { min: 0, max: 1, exclusiveMax: true };
/** A decision threshold on a probability. */
export const THRESHOLD: NumberRule = { min: 0, max: 1 };
/** Each channel's normalisation std divides the pixels. */
export const STD: NumberRule = { min: 0, exclusiveMin: true };
/** The run's seed (also the seed of a drawn split). */
export const SEED: NumberRule = { integer: true, min: 0, max: 2 ** 32 - 1 };
/** The share of the images drawn for val or test. */
export const FRACTION: NumberRule = { min: 0, max: 1, exclusiveMax: true };
/** Batches whose gradients add up before an optimizer step (beyond a thousand, a step would outlast most epochs). */
export const ACCUMULATE_GRAD_BATCHES = { integer: true, min: 1, max: 1024 } as const satisfies NumberRule;
/** A number of epochs, or an epoch (1-based; 0 where none was trained). */
export const EPOCHS: NumberRule = { integer: true, min: 0 };
/** The kinds of classification task (a tlearn model is one of them; data and configuration name them too). */
export const TASK_KINDS = ['binary', 'multiclass', 'multilabel'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
/** Most classes a model may have (a head of 10 000 outputs is already far beyond any image folder). */
export const MAX_CLASSES = 10_000;
/** Longest class name, in characters. */
export const CLASS_NAME_MAX = 200;

/** A calibration temperature (Guo et al. 2017): the logits are divided by it before the sigmoid or softmax. */
export const TEMPERATURE: NumberRule = { min: 0, exclusiveMin: true };

/** A DICOM window's centre and width on the rescaled values (Hounsfield units span about -1024 to 3071). */
export const DICOM_WINDOW_CENTER: NumberRule = { min: -1e6, max: 1e6 };
export const DICOM_WINDOW_WIDTH: NumberRule = { min: 1, max: 1e6 };

/** The loss's positive-class weight. */
export const POS_WEIGHT: NumberRule = { min: 0, exclusiveMin: true };

/**
 * Longest phase name, in bytes of UTF-8. The longest file named after a phase is the atomic writer's temp file
 * `.best_model_<name>.safetensors.<pid>.<8 chars>.tmp` (45 bytes besides the name with a 7-digit pid); file
 * systems allow 255 bytes, and 100 leaves room for longer pids or suffixes.
 */
export const PHASE_NAME_MAX_BYTES = 100;

/** Whether `v` is a finite number that keeps `rule`. */
export function meetsRule(v: unknown, rule: NumberRule): v is number {
  return typeof v === 'number' && Number.isFinite(v)
    && (!rule.integer || Number.isInteger(v))
    && (rule.min === undefined || (rule.exclusiveMin ? v > rule.min : v >= rule.min))
    && (rule.max === undefined || (rule.exclusiveMax ? v < rule.max : v <= rule.max));
}

/** Whether `v` is a number of the rule's kind (finite; an integer where asked) that lies outside its range. */
export function outOfRange(v: unknown, rule: NumberRule): v is number {
  return typeof v === 'number' && Number.isFinite(v) && (!rule.integer || Number.isInteger(v)) && !meetsRule(v, rule);
}

/** What the rule asks for, in words: 'an integer ≥ 32 and ≤ 4096', 'a positive number'. */
export function expectation(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  if (rule.min === 0 && rule.exclusiveMin && rule.max === undefined) return rule.integer ? 'a positive integer' : 'a positive number';
  const lo = rule.min === undefined ? '' : `${rule.exclusiveMin ? '>' : '≥'} ${rule.min}`;
  const hi = rule.max === undefined ? '' : `${rule.exclusiveMax ? '<' : '≤'} ${rule.max}`;
  return [kind, [lo, hi].filter(Boolean).join(' and ')].filter(Boolean).join(' ');
}

/** The range alone: '32-4096' for integers, '[0, 1)' for numbers, '≥ 1' or '> 0' when open above. */
export function rangeText(rule: NumberRule): string {
  const { min, max } = rule;
  if (min !== undefined && max !== undefined) {
    if (rule.integer && !rule.exclusiveMin && !rule.exclusiveMax) return `${min}-${max}`;
    return `${rule.exclusiveMin ? '(' : '['}${min}, ${max}${rule.exclusiveMax ? ')' : ']'}`;
  }
  if (min !== undefined) return `${rule.exclusiveMin ? '>' : '≥'} ${min}`;
  if (max !== undefined) return `${rule.exclusiveMax ? '<' : '≤'} ${max}`;
  return 'any';
}
