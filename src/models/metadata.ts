// What every tlearn checkpoint says about its model, so that evaluate/predict/export can never disagree with
// training: the architecture, the classes and which one is positive, the preprocessing (image size, resize
// mode, mean/std), the decision threshold, where in training it was saved, its validation metrics and the
// tool version. Values read from a file are untrusted: each is checked, with the bounds training itself uses
// (bounds.ts), and a bad one is reported by key and value.
import * as fs from 'node:fs';
import { quoteValue } from '../format/quote.js';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CLASS_NAME_MAX, DROPOUT, EPOCHS, expectation, FRACTION, IMAGE_SIZE, MAX_CLASSES, meetsRule, outOfRange, PHASE_NAME_MAX_BYTES, POS_WEIGHT,
  rangeText, SEED, STD, TASK_KINDS, TEMPERATURE, THRESHOLD, DICOM_WINDOW_CENTER, DICOM_WINDOW_WIDTH, type NumberRule, type TaskKind,
} from './bounds.js';
import { ALL_ARCHS, isArch, type Arch } from './zoo.js';

export type ResizeMode = 'squash' | 'crop';
export const RESIZE_MODES: readonly ResizeMode[] = ['squash', 'crop'];
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
/** The `kind` that marks a file written by tlearn. */
export const METADATA_KIND = 'tlearn.binary-classifier';
export const METADATA_VERSION = 1;

export interface ModelMetadata {
  kind: typeof METADATA_KIND;
  formatVersion: number;
  arch: Arch;
  /** Dropout probability of the head (fc.0). */
  dropout: number;
  /** What the head predicts (absent in files of tlearn before multi-class: 'binary'). */
  task: TaskKind;
  /** The ordered class list: binary [negative, positive]; otherwise one per output of fc.1. */
  classes: string[];
  /** Binary: always classes[1], stored for readers that do not know the convention; null for the other tasks. */
  positiveClass: string | null;
  imageSize: number;
  resize: ResizeMode;
  mean: [number, number, number];
  std: [number, number, number];
  /** Probability at or above which an image is predicted positive (binary; 0.5 and unused otherwise). */
  threshold: number;
  /** Multi-label: one threshold per class (a label is predicted at or above its own); null for the other tasks. */
  thresholds: number[] | null;
  /**
   * The calibration temperature fitted on validation logits (config calibration: temperature): probabilities are
   * sigmoid/softmax(logits / temperature). null or absent (the default, and files without the key): not calibrated.
   */
  temperature?: number | null;
  /**
   * The DICOM windows the model was trained with ([centre, width] on the rescaled values: one for grey images, three
   * for the red, green and blue channels); null or absent (the default, and files without the key): each file's own.
   */
  dicomWindows?: Array<[number, number]> | null;
  /**
   * Conformal prediction sets fitted on the validation split (config conformal; metrics/conformal.ts): a set holds
   * each class whose probability p has 1 − p ≤ qhat (class-conditional sets: one qhat per class, its own). null or
   * absent: no sets.
   */
  conformal?: ConformalRecord | null;
  /** Training phase name and epoch (1-based) at which the weights were saved; null when unknown. */
  phase: string | null;
  epoch: number | null;
  /** Validation metrics at that epoch (e.g. val_auc, val_loss); null values stand for NaN. */
  metrics: Record<string, number | null>;
  /** The pretrained weights training started from ('imagenet', a file name, 'none'), if known. */
  weights: string | null;
  toolVersion: string;
  /** ISO 8601 time of writing; null when unknown. */
  createdAt: string | null;
  /** Anything else a writer stored (unknown keys found in a file land here too). */
  extra: Record<string, unknown>;
}

/** Split conformal prediction's fit: the error rate asked for, the score threshold, the validation images used. */
export interface ConformalRecord { alpha: number; qhat: number | number[]; n: number }

/** The metadata assumed for a plain state_dict saved by the seed's PyTorch code. */
export function seedMetadata(arch: Arch = 'resnet50'): ModelMetadata {
  return {
    kind: METADATA_KIND, formatVersion: METADATA_VERSION, arch, dropout: 0.5, task: 'binary', classes: ['0', '1'], positiveClass: '1',
    imageSize: 224, resize: 'squash', mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], threshold: 0.5, thresholds: null, temperature: null,
    phase: null, epoch: null, metrics: {}, weights: null, toolVersion: 'unknown', createdAt: null, extra: {},
  };
}

let cachedVersion: string | undefined;
/** tlearn's version from its package.json (found upwards from this file, in src/ or dist/src/). */
export function toolVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        const json = JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
        if (json.name === 'tlearn' && typeof json.version === 'string') return (cachedVersion = json.version);
      } catch { /* not ours: keep looking */ }
    }
    dir = path.dirname(dir);
  }
  return (cachedVersion = 'unknown');
}

// conformal is optional (absent from most files), so the seed's metadata leaves it out.
const KNOWN_KEYS = new Set([...Object.keys(seedMetadata()), 'conformal', 'dicomWindows']);

/** A bad value: its key (dotted below the metadata, e.g. extra.seed), the value, and what is wrong with it. */
class BadValue {
  constructor(readonly key: string, readonly value: unknown, readonly problem: string) {}
}


/** Returns the checked value or throws a BadValue naming `key`. */
type Check<T> = (v: unknown, key: string) => T;

const fail = (key: string, v: unknown, problem: string): never => {
  throw new BadValue(key, v, problem);
};
/** A number under one of the bounds training uses (bounds.ts); a number of the right kind beyond them is out of range. */
const ruled = (rule: NumberRule): Check<number> => (v, key) => {
  if (meetsRule(v, rule)) return v;
  return fail(key, v, outOfRange(v, rule) ? `is out of range (${rangeText(rule)})` : `must be ${expectation(rule)}`);
};
const nullable = <T>(check: Check<T>): Check<T | null> => (v, key) => {
  if (v === null) return null;
  try {
    return check(v, key);
  } catch (e) {
    if (e instanceof BadValue && e.problem.startsWith('must be')) throw new BadValue(e.key, e.value, `${e.problem}, or null`);
    throw e;
  }
};
const text = (what: string, ok: (s: string) => boolean = () => true): Check<string> => (v, key) =>
  (typeof v === 'string' && ok(v) ? v : fail(key, v, `must be ${what}`));
const triple = (rule: NumberRule | null, what: string): Check<[number, number, number]> => (v, key) =>
  (Array.isArray(v) && v.length === 3 && v.every((x) => (rule ? meetsRule(x, rule) : typeof x === 'number' && Number.isFinite(x)))
    ? [v[0], v[1], v[2]] : fail(key, v, `must be ${what}`));
const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Distinct non-empty names; how many the task allows is checked with the task (checkTaskFields). */
const classList: Check<string[]> = (v, key) =>
  (Array.isArray(v) && v.length >= 1 && v.length <= MAX_CLASSES
    && v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= CLASS_NAME_MAX) && new Set(v).size === v.length
    ? [...v] : fail(key, v, `must be two different non-empty class names [negative, positive] (binary), or up to ${MAX_CLASSES} (other tasks)`));

const thresholdList: Check<number[]> = (v, key) =>
  (Array.isArray(v) && v.length <= MAX_CLASSES && v.every((x) => meetsRule(x, THRESHOLD))
    ? [...v] : fail(key, v, `must be a list of numbers in ${rangeText(THRESHOLD)}`));

const dicomWindowList: Check<Array<[number, number]>> = (v, key) =>
  (Array.isArray(v) && (v.length === 1 || v.length === 3) && v.every((w) => Array.isArray(w) && w.length === 2 &&
    meetsRule(w[0], DICOM_WINDOW_CENTER) && meetsRule(w[1], DICOM_WINDOW_WIDTH))
    ? v.map((w) => [w[0], w[1]] as [number, number])
    : fail(key, v, `must be one or three [centre, width] windows (centre in ${rangeText(DICOM_WINDOW_CENTER)}, width in ${rangeText(DICOM_WINDOW_WIDTH)})`));

const conformalRecord: Check<ConformalRecord> = (v, key) => {
  if (!isPlainObject(v)) return fail(key, v, 'must be an object {alpha, qhat, n}');
  return {
    alpha: ruled({ min: 0, max: 1, exclusiveMin: true, exclusiveMax: true })(v.alpha, `${key}.alpha`),
    // One threshold, or one per class (its length is checked with the classes, checkTaskFields).
    qhat: Array.isArray(v.qhat) && v.qhat.length >= 1 && v.qhat.length <= MAX_CLASSES
      ? v.qhat.map((q, i) => ruled({ min: 0, max: 1 })(q, `${key}.qhat[${i}]`)) : ruled({ min: 0, max: 1 })(v.qhat, `${key}.qhat`),
    n: ruled({ integer: true, min: 1 })(v.n, `${key}.n`),
  };
};

const formatVersion: Check<number> = (v, key) => {
  const n = ruled({ integer: true, min: 1 })(v, key);
  return n > METADATA_VERSION ? fail(key, v, `is newer than this tlearn reads (${METADATA_VERSION}); update tlearn`) : n;
};

const metricsMap: Check<Record<string, number | null>> = (v, key) => {
  if (!isPlainObject(v)) return fail(key, v, 'must be an object of numbers (or null)');
  for (const [name, x] of Object.entries(v)) if (x !== null && typeof x !== 'number') fail(`${key}.${name}`, x, 'must be a number or null');
  return v as Record<string, number | null>;
};

/** What tlearn reads back from `extra`, under the bounds of the configuration it came from; the rest is free. */
const EXTRA_CHECKS: Record<string, Check<unknown>> = {
  seed: ruled(SEED), val_fraction: ruled(FRACTION), test_fraction: ruled(FRACTION), pos_weight: nullable(ruled(POS_WEIGHT)),
};
const extraObject: Check<Record<string, unknown>> = (v, key) => {
  if (!isPlainObject(v)) return fail(key, v, 'must be an object');
  for (const [name, check] of Object.entries(EXTRA_CHECKS)) if (v[name] !== undefined) check(v[name], `${key}.${name}`);
  const { val_fraction: val, test_fraction: test } = v as { val_fraction?: number; test_fraction?: number };
  if (val !== undefined && test !== undefined && val + test >= 1) {
    throw new BadValue(`${key}.val_fraction + ${key}.test_fraction`, `${val} + ${test}`, 'must be below 1');
  }
  return v;
};

const CHECKS: { [K in keyof ModelMetadata]: Check<ModelMetadata[K]> } = {
  kind: (v, key) => (v === METADATA_KIND ? METADATA_KIND : fail(key, v, `must be "${METADATA_KIND}"`)),
  formatVersion,
  // The zoo keeps growing: the message names the first and last and where the list is, and stays short.
  arch: (v, key) => (isArch(v) ? v : fail(key, v, `must be a known architecture (${ALL_ARCHS[0]} … ${ALL_ARCHS[ALL_ARCHS.length - 1]}: tlearn weights list shows them all)`)),
  dropout: ruled(DROPOUT),
  task: (v, key) => (TASK_KINDS.includes(v as TaskKind) ? (v as TaskKind) : fail(key, v, `must be one of ${TASK_KINDS.map((t) => `"${t}"`).join(', ')}`)),
  classes: classList,
  // null for multi-class and multi-label models (checkTaskFields); the message names the binary model's case.
  positiveClass: (v, key) => (v === null ? null : text('a string')(v, key)),
  imageSize: ruled(IMAGE_SIZE),
  resize: (v, key) => (RESIZE_MODES.includes(v as ResizeMode) ? (v as ResizeMode) : fail(key, v, `must be ${RESIZE_MODES.map((m) => `"${m}"`).join(' or ')}`)),
  mean: triple(null, 'three finite numbers'),
  std: triple(STD, 'three positive numbers'),
  threshold: ruled(THRESHOLD),
  thresholds: nullable(thresholdList),
  temperature: nullable(ruled(TEMPERATURE)),
  dicomWindows: nullable(dicomWindowList),
  conformal: nullable(conformalRecord),
  phase: nullable(text(`a phase name of at most ${PHASE_NAME_MAX_BYTES} bytes`, (s) => s.length > 0 && Buffer.byteLength(s, 'utf8') <= PHASE_NAME_MAX_BYTES)),
  epoch: nullable(ruled(EPOCHS)),
  metrics: metricsMap,
  weights: nullable(text('a string')),
  toolVersion: text('a version of at most 100 characters', (s) => s.length > 0 && s.length <= 100),
  createdAt: nullable(text('a date and time (ISO 8601)', (s) => s.length <= 100 && !Number.isNaN(Date.parse(s)))),
  extra: extraObject,
};

/**
 * The fields that depend on the task: binary has exactly two classes and positiveClass = classes[1] (filled in
 * when absent); multi-class at least two classes; multi-label one threshold per class. Other tasks have no
 * positive class.
 */
function checkTaskFields(m: ModelMetadata, raw: Record<string, unknown>): void {
  const given = (k: string) => k in raw && raw[k] !== undefined;
  if (m.task === 'binary') {
    if (m.classes.length !== 2) fail('classes', m.classes, 'must be two different non-empty class names [negative, positive] (task "binary")');
    if (!given('positiveClass')) m.positiveClass = m.classes[1]!;
    if (m.positiveClass !== m.classes[1]) fail('positiveClass', m.positiveClass, `must be the second of classes ${quoteValue(m.classes)}`);
  } else {
    if (!given('positiveClass')) m.positiveClass = null;
    if (m.positiveClass !== null) fail('positiveClass', m.positiveClass, `must be null: a ${m.task} model has no positive class`);
    if (m.task === 'multiclass' && m.classes.length < 2) fail('classes', m.classes, 'must name at least 2 classes (task "multiclass")');
  }
  if (m.task !== 'multilabel' && m.thresholds !== null) fail('thresholds', m.thresholds, `must be null for task "${m.task}" (one threshold: threshold)`);
  const q = m.conformal?.qhat;
  if (Array.isArray(q) && q.length !== m.classes.length) fail('conformal.qhat', q, `must hold one threshold per class (${m.classes.length}) or be one number`);
  if (m.conformal && m.task === 'multilabel') fail('conformal', m.conformal, 'must be null for task "multilabel" (a label has its own threshold)');
  if (m.task === 'multilabel' && m.thresholds !== null && m.thresholds.length !== m.classes.length) {
    fail('thresholds', m.thresholds, `must hold one threshold per class (${m.classes.length})`);
  }
}

/** True when metadata read from a file was written by tlearn. */
export const isTlearnMetadata = (raw: Record<string, unknown>): boolean => raw.kind === METADATA_KIND;

/**
 * Checks metadata (from a file or a caller) and fills what is absent from `base`. Unknown keys go to `extra`.
 * Every value is held to the bounds training uses (bounds.ts). Throws naming what is checked (`what`, e.g.
 * 'checkpoint metadata'), the key, the value (at most 100 characters of it) and `source`:
 * "checkpoint metadata imageSize 100000 is out of range (32-4096): FILE".
 */
export function completeMetadata(raw: Record<string, unknown>, base: ModelMetadata, source = 'metadata', what = 'checkpoint metadata'): ModelMetadata {
  const out: Record<string, unknown> = { ...base, extra: { ...base.extra } };
  try {
    for (const [key, value] of Object.entries(raw)) {
      if (value === undefined) continue;
      if (!KNOWN_KEYS.has(key)) {
        (out.extra as Record<string, unknown>)[key] = value;
        continue;
      }
      const ok = (CHECKS[key as keyof ModelMetadata] as Check<unknown>)(value, key);
      out[key] = key === 'extra' ? { ...(out.extra as object), ...(ok as object) } : ok;
    }
    const m = out as unknown as ModelMetadata;
    checkTaskFields(m, raw);
    return m;
  } catch (e) {
    if (!(e instanceof BadValue)) throw e;
    // A sum of two values is shown as it is ("0.6 + 0.5"), not quoted.
    const value = e.key.includes(' + ') ? String(e.value) : quoteValue(e.value);
    throw new Error(`${what} ${e.key} ${value} ${e.problem}: ${source}`);
  }
}

/** The metadata as the plain JSON object stored in a checkpoint (NaN/Infinity metrics become null). */
export function metadataToJSON(m: ModelMetadata): Record<string, unknown> {
  const metrics: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(m.metrics)) metrics[k] = v === null || !Number.isFinite(v) ? null : v;
  // thresholds exist only for multi-label models, temperature only for calibrated ones: other files stay as they were.
  const { thresholds, temperature, conformal, dicomWindows, ...rest } = m;
  return {
    ...rest, ...(thresholds === null ? {} : { thresholds }), ...(temperature === null || temperature === undefined ? {} : { temperature }),
    ...(conformal ? { conformal } : {}), ...(dicomWindows ? { dicomWindows } : {}), metrics,
  };
}
