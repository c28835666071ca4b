// Turns a raw, user-written configuration (parsed JSON/YAML plus command-line overrides) into a complete
// RunConfig. Every problem is collected (not just the first) with the key path and what was expected, e.g.
// `config.phases[1].lr: expected a positive number, got "fast"`.
import { checkModuleName, TRAINABLE_NAMES } from './modules.js';
import { ARCH_INFO, expandTrainable, isResNetFamily, type ArchInfo } from '../../models/zoo.js';
import {
  DEFAULT_CHECKPOINT, DEFAULT_EARLY_STOPPING, DEFAULT_REDUCE_LR, defaultConfig, modeForMonitor, OPTIMIZER_DEFAULTS,
} from './defaults.js';
import { didYouMean } from './suggest.js';
import { quote, shorten } from '../../format/quote.js';
import { findWeights, WEIGHTS } from '../../io/weights.js';
import {
  DROPOUT, EPOCHS, expectation, FRACTION, IMAGE_SIZE, meetsRule, PHASE_NAME_MAX_BYTES, POS_WEIGHT, SEED, STD, THRESHOLD,
  type NumberRule,
} from '../../models/bounds.js';
import {
  ARCHS, AUGMENTS, BN_POLICIES, CACHE_DTYPES, CHECKPOINT_FORMATS, DEVICES, MODES, MONITORS, OPTIMIZERS,
  PRECISIONS, RESIZE_MODES, TASK_REQUESTS, THRESHOLD_METHODS, WEIGHT_NAMES, CALIBRATIONS,
  type Arch, type CheckpointConfig, type EarlyStoppingConfig, type Mode, type Monitor, type PhaseConfig,
  type ReduceLROnPlateauConfig, type RunConfig,
} from './types.js';

export interface ConfigIssue {
  /** Key path, e.g. `config.phases[1].lr`. */
  path: string;
  message: string;
}

type Obj = Record<string, unknown>;

const WEIGHT_FILE_EXT = /\.(pth|pt|bin|safetensors)$/i;

// The bounds shared with checkpoint metadata live in src/models/bounds.ts (one definition for both).
export { PHASE_NAME_MAX_BYTES };

/** Registry names and aliases usable as `model.weights` (besides 'none' and file paths). */
function registryNames(): string[] {
  return [...new Set([...WEIGHT_NAMES.filter((n) => n !== 'none'), 'imagenet-v2', ...WEIGHTS.flatMap((w) => [w.name, ...w.aliases])])];
}

/** A `model.weights` value that is a file rather than a registry name. */
export function isWeightsPath(value: string): boolean {
  return !(WEIGHT_NAMES as readonly string[]).includes(value) && (/[\\/]/.test(value) || WEIGHT_FILE_EXT.test(value));
}

export function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How a value is shown in a message: strings quoted (at most ~100 characters of them), containers by kind. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return typeof v === 'string' ? quote(v) : shorten(String(v));
}

const YAML11_TRUE = new Set(['y', 'yes', 'on']);
const YAML11_BOOLEANS = new Set([...YAML11_TRUE, 'n', 'no', 'off']);

/** Collects issues while reading values; every reader returns a usable value (the default) after a failure. */
export class Checker {
  readonly issues: ConfigIssue[] = [];
  /** Key paths set from the command line, mapped to the flag that set them (named in messages). */
  constructor(private readonly sources: ReadonlyMap<string, string> = new Map()) {}

  fail(path: string, message: string): void {
    // The flag that set this key or a key above it (`--set phases[0].trainable=[...]` for trainable[0]).
    let flag: string | undefined;
    let best = -1;
    for (const [key, f] of this.sources) {
      const covers = path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`);
      if (covers && key.length > best) {
        flag = f;
        best = key.length;
      }
    }
    this.issues.push({ path: flag ? `${flag} (${path})` : path, message });
  }

  /**
   * An object section: undefined gives {}, unknown keys are reported with a suggestion. `shorthands` names the
   * other values the caller accepts (e.g. true, false), shown in the message.
   */
  section(v: unknown, path: string, keys: readonly string[], shorthands: readonly string[] = []): Obj {
    if (v === undefined) return {};
    if (!isPlainObject(v)) {
      const forms = shorthands.length > 0 ? `${shorthands.join(', ')} or an object` : 'an object';
      // YAML 1.1's booleans are text in YAML 1.2 (which the yaml package reads).
      const yaml11 = typeof v === 'string' && shorthands.includes('false') && YAML11_BOOLEANS.has(v.toLowerCase())
        ? `; YAML reads ${v} as text: write ${YAML11_TRUE.has(v.toLowerCase()) ? 'true' : 'false'}` : '';
      this.fail(path, `expected ${forms} with the keys ${keys.join(', ')}, got ${describe(v)}${yaml11}`);
      return {};
    }
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) this.fail(`${path}.${shorten(k)}`, `unknown key${didYouMean(k, keys)}; expected one of ${keys.join(', ')}`);
    }
    return v;
  }

  number(v: unknown, path: string, def: number, rule: NumberRule = {}): number {
    if (v === undefined) return def;
    if (meetsRule(v, rule)) return v;
    this.fail(path, `expected ${expectation(rule)}, got ${describe(v)}`);
    return def;
  }

  choice<T extends string>(v: unknown, path: string, def: T, choices: readonly T[]): T {
    if (v === undefined) return def;
    if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
    const hint = typeof v === 'string' ? didYouMean(v, choices) : '';
    this.fail(path, `expected one of ${choices.map((c) => `"${c}"`).join(', ')}, got ${describe(v)}${hint}`);
    return def;
  }

  bool(v: unknown, path: string, def: boolean): boolean {
    if (v === undefined) return def;
    if (typeof v === 'boolean') return v;
    this.fail(path, `expected true or false, got ${describe(v)}`);
    return def;
  }

  /** true, false, or the one word `word` (e.g. "auto"). */
  boolOr<W extends string>(v: unknown, path: string, def: boolean | W, word: W): boolean | W {
    if (v === undefined) return def;
    if (typeof v === 'boolean' || v === word) return v as boolean | W;
    this.fail(path, `expected true, false or "${word}", got ${describe(v)}`);
    return def;
  }

  string(v: unknown, path: string, def: string, what = 'a non-empty string'): string {
    if (v === undefined) return def;
    if (typeof v === 'string' && v.length > 0) return v;
    this.fail(path, `expected ${what}, got ${describe(v)}`);
    return def;
  }

  nullableString(v: unknown, path: string, def: string | null, what = 'a non-empty string or null'): string | null {
    if (v === null) return null;
    return v === undefined ? def : this.string(v, path, def ?? '', what) || def;
  }

  nullableNumber(v: unknown, path: string, def: number | null, rule: NumberRule = {}): number | null {
    if (v === null) return null;
    return v === undefined ? def : this.number(v, path, def ?? 0, rule);
  }

  numberTuple<N extends number>(v: unknown, path: string, def: number[], n: N, rule: NumberRule = {}): number[] {
    if (v === undefined) return [...def];
    if (!Array.isArray(v) || v.length !== n) {
      this.fail(path, `expected an array of ${n} numbers, got ${describe(v)}`);
      return [...def];
    }
    return v.map((x, i) => this.number(x, `${path}[${i}]`, def[i], rule));
  }
}

// ---------------------------------------------------------------------------------------------- sections

function monitorAndMode(c: Checker, raw: Obj, path: string, base: { monitor: Monitor; mode: Mode }): { monitor: Monitor; mode: Mode } {
  const monitor = c.choice(raw.monitor, `${path}.monitor`, base.monitor, MONITORS);
  // A new monitor without a mode takes the metric's own direction, never the old monitor's mode.
  const fallback = raw.monitor !== undefined ? modeForMonitor(monitor) : base.mode;
  const mode = c.choice(raw.mode, `${path}.mode`, fallback, MODES);
  if (raw.mode !== undefined && mode !== modeForMonitor(monitor)) {
    c.fail(`${path}.mode`, `"${mode}" is the wrong direction for ${monitor}, which improves when it ${modeForMonitor(monitor) === 'max' ? 'rises' : 'falls'}; use "${modeForMonitor(monitor)}" or leave mode out`);
  }
  return { monitor, mode: raw.mode !== undefined ? modeForMonitor(monitor) : mode };
}

function earlyStopping(c: Checker, v: unknown, path: string, base: EarlyStoppingConfig | null): EarlyStoppingConfig | null {
  if (v === null || v === false) return null;
  if (v === undefined) return base && { ...base };
  const from = base ?? DEFAULT_EARLY_STOPPING;
  if (v === true) return { ...from };
  const raw = c.section(v, path, ['monitor', 'mode', 'patience', 'minDelta'], ['true', 'false', 'null']);
  return {
    ...monitorAndMode(c, raw, path, from),
    patience: c.number(raw.patience, `${path}.patience`, from.patience, { integer: true, min: 0 }),
    minDelta: c.number(raw.minDelta, `${path}.minDelta`, from.minDelta, { min: 0 }),
  };
}

function reduceLR(c: Checker, v: unknown, path: string, base: ReduceLROnPlateauConfig | null): ReduceLROnPlateauConfig | null {
  if (v === null || v === false) return null;
  if (v === undefined) return base && { ...base };
  const from = base ?? DEFAULT_REDUCE_LR;
  if (v === true) return { ...from };
  const raw = c.section(v, path, ['monitor', 'mode', 'patience', 'factor', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'], ['true', 'false', 'null']);
  return {
    ...monitorAndMode(c, raw, path, from),
    patience: c.number(raw.patience, `${path}.patience`, from.patience, { integer: true, min: 0 }),
    // PyTorch refuses factor >= 1; 0 would zero the learning rate.
    factor: c.number(raw.factor, `${path}.factor`, from.factor, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }),
    threshold: c.number(raw.threshold, `${path}.threshold`, from.threshold, { min: 0 }),
    thresholdMode: c.choice(raw.thresholdMode, `${path}.thresholdMode`, from.thresholdMode, ['rel', 'abs'] as const),
    cooldown: c.number(raw.cooldown, `${path}.cooldown`, from.cooldown, { integer: true, min: 0 }),
    minLr: c.number(raw.minLr, `${path}.minLr`, from.minLr, { min: 0 }),
    eps: c.number(raw.eps, `${path}.eps`, from.eps, { min: 0 }),
  };
}

function checkpoint(c: Checker, v: unknown, path: string, base: CheckpointConfig): CheckpointConfig {
  if (v === null || v === false) {
    c.fail(path, 'the best checkpoint is always kept; give {monitor, mode} to choose how "best" is judged');
    return { ...base };
  }
  const raw = c.section(v, path, ['monitor', 'mode']);
  return monitorAndMode(c, raw, path, base);
}

function trainable(c: Checker, v: unknown, path: string, def: string[] | undefined, arch: Arch): string[] {
  if (v === undefined) {
    if (!def) c.fail(path, 'required for phases beyond the two default ones (e.g. ["layer3", "layer4", "fc"])');
    // The defaults of other families are the aliases (familyDefaults): the resolved config names the modules.
    return def ? expandTrainable(def, arch) : [];
  }
  if (typeof v === 'string' && /[\s,]/.test(v.trim())) {
    // "layer3, layer4" is one string in YAML and JSON; the user meant a list.
    const names = v.split(/[\s,]+/).filter(Boolean);
    c.fail(path, `${quote(v)} is one name; give a list: ${shorten(`[${names.join(', ')}]`)} (YAML) or ${shorten(`[${names.map((n) => JSON.stringify(n)).join(', ')}]`)} (JSON)`);
    return def ? [...def] : [];
  }
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string')) {
    c.fail(path, `expected a module name or a non-empty array of them (${TRAINABLE_NAMES.join(', ')}, or e.g. layer4.2), got ${describe(v)}`);
    return def ? [...def] : [];
  }
  list.forEach((name: string, i) => {
    const why = checkModuleName(name, arch);
    if (!why) return;
    const hint = why.startsWith('unknown module') ? didYouMean(name.split('.')[0], TRAINABLE_NAMES) : '';
    c.fail(`${path}[${i}]`, `${why}${hint}; expected ${TRAINABLE_NAMES.join(', ')} or a sub-module such as layer4.2`);
  });
  // The aliases become the architecture's prefixes (head: fc, classifier.1, ...; last_stage: layer4, features.6-8, ...).
  return expandTrainable(list, arch);
}

/** The seed's phases name ResNet's modules (fc, layer4); other architectures get theirs through the aliases. */
function familyDefaults(defaults: PhaseConfig[], arch: Arch): PhaseConfig[] {
  if (isResNetFamily(arch)) return defaults;
  const aliases: Record<string, string> = { fc: 'head', layer4: 'last_stage' };
  return defaults.map((p) => ({ ...p, trainable: p.trainable.map((n) => aliases[n] ?? n) }));
}

function phase(c: Checker, v: unknown, i: number, base: PhaseConfig | undefined, arch: Arch): PhaseConfig {
  const path = `config.phases[${i}]`;
  const raw = c.section(v, path, ['name', 'trainable', 'optimizer', 'lr', 'weightDecay', 'betas', 'eps', 'momentum', 'nesterov',
    'epochs', 'earlyStopping', 'reduceLROnPlateau', 'checkpoint']);
  const optimizer = c.choice(raw.optimizer, `${path}.optimizer`, base?.optimizer ?? 'adam', OPTIMIZERS);
  const sameOptimizer = base !== undefined && base.optimizer === optimizer;
  const defaults = OPTIMIZER_DEFAULTS[optimizer];
  let lr = base?.lr ?? 0;
  if (raw.lr === undefined && !base) c.fail(`${path}.lr`, 'required for phases beyond the two default ones (a positive number, e.g. 1e-5)');
  else lr = c.number(raw.lr, `${path}.lr`, lr, { min: 0, exclusiveMin: true });
  const name = c.string(raw.name, `${path}.name`, base?.name ?? `phase${i + 1}`);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) c.fail(`${path}.name`, `expected letters, digits, "_", "-" or "." (it becomes part of file names), got ${describe(name)}`);
  // Case-insensitive: on macOS and Windows best_model_FINAL and best_model_final are one file.
  else if (name.toLowerCase() === 'final') c.fail(`${path}.name`, `"${name}" is reserved (best_model_final is the run's final model, chosen among the phases' best)`);
  else if (Buffer.byteLength(name, 'utf8') > PHASE_NAME_MAX_BYTES) {
    c.fail(`${path}.name`, `too long: ${Buffer.byteLength(name, 'utf8')} bytes of UTF-8, at most ${PHASE_NAME_MAX_BYTES} (file names such as ` +
      `best_model_<name>.safetensors and its temporary .best_model_<name>.safetensors.<pid>.<random>.tmp must stay under the 255-byte limit)`);
  }
  const train = trainable(c, raw.trainable, `${path}.trainable`, base?.trainable, arch);
  const weightDecay = c.number(raw.weightDecay, `${path}.weightDecay`, sameOptimizer ? base.weightDecay : defaults.weightDecay, { min: 0 });
  // Optimizer-specific hyper-parameters, only those of the chosen optimizer (others are errors, not ignored).
  let extra: Pick<PhaseConfig, 'betas' | 'eps' | 'momentum' | 'nesterov'>;
  if (optimizer === 'sgd') {
    for (const k of ['betas', 'eps']) if (raw[k] !== undefined) c.fail(`${path}.${k}`, 'applies only to optimizer "adam" or "adamw"');
    const momentum = c.number(raw.momentum, `${path}.momentum`, sameOptimizer ? base.momentum ?? 0.9 : OPTIMIZER_DEFAULTS.sgd.momentum, { min: 0 });
    const nesterov = c.bool(raw.nesterov, `${path}.nesterov`, sameOptimizer ? base.nesterov ?? false : false);
    if (nesterov && momentum === 0) c.fail(`${path}.nesterov`, 'Nesterov momentum requires momentum > 0');
    extra = { momentum, nesterov };
  } else {
    for (const k of ['momentum', 'nesterov']) if (raw[k] !== undefined) c.fail(`${path}.${k}`, 'applies only to optimizer "sgd"');
    const adam = OPTIMIZER_DEFAULTS[optimizer];
    const betas = c.numberTuple(raw.betas, `${path}.betas`, sameOptimizer && base.betas ? base.betas : adam.betas, 2, { min: 0, max: 1, exclusiveMax: true });
    extra = { betas: [betas[0], betas[1]], eps: c.number(raw.eps, `${path}.eps`, sameOptimizer ? base.eps ?? adam.eps : adam.eps, { min: 0 }) };
  }
  const out: PhaseConfig = {
    name,
    trainable: train,
    optimizer,
    lr,
    weightDecay,
    ...extra,
    epochs: c.number(raw.epochs, `${path}.epochs`, base?.epochs ?? 10, EPOCHS),
    earlyStopping: earlyStopping(c, raw.earlyStopping, `${path}.earlyStopping`, base ? base.earlyStopping : DEFAULT_EARLY_STOPPING),
    reduceLROnPlateau: reduceLR(c, raw.reduceLROnPlateau, `${path}.reduceLROnPlateau`, base ? base.reduceLROnPlateau : DEFAULT_REDUCE_LR),
    checkpoint: checkpoint(c, raw.checkpoint, `${path}.checkpoint`, base?.checkpoint ?? DEFAULT_CHECKPOINT),
  };
  return out;
}

function phases(c: Checker, v: unknown, defaults: PhaseConfig[], arch: Arch): PhaseConfig[] {
  if (v === undefined) {
    // Defaults name layer4 etc.: still check them against the arch (all ResNets have them, but keep it honest).
    return defaults.map((p, i) => phase(c, {}, i, p, arch));
  }
  if (!Array.isArray(v) || v.length === 0) {
    c.fail('config.phases', `expected a non-empty array of phases, got ${describe(v)}`);
    return defaults;
  }
  const out = v.map((p, i) => phase(c, p, i, defaults[i], arch));
  const seen = new Map<string, number>();
  out.forEach((p, i) => {
    if (seen.has(p.name)) c.fail(`config.phases[${i}].name`, `${quote(p.name)} is already the name of phases[${seen.get(p.name)}]; names must be unique`);
    else seen.set(p.name, i);
  });
  return out;
}

const TOP_KEYS = ['data', 'model', 'input', 'augment', 'batchSize', 'seed', 'threads', 'device', 'precision', 'channelsLast',
  'bnPolicy', 'syncBatchNorm', 'collectiveTimeoutSeconds', 'peerTimeoutSeconds', 'task', 'posWeight', 'classWeights', 'labelSmoothing', 'featureCache', 'imageCache', 'threshold', 'calibration', 'checkpointFormat', 'phases'] as const;

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

  const ri = c.section(raw.input, 'config.input', ['imageSize', 'resize', 'presize', 'mean', 'std']);
  const mean = c.numberTuple(ri.mean, 'config.input.mean', d.input.mean, 3);
  const std = c.numberTuple(ri.std, 'config.input.std', d.input.std, 3, STD);
  const input = {
    // Unless set, the architecture's own (its ImageNet weights' crop: efficientnet_b3 300; ResNet 224, the seed's).
    imageSize: c.number(ri.imageSize, 'config.input.imageSize', isResNetFamily(arch) ? d.input.imageSize : ARCH_INFO[arch].imageSize, IMAGE_SIZE),
    resize: c.choice(ri.resize, 'config.input.resize', d.input.resize, RESIZE_MODES),
    presize: c.nullableNumber(ri.presize, 'config.input.presize', d.input.presize, { integer: true, min: 1, max: 65536 }),
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
    // BatchNorm cannot train on a batch of one.
    batchSize: c.number(raw.batchSize, 'config.batchSize', d.batchSize, { integer: true, min: 2, max: 65536 }),
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
    featureCache,
    imageCache,
    threshold: { method, value },
    calibration: c.choice(raw.calibration, 'config.calibration', d.calibration, CALIBRATIONS),
    checkpointFormat: c.choice(raw.checkpointFormat, 'config.checkpointFormat', d.checkpointFormat, CHECKPOINT_FORMATS),
    phases: phases(c, raw.phases, familyDefaults(d.phases, arch), arch),
  };
  return { config, issues: c.issues };
}
