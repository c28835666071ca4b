// Which seeded split `evaluate` draws for data without split folders (or a CSV without a split column).
// The drawn split depends on the seed and the val/test fractions, so evaluating "the test split" of such
// data only means something with the values the model was trained with. A tlearn checkpoint stores them in
// its metadata (extra.seed, extra.val_fraction, extra.test_fraction); older checkpoints stored only the seed,
// and for them the run's config.json beside the checkpoint supplies the fractions. Flags override both.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_FRACTIONS } from '../data/split.js';
import type { ModelMetadata } from '../models/index.js';

export interface SplitParams { seed: number; valFraction: number; testFraction: number }

export interface ResolvedSplitParams extends SplitParams {
  /** What the model was trained with, as far as known (each value may be unknown). */
  trained: Partial<SplitParams>;
  /** Where the trained values came from ('the checkpoint', 'RUN/config.json'), or null when unknown. */
  trainedFrom: string | null;
}

const isSeed = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2 ** 32 - 1;
const isFraction = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v < 1;

function pick(seed: unknown, val: unknown, test: unknown): Partial<SplitParams> {
  const out: Partial<SplitParams> = {};
  if (isSeed(seed)) out.seed = seed;
  if (isFraction(val)) out.valFraction = val;
  if (isFraction(test)) out.testFraction = test;
  return out;
}

/** The run's config.json when the model file lies in a training run directory (values are checked, not trusted). */
function runConfigParams(modelFile: string): Partial<SplitParams> {
  const file = path.join(path.dirname(modelFile), 'config.json');
  let raw: unknown;
  try {
    if (!fs.statSync(file).isFile()) return {}; // a FIFO would block the process for ever
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
  if (!raw || typeof raw !== 'object') return {};
  const c = raw as { seed?: unknown; data?: { valFraction?: unknown; testFraction?: unknown } };
  return pick(c.seed, c.data?.valFraction, c.data?.testFraction);
}

const complete = (p: Partial<SplitParams>): p is SplitParams =>
  p.seed !== undefined && p.valFraction !== undefined && p.testFraction !== undefined;

/** The split parameters to use: flags, else the model's training values, else the defaults (seed 0, 0.15/0.15). */
export function resolveSplitParams(metadata: Pick<ModelMetadata, 'extra'>, modelFile: string, given: Partial<SplitParams>): ResolvedSplitParams {
  const e = metadata.extra ?? {};
  let trained = pick(e.seed, e.val_fraction, e.test_fraction);
  let trainedFrom: string | null = Object.keys(trained).length ? 'the checkpoint' : null;
  // A checkpoint written before the fractions were stored: its run's config.json, if the seed agrees.
  if (!complete(trained)) {
    const cfg = runConfigParams(modelFile);
    if (complete(cfg) && (trained.seed === undefined || trained.seed === cfg.seed)) {
      trained = cfg;
      trainedFrom = `${path.join(path.dirname(modelFile), 'config.json')}`;
    }
  }
  return {
    seed: given.seed ?? trained.seed ?? 0,
    valFraction: given.valFraction ?? trained.valFraction ?? DEFAULT_FRACTIONS.valFraction,
    testFraction: given.testFraction ?? trained.testFraction ?? DEFAULT_FRACTIONS.testFraction,
    trained,
    trainedFrom,
  };
}

/**
 * The lines that tell a person which split is evaluated and whether it is the one the model was trained
 * with: `info` always, `warning` when the split may contain images the model was trained on.
 */
export function describeSplitParams(p: ResolvedSplitParams, given: Partial<SplitParams>): { info: string; warning?: string } {
  const values = `seed ${p.seed}, val ${p.valFraction}, test ${p.testFraction}`;
  const keys = ['seed', 'valFraction', 'testFraction'] as const;
  const flag = { seed: '--seed', valFraction: '--val-fraction', testFraction: '--test-fraction' };
  const fromFlags = keys.filter((k) => given[k] !== undefined);
  const differ = keys.filter((k) => p.trained[k] !== undefined && p.trained[k] !== p[k]);
  const unknown = keys.filter((k) => p.trained[k] === undefined);
  if (unknown.length === 0 && differ.length === 0) {
    return { info: `split drawn with ${values} (the model's training split, from ${p.trainedFrom})` };
  }
  const origin = fromFlags.length ? `${fromFlags.map((k) => flag[k]).join(', ')} as given` : 'defaults';
  const info = `split drawn with ${values} (${origin}${unknown.length && fromFlags.length > 0 && fromFlags.length < 3 ? ', defaults otherwise' : ''})`;
  if (differ.length) {
    const was = differ.map((k) => `${flag[k]} ${p.trained[k]}`).join(', ');
    return {
      info,
      warning: `these split parameters differ from the model's training split (${was}, from ${p.trainedFrom}): ` +
        'the evaluated images are not the split the model was trained with and may include its training images',
    };
  }
  return {
    info,
    warning: `${p.trainedFrom ? `${p.trainedFrom} does not record ${unknown.map((k) => flag[k].slice(2)).join(', ')}` : 'the model file does not record how its training data was split'}, ` +
      'so this split cannot be guaranteed to match training (it may include training images); pass the values used in training ' +
      'with --seed, --val-fraction and --test-fraction, or evaluate on data with its own test/ folder',
  };
}
