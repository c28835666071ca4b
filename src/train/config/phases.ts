// The configuration's phases: each phase's optimizer, epochs, trainable modules, early stopping, LR plateau and
// checkpoint sections, read through the Checker onto the family's default phases.
import { checkModuleName, TRAINABLE_NAMES } from './modules.js';
import { expandTrainable, isResNetFamily } from '../../models/zoo.js';
import { DEFAULT_CHECKPOINT, DEFAULT_COSINE, DEFAULT_SWA, DEFAULT_EARLY_STOPPING, DEFAULT_ONE_CYCLE, DEFAULT_REDUCE_LR, modeForMonitor, OPTIMIZER_DEFAULTS } from './defaults.js';
import { didYouMean } from './suggest.js';
import { quote, shorten } from '../../format/quote.js';
import { EPOCHS, PHASE_NAME_MAX_BYTES } from '../../models/bounds.js';
import { MODES, MONITORS, OPTIMIZERS, type Arch, type CheckpointConfig, COSINE_INTERVALS, type CosineConfig, type EarlyStoppingConfig, type Mode, type Monitor, type OneCycleConfig, type PhaseConfig, type ReduceLROnPlateauConfig, type SwaConfig } from './types.js';
import { type Checker, describe, type Obj } from './checker.js';

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

function oneCycle(c: Checker, v: unknown, path: string, base: OneCycleConfig | null): OneCycleConfig | null {
  if (v === null || v === false) return null;
  if (v === undefined) return base && { ...base };
  const from = base ?? DEFAULT_ONE_CYCLE;
  if (v === true) return { ...from };
  const raw = c.section(v, path, ['pctStart', 'divFactor', 'finalDivFactor', 'annealStrategy', 'cycleMomentum', 'maxMomentum', 'baseMomentum'], ['true', 'false', 'null']);
  const momentum = (k: 'maxMomentum' | 'baseMomentum') => c.number(raw[k], `${path}.${k}`, from[k], { min: 0, max: 1, exclusiveMax: true });
  return {
    // PyTorch refuses a pctStart outside [0, 1]; 0 or 1 leaves one of the two halves empty.
    pctStart: c.number(raw.pctStart, `${path}.pctStart`, from.pctStart, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }),
    divFactor: c.number(raw.divFactor, `${path}.divFactor`, from.divFactor, { min: 1 }),
    finalDivFactor: c.number(raw.finalDivFactor, `${path}.finalDivFactor`, from.finalDivFactor, { min: 1 }),
    annealStrategy: c.choice(raw.annealStrategy, `${path}.annealStrategy`, from.annealStrategy, ['cos', 'linear'] as const),
    cycleMomentum: c.bool(raw.cycleMomentum, `${path}.cycleMomentum`, from.cycleMomentum),
    maxMomentum: momentum('maxMomentum'),
    baseMomentum: momentum('baseMomentum'),
  };
}

function cosine(c: Checker, v: unknown, path: string, base: CosineConfig | null, lr: number, epochs: number): CosineConfig | null {
  if (v === null || v === false) return null;
  if (v === undefined) return base && { ...base };
  const from = base ?? DEFAULT_COSINE;
  if (v === true) return { ...from };
  const raw = c.section(v, path, ['etaMin', 'warmupEpochs', 'warmupStartFactor', 'interval'], ['true', 'false', 'null']);
  const etaMin = c.number(raw.etaMin, `${path}.etaMin`, from.etaMin, { min: 0 });
  if (etaMin >= lr) c.fail(`${path}.etaMin`, `${etaMin} is not below the phase's lr ${lr}: the rate would not anneal`);
  const interval = c.choice(raw.interval, `${path}.interval`, from.interval ?? 'epoch', COSINE_INTERVALS);
  // Per step, a share of an epoch is a number of steps; per epoch, whole epochs.
  const warmupEpochs = c.number(raw.warmupEpochs, `${path}.warmupEpochs`, from.warmupEpochs, { integer: interval === 'epoch', min: 0 });
  // The annealing needs steps (per epoch: an epoch) of its own after the warmup (a phase of 0 epochs does not train).
  if (epochs > 0 && warmupEpochs >= epochs) {
    c.fail(`${path}.warmupEpochs`, `${warmupEpochs} leaves none of the phase's ${epochs} epochs to anneal; ${interval === 'epoch' ? `at most ${epochs - 1}` : `less than ${epochs}`}`);
  }
  // LinearLR's bounds: a start of 0 would divide by zero in its recursive form.
  const warmupStartFactor = c.number(raw.warmupStartFactor, `${path}.warmupStartFactor`, from.warmupStartFactor, { min: 0, max: 1, exclusiveMin: true });
  return { etaMin, warmupEpochs, warmupStartFactor, interval };
}

/** The epochs of a phase before its averaging begins (SwaConfig.start: a share of them, or a count). */
export const swaStartEpochs = (swa: SwaConfig, epochs: number): number => (swa.start < 1 ? Math.floor(swa.start * epochs) : swa.start);

function swa(c: Checker, v: unknown, path: string, base: SwaConfig | null, epochs: number): SwaConfig | null {
  if (v === null || v === false) return null;
  if (v === undefined) return base && { ...base };
  const from = base ?? DEFAULT_SWA;
  if (v === true) return checkSwaStart(c, { ...from }, path, epochs);
  const raw = c.section(v, path, ['start', 'lr', 'annealEpochs', 'annealStrategy'], ['true', 'false', 'null']);
  let start = c.number(raw.start, `${path}.start`, from.start, { min: 0 });
  if (start >= 1 && !Number.isInteger(start)) {
    c.fail(`${path}.start`, `${start} is neither a share of the phase's epochs (below 1) nor a whole number of epochs`);
    start = from.start;
  }
  return checkSwaStart(c, {
    start,
    lr: c.nullableNumber(raw.lr, `${path}.lr`, from.lr, { min: 0, exclusiveMin: true }),
    annealEpochs: c.number(raw.annealEpochs, `${path}.annealEpochs`, from.annealEpochs, { integer: true, min: 0 }),
    annealStrategy: c.choice(raw.annealStrategy, `${path}.annealStrategy`, from.annealStrategy, ['cos', 'linear'] as const),
  }, path, epochs);
}

/** At least one epoch must be left to average (a phase of 0 epochs does not train). */
function checkSwaStart(c: Checker, s: SwaConfig, path: string, epochs: number): SwaConfig {
  const before = swaStartEpochs(s, epochs);
  if (epochs > 0 && before >= epochs) {
    c.fail(`${path}.start`, `${s.start} starts the averaging after epoch ${before}, but the phase has ${epochs}; give a share below 1 or a count below ${epochs}`);
  }
  return s;
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
export function familyDefaults(defaults: PhaseConfig[], arch: Arch): PhaseConfig[] {
  if (isResNetFamily(arch)) return defaults;
  const aliases: Record<string, string> = { fc: 'head', layer4: 'last_stage' };
  return defaults.map((p) => ({ ...p, trainable: p.trainable.map((n) => aliases[n] ?? n) }));
}

function phase(c: Checker, v: unknown, i: number, base: PhaseConfig | undefined, arch: Arch): PhaseConfig {
  const path = `config.phases[${i}]`;
  const raw = c.section(v, path, ['name', 'trainable', 'optimizer', 'lr', 'weightDecay', 'decayNormsAndBiases', 'betas', 'eps', 'momentum', 'nesterov',
    'layerLrDecay', 'epochs', 'earlyStopping', 'reduceLROnPlateau', 'oneCycle', 'cosine', 'swa', 'checkpoint']);
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
  const epochs = c.number(raw.epochs, `${path}.epochs`, base?.epochs ?? 10, EPOCHS);
  const out: PhaseConfig = {
    name,
    trainable: train,
    optimizer,
    lr,
    weightDecay,
    decayNormsAndBiases: c.bool(raw.decayNormsAndBiases, `${path}.decayNormsAndBiases`, base?.decayNormsAndBiases ?? true),
    ...extra,
    layerLrDecay: c.number(raw.layerLrDecay, `${path}.layerLrDecay`, base?.layerLrDecay ?? 1, { min: 0, max: 1, exclusiveMin: true }),
    epochs,
    earlyStopping: earlyStopping(c, raw.earlyStopping, `${path}.earlyStopping`, base ? base.earlyStopping : DEFAULT_EARLY_STOPPING),
    reduceLROnPlateau: reduceLR(c, raw.reduceLROnPlateau, `${path}.reduceLROnPlateau`, base ? base.reduceLROnPlateau : DEFAULT_REDUCE_LR),
    oneCycle: oneCycle(c, raw.oneCycle, `${path}.oneCycle`, base?.oneCycle ?? null),
    cosine: cosine(c, raw.cosine, `${path}.cosine`, base?.cosine ?? null, lr, epochs),
    swa: swa(c, raw.swa, `${path}.swa`, base?.swa ?? null, epochs),
    checkpoint: checkpoint(c, raw.checkpoint, `${path}.checkpoint`, base?.checkpoint ?? DEFAULT_CHECKPOINT),
  };
  // One schedule sets a phase's rate. oneCycle or cosine drops the default plateau; a plateau asked for beside
  // one of them, or both of them, is a contradiction.
  const schedule = out.oneCycle ? 'oneCycle' : out.cosine ? 'cosine' : null;
  if (out.oneCycle && out.cosine) c.fail(`${path}.cosine`, 'oneCycle and cosine both set the phase\'s rate; keep one of them');
  else if (schedule && out.reduceLROnPlateau) {
    if (raw.reduceLROnPlateau === undefined) out.reduceLROnPlateau = null;
    else {
      const when = schedule === 'oneCycle' ? 'by the cycle after every batch' : 'by cosine annealing after every epoch';
      c.fail(`${path}.reduceLROnPlateau`, `a phase with ${schedule} has its rate set ${when}; remove reduceLROnPlateau (or set it to false), or ${schedule}`);
    }
  }
  // The cycle spans every step of the phase: SWALR cannot take over its last epochs.
  if (out.swa && out.oneCycle) c.fail(`${path}.swa`, 'oneCycle sets the rate of every step of the phase, SWA that of its last epochs; keep one of them (cosine or the plateau may precede SWA)');
  if (out.swa && out.cosine?.interval === 'step') {
    c.fail(`${path}.swa`, 'cosine with interval step sets the rate of every step of the phase, SWA that of its last epochs; use cosine\'s interval epoch before SWA');
  }
  return out;
}

/** How a phase's rate moves: a span schedule (oneCycle, cosine), the plateau scheduler, or nothing. */
export type PhaseSchedule = 'one-cycle' | 'cosine' | 'plateau' | 'constant';
export function phaseSchedule(p: PhaseConfig): PhaseSchedule {
  return p.oneCycle ? 'one-cycle' : p.cosine ? 'cosine' : p.reduceLROnPlateau ? 'plateau' : 'constant';
}

export function phases(c: Checker, v: unknown, defaults: PhaseConfig[], arch: Arch): PhaseConfig[] {
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
