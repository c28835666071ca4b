// Run configuration: defaults <- config file (JSON or YAML) <- `--set key=value` <- command-line flags.
// The result is validated as a whole; every problem is reported with its key path (and the flag that set it).
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { shorten } from '../../format/quote.js';
import { defaultConfig } from './defaults.js';
import { ConfigError, formatPath, type Segment } from './error.js';
import { loadConfigFile } from './file.js';
import { buildConfig, isPlainObject, isWeightsPath, type ConfigIssue } from './validate.js';
import type { RunConfig } from './types.js';
// The leaf module itself: config stays free of libtorch (src/models' index loads the addon).
import { channelsLastPays } from '../../models/memory-format.js';

export * from './types.js';
export { defaultConfig, modeForMonitor } from './defaults.js';
export { buildConfig, isWeightsPath, PHASE_NAME_MAX_BYTES, type ConfigIssue } from './validate.js';
export { checkModuleName, TRAINABLE_NAMES } from './modules.js';
export { suggest, didYouMean } from './suggest.js';
export { configWarnings } from './warnings.js';
export { ConfigError } from './error.js';
export { phaseSchedule, type PhaseSchedule } from './phases.js';
export { loadConfigFile, MAX_CONFIG_BYTES } from './file.js';

/** Command-line overrides. Values are checked with the rest of the configuration, naming the flag. */
export interface ConfigOverrides {
  /** DATA: a folder, or a .csv file (then data.csv = it and data.path = its folder). */
  data?: string;
  positive?: string;
  valFraction?: number;
  testFraction?: number;
  arch?: string;
  weights?: string;
  dropout?: number;
  imageSize?: number;
  resize?: string;
  presize?: number;
  /** The DICOM windows, [centre, width] each (input.dicomWindows). */
  dicomWindows?: Array<[number, number]>;
  augment?: string;
  sampler?: string;
  batchSize?: number;
  accumulateGradBatches?: number;
  seed?: number;
  threads?: number;
  device?: string;
  precision?: string;
  channelsLast?: boolean | 'auto';
  bnPolicy?: string;
  task?: string;
  posWeight?: number | 'auto' | null;
  classWeights?: 'auto' | 'none';
  labelSmoothing?: number;
  clipGradNorm?: number;
  /** Mixup's alpha (mixup.alpha). */
  mixup?: number;
  /** CutMix's alpha (cutmix.alpha). */
  cutmix?: number;
  /** Random erasing's probability (randomErasing.p). */
  randomErasing?: number;
  /** RandAugment's operations per image (randAugment.numOps). */
  randAugmentOps?: number;
  /** RandAugment's strength (randAugment.magnitude). */
  randAugmentMagnitude?: number;
  /** true: torchvision's focal loss with its defaults. */
  focalLoss?: boolean;
  /** The weight average's decay (ema.decay). */
  ema?: number;
  featureCache?: boolean;
  checkpointFormat?: string;
  /** A fixed decision threshold (threshold.method = fixed). */
  threshold?: number;
  thresholdMethod?: string;
  calibration?: string;
  /** Conformal prediction sets' error rate (conformal.alpha). */
  conformal?: number;
  /** Class-conditional conformal sets (conformal.perClass). */
  conformalPerClass?: boolean;
  epochs1?: number;
  epochs2?: number;
  lr1?: number;
  lr2?: number;
  /** Every phase gets a one-cycle schedule (its oneCycle: true, unless the file gives it settings). */
  oneCycle?: boolean;
  /** Every phase averages its last epochs' weights (its swa: true, unless the file gives it settings). */
  swa?: boolean;
  /** Generic `key.path=value` assignments (value parsed as YAML), e.g. `phases[1].optimizer=sgd`. */
  set?: string[];
}

export interface ResolveOptions {
  /** A JSON or YAML config file; relative paths inside it are relative to its folder. */
  file?: string;
  /** An already parsed config object (instead of a file), e.g. a previous RUN/config.json. */
  raw?: unknown;
  overrides?: ConfigOverrides;
  /** Base for relative paths given on the command line (default process.cwd()). */
  cwd?: string;
}

/** Parses `phases[1].lr` / `config.data.path` into segments. */
export function parseKeyPath(key: string): Segment[] {
  const segs: Segment[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|(\.)/gy;
  let m: RegExpExecArray | null;
  let expectName = true;
  while (re.lastIndex < key.length && (m = re.exec(key))) {
    if (m[1] !== undefined && expectName) { segs.push(m[1]); expectName = false; }
    else if (m[2] !== undefined && !expectName) segs.push(Number(m[2]));
    else if (m[3] !== undefined && !expectName) expectName = true;
    else break;
  }
  if (re.lastIndex !== key.length || expectName || segs.length === 0) {
    throw new ConfigError([{ path: `--set ${shorten(key)}`, message: 'expected a key path such as phases[1].lr or data.valFraction' }]);
  }
  if (segs[0] === 'config' && segs.length > 1) segs.shift();
  return segs;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** Makes the path-valued keys of a raw config absolute against `base` (values of the wrong type are left for validation). */
function absolutize(raw: Record<string, any>, base: string): void {
  const fix = (obj: any, key: string, when: (v: string) => boolean = () => true) => {
    if (isPlainObject(obj) && typeof obj[key] === 'string' && obj[key] !== '' && when(obj[key] as string)) {
      obj[key] = path.resolve(base, expandHome(obj[key] as string));
    }
  };
  fix(raw.data, 'path');
  fix(raw.data, 'csv');
  fix(raw.featureCache, 'dir');
  fix(raw.model, 'weights', isWeightsPath);
}

/** Sets raw[segs] = value, creating objects/arrays on the way; returns a reason when it cannot. */
function setPath(raw: Record<string, any>, segs: Segment[], value: unknown, valueText = JSON.stringify(value)): string | undefined {
  let cur: any = raw;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const last = i === segs.length - 1;
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return `${formatPath(segs.slice(0, i))} is not a list`;
      if (seg > cur.length) return `${formatPath(segs.slice(0, i))} has ${cur.length} entries; the next one is [${cur.length}]`;
    } else if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) {
      // A section switched off (earlyStopping: false) or on with its defaults (true): set it as a whole.
      if ((cur === false || cur === null || cur === true) && i > 0) {
        const whole = segs.slice(0, i).map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').slice(1);
        const rest = segs.slice(i);
        const inner = rest.length === 1 && typeof rest[0] === 'string' ? `{${shorten(rest[0])}: ${shorten(valueText)}}` : undefined;
        const how = inner ? `--set '${shorten(whole)}=${inner}'` : `--set '${shorten(whole)}={...}'`;
        return `${formatPath(segs.slice(0, i))} is ${cur === true ? 'on with its defaults (true)' : `disabled (${String(cur)})`}; ` +
          `${cur === true ? 'give it as an object' : 'enable it'} with ${how} (its other keys take their defaults)`;
      }
      return `${formatPath(segs.slice(0, i))} is not an object`;
    }
    if (last) {
      cur[seg] = value;
      return undefined;
    }
    if (cur[seg] === undefined) {
      // Default phases exist even when the file has none: start from empty entries so they merge onto them.
      if (seg === 'phases' && i === 0) cur[seg] = defaultConfig().phases.map(() => ({}));
      else cur[seg] = typeof segs[i + 1] === 'number' ? [] : {};
    }
    cur = cur[seg];
  }
  return undefined;
}

interface FlagSpec {
  key: keyof ConfigOverrides;
  flag: string;
  path: Segment[];
}

const FLAGS: FlagSpec[] = [
  { key: 'positive', flag: '--positive', path: ['data', 'positive'] },
  { key: 'valFraction', flag: '--val-fraction', path: ['data', 'valFraction'] },
  { key: 'testFraction', flag: '--test-fraction', path: ['data', 'testFraction'] },
  { key: 'arch', flag: '--arch', path: ['model', 'arch'] },
  { key: 'weights', flag: '--weights', path: ['model', 'weights'] },
  { key: 'dropout', flag: '--dropout', path: ['model', 'dropout'] },
  { key: 'imageSize', flag: '--image-size', path: ['input', 'imageSize'] },
  { key: 'resize', flag: '--resize', path: ['input', 'resize'] },
  { key: 'presize', flag: '--presize', path: ['input', 'presize'] },
  { key: 'dicomWindows', flag: '--dicom-window', path: ['input', 'dicomWindows'] },
  { key: 'augment', flag: '--augment', path: ['augment'] },
  { key: 'sampler', flag: '--sampler', path: ['sampler'] },
  { key: 'batchSize', flag: '--batch-size', path: ['batchSize'] },
  { key: 'accumulateGradBatches', flag: '--accumulate-grad-batches', path: ['accumulateGradBatches'] },
  { key: 'seed', flag: '--seed', path: ['seed'] },
  { key: 'threads', flag: '--threads', path: ['threads'] },
  { key: 'device', flag: '--device', path: ['device'] },
  { key: 'precision', flag: '--precision', path: ['precision'] },
  { key: 'channelsLast', flag: '--channels-last', path: ['channelsLast'] },
  { key: 'bnPolicy', flag: '--bn-policy', path: ['bnPolicy'] },
  { key: 'task', flag: '--task', path: ['task'] },
  { key: 'posWeight', flag: '--pos-weight', path: ['posWeight'] },
  { key: 'classWeights', flag: '--class-weights', path: ['classWeights'] },
  { key: 'labelSmoothing', flag: '--label-smoothing', path: ['labelSmoothing'] },
  { key: 'clipGradNorm', flag: '--clip-grad-norm', path: ['clipGradNorm'] },
  { key: 'mixup', flag: '--mixup', path: ['mixup', 'alpha'] },
  { key: 'cutmix', flag: '--cutmix', path: ['cutmix', 'alpha'] },
  { key: 'randomErasing', flag: '--random-erasing', path: ['randomErasing', 'p'] },
  { key: 'randAugmentOps', flag: '--randaugment-ops', path: ['randAugment', 'numOps'] },
  { key: 'randAugmentMagnitude', flag: '--randaugment-magnitude', path: ['randAugment', 'magnitude'] },
  { key: 'ema', flag: '--ema', path: ['ema', 'decay'] },
  { key: 'focalLoss', flag: '--focal-loss', path: ['focalLoss'] },
  { key: 'featureCache', flag: '--no-feature-cache', path: ['featureCache', 'enabled'] },
  { key: 'checkpointFormat', flag: '--checkpoint-format', path: ['checkpointFormat'] },
  { key: 'thresholdMethod', flag: '--threshold-method', path: ['threshold', 'method'] },
  { key: 'threshold', flag: '--threshold', path: ['threshold', 'value'] },
  { key: 'calibration', flag: '--calibration', path: ['calibration'] },
  { key: 'conformal', flag: '--conformal', path: ['conformal', 'alpha'] },
  { key: 'conformalPerClass', flag: '--conformal-per-class', path: ['conformal', 'perClass'] },
  { key: 'epochs1', flag: '--epochs1', path: ['phases', 0, 'epochs'] },
  { key: 'epochs2', flag: '--epochs2', path: ['phases', 1, 'epochs'] },
  { key: 'lr1', flag: '--lr1', path: ['phases', 0, 'lr'] },
  { key: 'lr2', flag: '--lr2', path: ['phases', 1, 'lr'] },
];

/**
 * The command-line flag that sets each key path (`phases[0].epochs` -> `--epochs1`). Errors thrown to library
 * code name keys only; the CLI names the flag beside each key it finds in their messages (cli/errors.ts withFlags).
 */
export const KEY_FLAGS: ReadonlyMap<string, string> = new Map(FLAGS.map((f) => [formatPath(f.path).replace(/^config\./, ''), f.flag]));

/** Applies --set assignments and flags to `raw` (in place); returns the flag per key path and any issues. */
function applyOverrides(raw: Record<string, any>, o: ConfigOverrides, cwd: string): { sources: Map<string, string>; issues: ConfigIssue[] } {
  const sources = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  const put = (segs: Segment[], value: unknown, flag: string, valueText?: string) => {
    // A flag for phase N must not create phases that the config file did not declare.
    if (segs[0] === 'phases' && typeof segs[1] === 'number' && Array.isArray(raw.phases) && segs[1] >= raw.phases.length && !flag.startsWith('--set')) {
      issues.push({ path: flag, message: `the configuration has ${raw.phases.length} phase${raw.phases.length === 1 ? '' : 's'}, so there is no phase ${segs[1] + 1}` });
      return;
    }
    const why = setPath(raw, segs, value, valueText);
    if (why) issues.push({ path: `${flag} (${formatPath(segs)})`, message: `cannot set it: ${why}` });
    else sources.set(formatPath(segs), flag);
  };
  for (const assignment of o.set ?? []) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) {
      issues.push({ path: `--set ${shorten(assignment)}`, message: 'expected KEY=VALUE, e.g. phases[1].lr=1e-4' });
      continue;
    }
    const key = assignment.slice(0, eq).trim();
    let segs: Segment[];
    try {
      segs = parseKeyPath(key);
    } catch (err) {
      issues.push(...(err as ConfigError).issues);
      continue;
    }
    let value: unknown;
    try {
      value = YAML.parse(assignment.slice(eq + 1));
    } catch (err) {
      issues.push({ path: `--set ${shorten(key)}`, message: `the value is not valid YAML: ${shorten((err as Error).message.split('\n')[0]!)}` });
      continue;
    }
    if (typeof value === 'string' && ['data.path', 'data.csv', 'featureCache.dir'].includes(segs.join('.'))) value = path.resolve(cwd, value);
    if (typeof value === 'string' && segs.join('.') === 'model.weights' && isWeightsPath(value)) value = path.resolve(cwd, value);
    put(segs, value, `--set ${shorten(key)}`, assignment.slice(eq + 1).trim());
  }
  if (o.data !== undefined) {
    const abs = path.resolve(cwd, o.data);
    if (/\.csv$/i.test(o.data)) {
      put(['data', 'csv'], abs, 'DATA');
      put(['data', 'path'], path.dirname(abs), 'DATA');
    } else {
      put(['data', 'path'], abs, 'DATA');
      // A folder as DATA replaces the file's data source, a data.csv included (the CSV would win otherwise).
      if (isPlainObject(raw.data) && raw.data.csv !== undefined) put(['data', 'csv'], null, 'DATA');
    }
  }
  for (const f of FLAGS) {
    let value = o[f.key] as unknown;
    if (value === undefined) continue;
    if (f.key === 'weights' && typeof value === 'string' && isWeightsPath(value)) value = path.resolve(cwd, value);
    if (f.key === 'classWeights' && value === 'none') value = null;
    if (f.key === 'threshold' && o.thresholdMethod === undefined) {
      // The file's (or --set's) method decides what the value means: the target rate of sensitivity or
      // specificity; no meaning for youden and f1, which choose the threshold themselves (refused, naming both);
      // without a method it is the fixed threshold.
      const method = isPlainObject(raw.threshold) ? raw.threshold.method : undefined;
      if (method === 'youden' || method === 'f1') {
        const from = sources.get('config.threshold.method') ?? 'in the config file';
        issues.push({
          path: '--threshold (config.threshold.value)',
          message: `threshold.method "${method}" ${from.startsWith('--') ? `(${from})` : from} chooses the threshold itself, so --threshold ${String(value)} has no use; ` +
            `leave --threshold out, or add --threshold-method fixed (or sensitivity/specificity, for a target rate) to replace it`,
        });
        continue;
      }
      if (method === undefined || method === null) put(['threshold', 'method'], 'fixed', '--threshold');
    }
    // A method that picks its own threshold must not inherit the file's fixed value.
    if (f.key === 'thresholdMethod' && o.threshold === undefined && (value === 'youden' || value === 'f1') && isPlainObject(raw.threshold)) delete raw.threshold.value;
    put(f.path, value, f.flag);
  }
  // Every phase of the file, or the two default ones; a phase whose file entry sets the section up keeps its settings.
  const everyPhase = (key: 'oneCycle' | 'swa', flag: string) => {
    const given = Array.isArray(raw.phases) ? raw.phases : defaultConfig().phases.map(() => ({}));
    given.forEach((p: unknown, i: number) => {
      if (!isPlainObject(p) || !isPlainObject(p[key])) put(['phases', i, key], true, flag);
    });
  };
  if (o.oneCycle) everyPhase('oneCycle', '--one-cycle');
  if (o.swa) everyPhase('swa', '--swa');
  return { sources, issues };
}

/**
 * The complete, validated configuration of a run. Throws ConfigError listing every problem.
 * Order: defaults <- `file` (or `raw`) <- `overrides.set` <- the other overrides.
 */
export function resolveConfig(opts: ResolveOptions = {}): RunConfig {
  const cwd = opts.cwd ?? process.cwd();
  let raw: Record<string, any> = {};
  if (opts.file !== undefined) {
    raw = loadConfigFile(opts.file);
    absolutize(raw, path.dirname(path.resolve(cwd, opts.file)));
  } else if (opts.raw !== undefined && opts.raw !== null) {
    if (!isPlainObject(opts.raw)) throw new ConfigError([{ path: 'config', message: 'expected an object' }]);
    raw = structuredClone(opts.raw) as Record<string, any>;
    absolutize(raw, cwd);
  }
  const { sources, issues: overrideIssues } = applyOverrides(raw, opts.overrides ?? {}, cwd);
  // data.csv alone: its folder is data.path, as for a CSV given as DATA (the CSV's paths are relative to it).
  if (isPlainObject(raw.data) && raw.data.path === undefined && typeof raw.data.csv === 'string' && raw.data.csv !== '') {
    raw.data.path = path.dirname(raw.data.csv);
  }
  const { config, issues } = buildConfig(raw, sources);
  const all = [...overrideIssues, ...issues];
  if (all.length > 0) throw new ConfigError(all, opts.file);
  return config;
}

/** Whether a run computes in channels-last (NHWC): as configured, or with 'auto' where that is faster. */
export function usesChannelsLast(c: { device: string; channelsLast: boolean | 'auto'; input: { imageSize: number } }): boolean {
  return c.channelsLast === 'auto' ? channelsLastPays(c.device, c.input.imageSize) : c.channelsLast;
}

/** RUN/config.json: the resolved configuration, every default filled in; resolveConfig({raw}) reads it back. */
export function configToJSON(config: RunConfig): string {
  return JSON.stringify(config, null, 2) + '\n';
}
