// The resume state of a run: what RUN/last holds and how it is checked when read back. The JSON part
// (state.json) has the position in training (phase, epoch, batch within an interrupted epoch), the
// optimizer's hyper-parameters and step counts, the scheduler, early-stopping and best-checkpoint state,
// the history so far and the finished phases; the binary part has the model, the optimizer's tensors and
// libtorch's RNG state. The data pipeline's randomness needs no state: it is derived from (seed, epoch, item).
import { createHash } from 'node:crypto';
import { getRngState, setRngState, dispose, scope, type Tensor } from '../../torch/index.js';
import { parseSafetensors, serializeSafetensors, type StateDictRecords } from '../../io/index.js';
import { moduleToRecords, recordsToTensors, tensorToRecord, tensorsToRecords, type BinaryClassifier } from '../../models/index.js';
import type { OptimizerMeta, SchedulerState } from '../../optim/index.js';
import type { PreparedData } from '../../data/index.js';
import { readLast, type LastFile } from './last.js';
import type { LastWriter } from './last-writer.js';
import type { RunPaths } from '../run-dir.js';
import type { EarlyStoppingState } from '../callbacks/early-stopping.js';
import type { BestState } from '../callbacks/best-tracker.js';
import type { EpochTotals } from '../epoch.js';
import type { AnyOptimizer } from '../optimizers.js';
import type { WeightAverage } from '../weight-average.js';
import { HISTORY_COLUMNS, type EpochRecord, type PhaseSummary } from '../types.js';

export const STATE_VERSION = 1;

const ENDED_MODEL = 'ended-model.safetensors';
const ENDED_OPTIMIZER = 'ended-optimizer.safetensors';
const EMA = 'ema.safetensors';
const ENDED_EMA = 'ended-ema.safetensors';

export interface PhaseProgress {
  /** Completed epochs of the phase. */
  epochsDone: number;
  /** Early stopping fired after the last completed epoch. */
  stopped: boolean;
  optimizer: OptimizerMeta | null;
  scheduler: SchedulerState | null;
  earlyStopping: EarlyStoppingState | null;
  best: BestState;
  /**
   * The weight average's update count (config ema, or the phase's swa; its tensors are RUN/last/ema.safetensors);
   * absent without one.
   */
  ema?: { updates: number } | null;
  /** The phase's SWALR once its averaging has begun (swa), else null or absent. */
  swa?: SchedulerState | null;
}

/**
 * The state of the last phase that trained, as its last epoch left it (before its best weights were
 * restored), kept at the phase boundaries after it until another phase trains: a resume that raises that
 * phase's epoch limit continues it from here (see resume/plan.ts). The weights and the optimizer's tensors
 * are RUN/last/ended-model.safetensors and ended-optimizer.safetensors.
 */
export interface EndedPhase {
  index: number;
  progress: PhaseProgress;
}

/** An epoch cut short by Ctrl-C: where it stopped and its running sums. */
export interface MidEpoch {
  batchesDone: number;
  totals: EpochTotals;
  /** The learning rate the epoch started with (the history's lr). */
  lr: number;
}

export interface RunState {
  version: number;
  /** Identifies the data: item paths, labels, splits and content hashes. A resume refuses other data. */
  dataDigest: string;
  /** The phase in progress (or the next one, at a phase boundary); = phases.length when all are done. */
  phaseIndex: number;
  /** Epochs completed over all phases: the loader epoch (shuffle and augmentation stream) of the next one. */
  globalEpoch: number;
  /** null at a phase boundary (the phase has not started). */
  phase: PhaseProgress | null;
  midEpoch: MidEpoch | null;
  /** Finished phases. */
  phases: PhaseSummary[];
  history: EpochRecord[];
  posWeight: number | null;
  elapsedSeconds: number;
  savedAt: string;
  /** Which phase start RUN/last/base.safetensors holds (see saveRunState); null before the first save. */
  baseTag: string | null;
  /** See EndedPhase; null (or absent, in states written before it existed) when there is none. */
  ended?: EndedPhase | null;
  /** The number of ranks of a data-parallel run (absent: 1); a resume needs as many. */
  worldSize?: number;
  /** The configuration the state belongs to (resume/config.ts stateConfig); absent in older states. */
  config?: unknown;
}

/** A digest of the usable items and their content hashes, in order. */
export function dataDigest(data: PreparedData): string {
  const h = createHash('sha256');
  data.dataset.items.forEach((it, i) => h.update(`${it.relPath}\t${it.label}\t${it.split}\t${data.probes[i]?.sha256 ?? ''}\n`));
  return h.digest('hex');
}

const chunksOf = (records: StateDictRecords): Uint8Array[] => serializeSafetensors(records);

/**
 * The model's tensors that can change during a phase: the trainable parameters and every buffer (BatchNorm
 * statistics; under bnPolicy 'train' frozen layers update theirs too). Everything else stays as it was when
 * the phase started.
 */
function mutableRecords(model: BinaryClassifier): StateDictRecords {
  const trainable = new Set(model.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n));
  const buffers = new Set(model.namedBuffers().map(([n]) => n));
  const sd = model.stateDict();
  try {
    return tensorsToRecords(new Map([...sd].filter(([k]) => trainable.has(k) || buffers.has(k))));
  } finally {
    dispose(sd);
  }
}

/**
 * Writes RUN/last as one unit (see last.ts). The model is stored as base.safetensors, the whole model as
 * it was when the phase started (written once per phase, then carried over by hard link), plus
 * model.safetensors with what can change during the phase: a save in phase 1 of the seed protocol writes
 * the head and the BatchNorm statistics, not the 90 MB backbone. The optimizer's state goes with a phase in
 * progress; libtorch's RNG state always. Everything is copied out here; `writer` puts it on disk in the
 * background (the promise resolves once the save is queued; writer.flush() waits for the disk).
 */
export function saveRunState(
  paths: RunPaths, model: BinaryClassifier, optimizer: AnyOptimizer | null, state: RunState, writer: LastWriter,
  opts: { phaseEnded?: boolean; ema?: WeightAverage | null } = {},
): Promise<void> {
  const files = new Map<string, LastFile>();
  // The end of the phase that just finished is the previous save's model and optimizer files (its last epoch).
  if (state.ended) {
    files.set(ENDED_MODEL, { keep: opts.phaseEnded ? 'model.safetensors' : true });
    if (state.ended.progress.optimizer) files.set(ENDED_OPTIMIZER, { keep: opts.phaseEnded ? 'optimizer.safetensors' : true });
    if (state.ended.progress.ema) files.set(ENDED_EMA, { keep: opts.phaseEnded ? EMA : true });
  }
  const tag = `phase-${state.phaseIndex}`;
  // At a phase boundary the weights were just restored: the next phase starts from them, so they are its base.
  if (state.baseTag === tag && state.phase !== null) files.set('base.safetensors', { keep: true });
  else files.set('base.safetensors', chunksOf(moduleToRecords(model)));
  files.set('model.safetensors', chunksOf(mutableRecords(model)));
  let json: RunState = { ...state, baseTag: tag, savedAt: new Date().toISOString() };
  if (optimizer && state.phase) {
    const sd = optimizer.stateDict();
    try {
      files.set('optimizer.safetensors', chunksOf(tensorsToRecords(sd.tensors)));
    } finally {
      dispose(sd.tensors);
    }
    json = { ...json, phase: { ...state.phase, optimizer: sd.meta } };
    // Remembered, so that the phase's end can name the optimizer state its last save holds.
    state.phase.optimizer = sd.meta;
    if (opts.ema) {
      const averages = opts.ema.tensors();
      try {
        files.set(EMA, chunksOf(tensorsToRecords(averages)));
      } finally {
        dispose(averages);
      }
    }
  }
  const rng = getRngState();
  try {
    files.set('rng.safetensors', chunksOf(new Map([['torch_cpu', tensorToRecord(rng)]])));
  } finally {
    rng.dispose();
  }
  const queued = writer.save(paths, files, { ...json, version: STATE_VERSION });
  state.baseTag = tag;
  return queued;
}

export interface LoadedRunState {
  state: RunState;
  /** Copies the saved weights into the model. */
  restoreModel(model: BinaryClassifier): void;
  /** The optimizer's saved tensors (caller disposes), for optimizer.loadStateDict. */
  optimizerTensors(): Map<string, Tensor>;
  /** The saved weight averages (config ema; caller disposes). */
  emaTensors(): Map<string, Tensor>;
  /** Puts libtorch's RNG back where it was when the state was saved. */
  restoreRng(): void;
  /**
   * Turns the state back to finished phase `index` in progress (the later phases trained no epoch), as its
   * last epoch left it: restoreModel() then loads that epoch's weights, optimizerTensors() its optimizer.
   */
  reopen(index: number): void;
}

function fail(msg: string): never {
  throw new Error(`cannot resume: RUN/last/state.json ${msg}`);
}

const isInt = (v: unknown, min = 0): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const emaEntryOk = (v: unknown): boolean => v === undefined || v === null || (isObj(v) && isInt(v.updates));

/** Checks the shape of a state read from disk (values that would misdirect the loop are refused). */
export function checkRunState(raw: unknown, phaseCount: number): RunState {
  if (!isObj(raw)) fail('does not hold an object');
  if (raw.version !== STATE_VERSION) fail(`has version ${JSON.stringify(raw.version)}; this tlearn reads version ${STATE_VERSION}`);
  if (typeof raw.dataDigest !== 'string') fail('has no dataDigest');
  if (!isInt(raw.phaseIndex) || raw.phaseIndex > phaseCount) fail(`has phaseIndex ${JSON.stringify(raw.phaseIndex)}, but the configuration has ${phaseCount} phases`);
  if (!isInt(raw.globalEpoch)) fail('has no valid globalEpoch');
  if (!Array.isArray(raw.history)) fail('has no history list');
  raw.history.forEach((r, i) => {
    if (!isObj(r) || HISTORY_COLUMNS.some((c) => (c === 'phase' ? typeof r[c] !== 'string' : typeof r[c] !== 'number'))) fail(`history row ${i} is malformed`);
  });
  if (!Array.isArray(raw.phases) || raw.phases.length !== raw.phaseIndex) fail(`lists ${Array.isArray(raw.phases) ? raw.phases.length : 'no'} finished phases at phaseIndex ${raw.phaseIndex}`);
  if (raw.phase !== null) {
    const p = raw.phase;
    if (!isObj(p) || !isInt(p.epochsDone) || typeof p.stopped !== 'boolean' || !isObj(p.best) || !emaEntryOk(p.ema)) fail('has a malformed phase entry');
    if (raw.phaseIndex >= phaseCount) fail('has a phase in progress after the last phase');
  }
  if (raw.midEpoch !== null) {
    const m = raw.midEpoch;
    if (!isObj(m) || !isInt(m.batchesDone, 1) || !isObj(m.totals) || typeof m.lr !== 'number') fail('has a malformed midEpoch entry');
    if (raw.phase === null) fail('has an interrupted epoch outside a phase');
  }
  if (!(raw.posWeight === null || typeof raw.posWeight === 'number')) fail('has a malformed posWeight');
  if (typeof raw.elapsedSeconds !== 'number') fail('has no elapsedSeconds');
  if (typeof raw.baseTag !== 'string') fail('has no baseTag');
  if (raw.worldSize !== undefined && !(Number.isInteger(raw.worldSize) && (raw.worldSize as number) >= 2)) fail('has a malformed worldSize');
  if (raw.ended === undefined) raw.ended = null;
  if (raw.ended !== null) {
    const e = raw.ended;
    if (!isObj(e) || !isInt(e.index) || e.index >= raw.phaseIndex || !isObj(e.progress) || !isInt(e.progress.epochsDone) ||
      typeof e.progress.stopped !== 'boolean' || !isObj(e.progress.best) || !emaEntryOk(e.progress.ema)) fail('has a malformed ended entry');
  }
  return raw as unknown as RunState;
}

export function loadRunState(paths: RunPaths, phaseCount: number): LoadedRunState {
  const last = readLast(paths);
  const state = checkRunState(last.state, phaseCount);
  const records = (name: string): StateDictRecords => parseSafetensors(last.file(name), `RUN/last/${name}`).tensors;
  const layers: [string, boolean][] = [['base.safetensors', true], ['model.safetensors', false]];
  let optimizerFile = 'optimizer.safetensors';
  let emaFile = EMA;
  return {
    state,
    restoreModel(model) {
      // The phase's starting point (every key), then what changed since.
      for (const [file, strict] of layers) {
        const tensors = recordsToTensors(records(file));
        try {
          const r = model.loadStateDict(tensors, { strict });
          if (r.unexpectedKeys.length || r.mismatched.length) throw new Error(`unexpected or mismatched keys: ${[...r.unexpectedKeys, ...r.mismatched.map((m) => m.key)].slice(0, 5).join(', ')}`);
        } catch (e) {
          throw new Error(`cannot resume: RUN/last/${file} does not fit the model: ${(e as Error).message}`);
        } finally {
          dispose(tensors);
        }
      }
    },
    optimizerTensors: () => recordsToTensors(records(optimizerFile)),
    emaTensors: () => recordsToTensors(records(emaFile)),
    reopen(index) {
      const summary = state.phases[index];
      if (!summary || state.phase !== null || state.midEpoch !== null) throw new Error(`cannot reopen phase ${index}: it is not a finished phase at a phase boundary`);
      state.phases = state.phases.slice(0, index);
      state.phaseIndex = index;
      if (summary.epochs > 0) {
        if (state.ended?.index !== index) throw new Error(`cannot reopen phase ${index}: RUN/last does not hold the state of its last epoch`);
        state.phase = structuredClone(state.ended.progress);
        // The base (the restored best weights) plus what the phase changed, as its last epoch left it.
        layers.push([ENDED_MODEL, false]);
        if (state.phase.optimizer) optimizerFile = ENDED_OPTIMIZER;
        if (state.phase.ema) emaFile = ENDED_EMA;
      }
      state.ended = null;
    },
    restoreRng() {
      const r = records('rng.safetensors').get('torch_cpu');
      if (!r || r.dtype !== 'uint8') fail('has no valid RNG state (rng.safetensors: torch_cpu)');
      scope(() => setRngState(recordsToTensors(new Map([['torch_cpu', r]])).get('torch_cpu')!));
    },
  };
}
