// What every tlearn checkpoint says about its model, so that evaluate/predict/export can never disagree with
// training: the architecture, the classes and which one is positive, the preprocessing (image size, resize
// mode, mean/std), the decision threshold, where in training it was saved, its validation metrics and the
// tool version. Values read from a file are untrusted: each is checked and a bad one is reported by key.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkArch, type ResNetArch } from './resnet.js';

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
  arch: ResNetArch;
  /** Dropout probability of the head (fc.0). */
  dropout: number;
  /** [negative, positive]. */
  classes: [string, string];
  /** Always classes[1]; stored for readers that do not know the convention. */
  positiveClass: string;
  imageSize: number;
  resize: ResizeMode;
  mean: [number, number, number];
  std: [number, number, number];
  /** Probability at or above which an image is predicted positive. */
  threshold: number;
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

/** The metadata assumed for a plain state_dict saved by the seed's PyTorch code. */
export function seedMetadata(arch: ResNetArch = 'resnet50'): ModelMetadata {
  return {
    kind: METADATA_KIND, formatVersion: METADATA_VERSION, arch, dropout: 0.5, classes: ['0', '1'], positiveClass: '1',
    imageSize: 224, resize: 'squash', mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], threshold: 0.5,
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

const KNOWN_KEYS = new Set(Object.keys(seedMetadata()));

type Check<T> = (v: unknown) => T | undefined;
const str: Check<string> = (v) => (typeof v === 'string' ? v : undefined);
const posInt: Check<number> = (v) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
const prob: Check<number> = (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? v : undefined);
const dropoutP: Check<number> = (v) => (typeof v === 'number' && v >= 0 && v < 1 ? v : undefined);
const triple = (positive: boolean): Check<[number, number, number]> => (v) =>
  Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))
    ? [v[0], v[1], v[2]] : undefined;
const classPair: Check<[string, string]> = (v) =>
  Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string' && x.length > 0) && v[0] !== v[1]
    ? [v[0], v[1]] : undefined;
const nullable = <T>(c: Check<T>): Check<T | null> => (v) => (v === null ? null : c(v));
const plainObject: Check<Record<string, unknown>> = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const metricsMap: Check<Record<string, number | null>> = (v) => {
  const o = plainObject(v);
  if (!o || !Object.values(o).every((x) => x === null || typeof x === 'number')) return undefined;
  return o as Record<string, number | null>;
};

const CHECKS: { [K in keyof ModelMetadata]: [Check<ModelMetadata[K]>, string] } = {
  kind: [(v) => (v === METADATA_KIND ? METADATA_KIND : undefined), `"${METADATA_KIND}"`],
  formatVersion: [posInt, 'a positive integer'],
  arch: [(v) => { try { return checkArch(v); } catch { return undefined; } }, 'one of resnet18, resnet34, resnet50, resnet101, resnet152'],
  dropout: [dropoutP, 'a number in [0, 1)'],
  classes: [classPair, 'two different non-empty class names [negative, positive]'],
  positiveClass: [str, 'a string'],
  imageSize: [posInt, 'a positive integer'],
  resize: [(v) => (RESIZE_MODES.includes(v as ResizeMode) ? (v as ResizeMode) : undefined), RESIZE_MODES.map((m) => `"${m}"`).join(' or ')],
  mean: [triple(false), 'three finite numbers'],
  std: [triple(true), 'three positive numbers'],
  threshold: [prob, 'a number in [0, 1]'],
  phase: [nullable(str), 'a string or null'],
  epoch: [nullable((v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined)), 'a non-negative integer or null'],
  metrics: [metricsMap, 'an object of numbers (or null)'],
  weights: [nullable(str), 'a string or null'],
  toolVersion: [str, 'a string'],
  createdAt: [nullable(str), 'a string or null'],
  extra: [plainObject, 'an object'],
};

/** True when metadata read from a file was written by tlearn. */
export const isTlearnMetadata = (raw: Record<string, unknown>): boolean => raw.kind === METADATA_KIND;

/**
 * Checks metadata (from a file or a caller) and fills what is absent from `base`. Unknown keys go to `extra`.
 * Throws naming `source`, the key and what was expected.
 */
export function completeMetadata(raw: Record<string, unknown>, base: ModelMetadata, source = 'metadata'): ModelMetadata {
  const out: Record<string, unknown> = { ...base, extra: { ...base.extra } };
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (!KNOWN_KEYS.has(key)) {
      (out.extra as Record<string, unknown>)[key] = value;
      continue;
    }
    const [check, expected] = CHECKS[key as keyof ModelMetadata] as [Check<unknown>, string];
    const ok = check(value);
    if (ok === undefined) {
      throw new Error(`${source}: metadata '${key}' must be ${expected}, got ${JSON.stringify(value)?.slice(0, 80)}`);
    }
    out[key] = key === 'extra' ? { ...(out.extra as object), ...(ok as object) } : ok;
  }
  const m = out as unknown as ModelMetadata;
  if (!('positiveClass' in raw) || raw.positiveClass === undefined) m.positiveClass = m.classes[1];
  if (m.positiveClass !== m.classes[1]) {
    throw new Error(`${source}: metadata 'positiveClass' is "${m.positiveClass}" but classes are [${m.classes.map((c) => `"${c}"`).join(', ')}] (the positive class must be the second)`);
  }
  return m;
}

/** The metadata as the plain JSON object stored in a checkpoint (NaN/Infinity metrics become null). */
export function metadataToJSON(m: ModelMetadata): Record<string, unknown> {
  const metrics: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(m.metrics)) metrics[k] = v === null || !Number.isFinite(v) ? null : v;
  return { ...m, metrics };
}
