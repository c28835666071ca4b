// Turns a raw, user-written configuration (parsed JSON/YAML plus command-line overrides) into a complete
// RunConfig. Every problem is collected (not just the first) with the key path and what was expected, e.g.
// `config.phases[1].lr: expected a positive number, got "fast"`.
import { ARCH_INFO, isResNetFamily, type ArchInfo } from '../../models/zoo.js';
import { defaultConfig, DEFAULT_CONFORMAL_ALPHA, DEFAULT_CUTMIX_ALPHA, DEFAULT_EMA_DECAY, DEFAULT_ERASING, DEFAULT_FOCAL, DEFAULT_MIXUP_ALPHA } from './defaults.js';
import { didYouMean } from './suggest.js';
import { findWeights } from '../../io/weights.js';
import { ACCUMULATE_GRAD_BATCHES, DICOM_WINDOW_CENTER, DICOM_WINDOW_WIDTH, DROPOUT, FRACTION, IMAGE_SIZE, meetsRule, type NumberRule, PHASE_NAME_MAX_BYTES, POS_WEIGHT, SEED, STD, THRESHOLD } from '../../models/bounds.js';
import { ARCHS, AUGMENTS, BN_POLICIES, CACHE_DTYPES, CHECKPOINT_FORMATS, DEVICES, PRECISIONS, RESIZE_MODES, SAMPLER_KINDS, TASK_REQUESTS, THRESHOLD_METHODS, WEIGHT_NAMES, CALIBRATIONS, type RunConfig } from './types.js';
import { Checker, describe, isPlainObject, isWeightsPath, registryNames, type ConfigIssue } from './checker.js';
import { familyDefaults, phases } from './phases.js';
import type { ConformalConfig, EmaConfig, ErasingConfig, FocalConfig, MixConfig, RandAugmentConfig } from './types.js';
import { MAGNITUDE_BINS, RAND_AUGMENT } from '../../data/auto-augment-draw.js';

/** A section of one number: null/false (none), true (the default), the number itself, or { key: number }. */
function numberSection<K extends string>(c: Checker, v: unknown, path: string, key: K, def: number, rule: NumberRule): Record<K, number> | null {
  if (v === undefined || v === null || v === false) return null;
  const of = (n: number) => ({ [key]: n }) as Record<K, number>;
  if (v === true) return of(def);
  if (typeof v === 'number') return of(c.number(v, path, def, rule));
  const raw = c.section(v, path, [key], ['true', 'false', 'null']);
  return of(c.number(raw[key], `${path}.${key}`, def, rule));
}

/** mixup or cutmix: alpha or { alpha }. */
const mixing = (c: Checker, v: unknown, path: string, def: number): MixConfig | null =>
  numberSection(c, v, path, 'alpha', def, { min: 0, exclusiveMin: true, max: 100 });

/** conformal: alpha or { alpha, perClass }. */
function conformal(c: Checker, v: unknown, path: string): ConformalConfig | null {
  if (v === undefined || v === null || v === false) return null;
  const ALPHA = { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true };
  if (v === true) return { alpha: DEFAULT_CONFORMAL_ALPHA, perClass: false };
  if (typeof v === 'number') return { alpha: c.number(v, path, DEFAULT_CONFORMAL_ALPHA, ALPHA), perClass: false };
  const raw = c.section(v, path, ['alpha', 'perClass'], ['true', 'false', 'null']);
  return { alpha: c.number(raw.alpha, `${path}.alpha`, DEFAULT_CONFORMAL_ALPHA, ALPHA), perClass: c.bool(raw.perClass, `${path}.perClass`, false) };
}

/** input.dicomWindows: null, or one or three [centre, width] pairs, each width at least 1 (a LINEAR window). */
function dicomWindows(c: Checker, v: unknown, path: string): Array<[number, number]> | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || (v.length !== 1 && v.length !== 3)) {
    c.fail(path, `expected one [centre, width] window (a grey image) or three (red, green, blue), got ${describe(v)}`);
    return null;
  }
  return v.map((w, i) => {
    const [center, width] = c.numberTuple(w, `${path}[${i}]`, [0, 1], 2, DICOM_WINDOW_CENTER);
    return [center!, c.number(width, `${path}[${i}][1]`, 1, DICOM_WINDOW_WIDTH)] as [number, number];
  });
}

/** randAugment: { numOps, magnitude } (torchvision's RandAugment defaults for what is left out). */
function randAugment(c: Checker, v: unknown, path: string): RandAugmentConfig {
  const raw = v === undefined || v === null ? {} : c.section(v, path, ['numOps', 'magnitude']);
  return {
    numOps: c.number(raw.numOps, `${path}.numOps`, RAND_AUGMENT.numOps, { integer: true, min: 1, max: 16 }),
    magnitude: c.number(raw.magnitude, `${path}.magnitude`, RAND_AUGMENT.magnitude, { integer: true, min: 0, max: MAGNITUDE_BINS - 1 }),
  };
}

/** randomErasing: p or { p, scale, ratio } (torchvision's RandomErasing defaults for what is left out). */
function randomErasing(c: Checker, v: unknown, path: string): ErasingConfig | null {
  if (v === undefined || v === null || v === false) return null;
  const d = DEFAULT_ERASING, P = { min: 0, max: 1, exclusiveMin: true };
  const out: ErasingConfig = { p: d.p, scale: [...d.scale], ratio: [...d.ratio] };
  if (v === true) return out;
  if (typeof v === 'number') return { ...out, p: c.number(v, path, d.p, P) };
  const raw = c.section(v, path, ['p', 'scale', 'ratio'], ['true', 'false', 'null']);
  out.p = c.number(raw.p, `${path}.p`, d.p, P);
  const range = (key: 'scale' | 'ratio', rule: NumberRule): [number, number] => {
    const [lo, hi] = c.numberTuple(raw[key], `${path}.${key}`, [...d[key]], 2, rule) as [number, number];
    if (lo > hi) c.fail(`${path}.${key}`, `[${lo}, ${hi}]: the lowest value comes first`);
    return [lo, hi];
  };
  out.scale = range('scale', { min: 0, max: 1, exclusiveMin: true });
  out.ratio = range('ratio', { min: 0, exclusiveMin: true, max: 100 });
  return out;
}

function focalLoss(c: Checker, v: unknown, path: string): FocalConfig | null {
  if (v === undefined || v === null || v === false) return null;
  if (v === true) return { ...DEFAULT_FOCAL };
  const raw = c.section(v, path, ['gamma', 'alpha'], ['true', 'false', 'null']);
  const gamma = c.number(raw.gamma, `${path}.gamma`, DEFAULT_FOCAL.gamma, { min: 0, max: 10 });
  if (gamma > 0 && gamma < 1) {
    c.fail(`${path}.gamma`, `${gamma} makes (1 - p_t)^gamma infinitely steep at p_t = 1: a saturated right prediction gives a NaN gradient (torchvision's loss too); use 0 or at least 1`);
  }
  const alpha = raw.alpha === null ? null : c.number(raw.alpha, `${path}.alpha`, DEFAULT_FOCAL.alpha as number, { min: 0, max: 1 });
  return { gamma, alpha };
}

/** ema: decay or { decay }; 1 would never move from the first step's weights, 0 is no average (the live weights). */
const ema = (c: Checker, v: unknown, path: string): EmaConfig | null =>
  numberSection(c, v, path, 'decay', DEFAULT_EMA_DECAY, { min: 0, max: 1, exclusiveMax: true });

export { isPlainObject, isWeightsPath, type ConfigIssue };
// The bounds shared with checkpoint metadata live in src/models/bounds.ts (one definition for both).
export { PHASE_NAME_MAX_BYTES };

const TOP_KEYS = ['data', 'model', 'input', 'augment', 'sampler', 'batchSize', 'accumulateGradBatches', 'seed', 'threads', 'device', 'precision', 'channelsLast',
  'bnPolicy', 'syncBatchNorm', 'collectiveTimeoutSeconds', 'peerTimeoutSeconds', 'task', 'posWeight', 'classWeights', 'labelSmoothing', 'clipGradNorm', 'focalLoss', 'mixup', 'cutmix', 'randomErasing', 'randAugment', 'ema', 'featureCache', 'imageCache', 'threshold', 'calibration', 'conformal', 'checkpointFormat', 'phases'] as const;

/**
 * Builds a complete RunConfig from a raw object (already merged with overrides). Paths must already be absolute
 * where they should be; nothing here touches the file system. Returns the issues instead of throwing.
 */
export function buildConfig(rawInput: unknown, sources: ReadonlyMap<string, string> = new Map()): { config: RunConfig; issues: ConfigIssue[] } {
  const c = new Checker(sources);
  const d = defaultConfig();
  const raw = c.section(rawInput ?? {}, 'config', TOP_KEYS);

  const rd = c.section(raw.data, 'config.data', ['path', 'csv', 'positive', 'valFraction', 'testFraction']);
  const data = {
    path: rd.path === undefined ? '' : c.string(rd.path, 'config.data.path', '', 'a folder path'),
    csv: c.nullableString(rd.csv, 'config.data.csv', null, 'a CSV file path or null'),
    positive: c.nullableString(rd.positive, 'config.data.positive', null, 'a class name or null'),
    valFraction: c.number(rd.valFraction, 'config.data.valFraction', d.data.valFraction, FRACTION),
    testFraction: c.number(rd.testFraction, 'config.data.testFraction', d.data.testFraction, FRACTION),
  };
  if (!data.path) c.fail('config.data.path', 'required: the image folder or CSV file; give DATA on the command line (tlearn train DATA --out RUN), or data.path (or data.csv) in the config file');
  if (data.valFraction + data.testFraction >= 1) c.fail('config.data', `valFraction + testFraction must be below 1 (nothing left to train on), got ${data.valFraction} + ${data.testFraction}`);

  const rm = c.section(raw.model, 'config.model', ['arch', 'weights', 'dropout']);
  const arch = c.choice(rm.arch, 'config.model.arch', d.model.arch, ARCHS);
  const weights = c.string(rm.weights, 'config.model.weights', d.model.weights);
  if (weights !== 'none' && !isWeightsPath(weights)) {
    const names = registryNames();
    if (!names.includes(weights)) {
      c.fail('config.model.weights', `expected ${WEIGHT_NAMES.map((w) => `"${w}"`).join(', ')}, a name from \`tlearn weights list\` or a path to a .pth/.safetensors file, got ${describe(weights)}${didYouMean(weights, names)}`);
    } else {
      // The registry knows which names exist for which arch (e.g. torchvision has no V2 weights for resnet18).
      try {
        findWeights(weights, arch);
      } catch (err) {
        c.fail('config.model.weights', `${(err as Error).message} (model.arch is ${arch})`);
      }
    }
  }
  const model = { arch, weights, dropout: c.number(rm.dropout, 'config.model.dropout', d.model.dropout, DROPOUT) };

  const ri = c.section(raw.input, 'config.input', ['imageSize', 'resize', 'presize', 'dicomWindows', 'mean', 'std']);
  const mean = c.numberTuple(ri.mean, 'config.input.mean', d.input.mean, 3);
  const std = c.numberTuple(ri.std, 'config.input.std', d.input.std, 3, STD);
  const input = {
    // Unless set, the architecture's own (its ImageNet weights' crop: efficientnet_b3 300; ResNet 224, the seed's).
    imageSize: c.number(ri.imageSize, 'config.input.imageSize', isResNetFamily(arch) ? d.input.imageSize : ARCH_INFO[arch].imageSize, IMAGE_SIZE),
    resize: c.choice(ri.resize, 'config.input.resize', d.input.resize, RESIZE_MODES),
    presize: c.nullableNumber(ri.presize, 'config.input.presize', d.input.presize, { integer: true, min: 1, max: 65536 }),
    dicomWindows: dicomWindows(c, ri.dicomWindows, 'config.input.dicomWindows'),
    mean: [mean[0], mean[1], mean[2]] as [number, number, number],
    std: [std[0], std[1], std[2]] as [number, number, number],
  };

  const info: ArchInfo = ARCH_INFO[arch];
  if (info.fixedImageSize && input.imageSize !== info.imageSize) {
    c.fail('config.input.imageSize', `${arch} takes ${info.imageSize}×${info.imageSize} images only (its position embedding has one token per ` +
      `patch of that size and its weights were trained on it), got ${input.imageSize}`);
  }
  if (input.presize !== null && input.presize < input.imageSize) {
    c.fail('config.input.presize', `${input.presize} is smaller than the image size ${input.imageSize}; the random crops are drawn from a copy ` +
      'whose shorter side is at most this, so it must be at least input.imageSize (or null)');
  }

  let posWeight: RunConfig['posWeight'] = d.posWeight;
  if (raw.posWeight === null || raw.posWeight === 'auto') posWeight = raw.posWeight;
  else if (meetsRule(raw.posWeight, POS_WEIGHT)) posWeight = raw.posWeight;
  else if (raw.posWeight !== undefined) c.fail('config.posWeight', `expected null, "auto" or a positive number, got ${describe(raw.posWeight)}${typeof raw.posWeight === 'string' ? didYouMean(raw.posWeight, ['auto']) : ''}`);

  let classWeights: RunConfig['classWeights'] = d.classWeights;
  if (raw.classWeights === null || raw.classWeights === 'auto') classWeights = raw.classWeights;
  else if (Array.isArray(raw.classWeights) && raw.classWeights.length > 0 && raw.classWeights.every((w) => meetsRule(w, POS_WEIGHT))) {
    classWeights = [...raw.classWeights] as number[];
  } else if (raw.classWeights !== undefined) {
    c.fail('config.classWeights', `expected null, "auto" or a list of positive numbers (one per class), got ${describe(raw.classWeights)}` +
      `${typeof raw.classWeights === 'string' ? didYouMean(raw.classWeights, ['auto']) : ''}`);
  }

  let rf: unknown = raw.featureCache;
  if (typeof rf === 'boolean') rf = { enabled: rf };
  const rfc = c.section(rf, 'config.featureCache', ['enabled', 'memoryMB', 'dir', 'diskMB', 'dtype'], ['true', 'false']);
  const featureCache = {
    enabled: c.bool(rfc.enabled, 'config.featureCache.enabled', d.featureCache.enabled),
    memoryMB: c.number(rfc.memoryMB, 'config.featureCache.memoryMB', d.featureCache.memoryMB, { min: 0 }),
    dir: c.nullableString(rfc.dir, 'config.featureCache.dir', null, 'a folder path or null'),
    diskMB: c.nullableNumber(rfc.diskMB, 'config.featureCache.diskMB', d.featureCache.diskMB, { min: 0 }),
    dtype: c.choice(rfc.dtype, 'config.featureCache.dtype', d.featureCache.dtype, CACHE_DTYPES),
  };

  const ric = c.section(raw.imageCache, 'config.imageCache', ['memoryMB']);
  const imageCache = { memoryMB: c.nullableNumber(ric.memoryMB, 'config.imageCache.memoryMB', d.imageCache.memoryMB, { min: 0 }) };

  const rt = c.section(raw.threshold, 'config.threshold', ['method', 'value']);
  const method = c.choice(rt.method, 'config.threshold.method', d.threshold.method, THRESHOLD_METHODS);
  let value: number | null = null;
  if (method === 'fixed') {
    value = c.number(rt.value ?? undefined, 'config.threshold.value', 0.5, THRESHOLD);
  } else if (method === 'sensitivity' || method === 'specificity') {
    if (rt.value === undefined || rt.value === null) c.fail('config.threshold.value', `required with method "${method}": the target ${method}, a number in (0, 1], given with --threshold (e.g. --threshold 0.95) or threshold.value in a config file`);
    else value = c.number(rt.value, 'config.threshold.value', 0.9, { min: 0, max: 1, exclusiveMin: true });
  } else if (rt.value !== undefined && rt.value !== null) {
    c.fail('config.threshold.value', `not used with method "${method}" (it chooses the threshold itself); remove it`);
  }

  const config: RunConfig = {
    data,
    model,
    input,
    augment: c.choice(raw.augment, 'config.augment', d.augment, AUGMENTS),
    sampler: c.choice(raw.sampler, 'config.sampler', d.sampler, SAMPLER_KINDS),
    // BatchNorm cannot train on a batch of one.
    batchSize: c.number(raw.batchSize, 'config.batchSize', d.batchSize, { integer: true, min: 2, max: 65536 }),
    accumulateGradBatches: c.number(raw.accumulateGradBatches, 'config.accumulateGradBatches', d.accumulateGradBatches, ACCUMULATE_GRAD_BATCHES),
    seed: c.number(raw.seed, 'config.seed', d.seed, SEED),
    threads: c.number(raw.threads, 'config.threads', d.threads, { integer: true, min: 0, max: 4096 }),
    device: c.choice(raw.device, 'config.device', d.device, DEVICES),
    precision: c.choice(raw.precision, 'config.precision', d.precision, PRECISIONS),
    channelsLast: c.boolOr(raw.channelsLast, 'config.channelsLast', d.channelsLast, 'auto'),
    bnPolicy: c.choice(raw.bnPolicy, 'config.bnPolicy', d.bnPolicy, BN_POLICIES),
    syncBatchNorm: c.bool(raw.syncBatchNorm, 'config.syncBatchNorm', d.syncBatchNorm),
    collectiveTimeoutSeconds: c.number(raw.collectiveTimeoutSeconds, 'config.collectiveTimeoutSeconds', d.collectiveTimeoutSeconds, { min: 1, max: 86400 }),
    peerTimeoutSeconds: c.number(raw.peerTimeoutSeconds, 'config.peerTimeoutSeconds', d.peerTimeoutSeconds, { min: 3, max: 86400 }),
    task: c.choice(raw.task, 'config.task', d.task, TASK_REQUESTS),
    posWeight,
    classWeights,
    labelSmoothing: c.number(raw.labelSmoothing, 'config.labelSmoothing', d.labelSmoothing, { min: 0, max: 1, exclusiveMax: true }),
    clipGradNorm: c.nullableNumber(raw.clipGradNorm, 'config.clipGradNorm', d.clipGradNorm, { min: 0, exclusiveMin: true }),
    mixup: mixing(c, raw.mixup, 'config.mixup', DEFAULT_MIXUP_ALPHA),
    cutmix: mixing(c, raw.cutmix, 'config.cutmix', DEFAULT_CUTMIX_ALPHA),
    randomErasing: randomErasing(c, raw.randomErasing, 'config.randomErasing'),
    randAugment: randAugment(c, raw.randAugment, 'config.randAugment'),
    focalLoss: focalLoss(c, raw.focalLoss, 'config.focalLoss'),
    ema: ema(c, raw.ema, 'config.ema'),
    featureCache,
    imageCache,
    threshold: { method, value },
    calibration: c.choice(raw.calibration, 'config.calibration', d.calibration, CALIBRATIONS),
    conformal: conformal(c, raw.conformal, 'config.conformal'),
    checkpointFormat: c.choice(raw.checkpointFormat, 'config.checkpointFormat', d.checkpointFormat, CHECKPOINT_FORMATS),
    phases: phases(c, raw.phases, familyDefaults(d.phases, arch), arch),
  };
  // Two averages of the same weights: validation could see only one of them.
  const swaPhase = config.phases.findIndex((p) => p.swa !== null);
  if (config.ema && swaPhase >= 0) c.fail(`config.phases[${swaPhase}].swa`, 'ema already validates and checkpoints an average of the weights; keep ema or swa');
  return { config, issues: c.issues };
}
