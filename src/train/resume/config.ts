// A resumed run must continue the same experiment: its configuration has to equal RUN/config.json except
// for keys that do not change what is computed (threads, device, cache budgets and folders) and the
// number of epochs per phase (a run may be extended). Anything else is refused, naming the keys.
import { defaultConfig, loadConfigFile, resolveConfig, type RunConfig } from '../config/index.js';
import { DEFAULT_COSINE, DEFAULT_EARLY_STOPPING, DEFAULT_ONE_CYCLE, DEFAULT_REDUCE_LR, DEFAULT_SWA } from '../config/defaults.js';
import type { RunPaths } from '../run-dir.js';
import { RunDirError } from '../run-dir.js';

/** The defaults of the optional sections, whose keys the defaults of a configuration (sections off) do not show. */
const SECTION_DEFAULTS: Record<string, unknown> = {
  cosine: DEFAULT_COSINE, oneCycle: DEFAULT_ONE_CYCLE, swa: DEFAULT_SWA, earlyStopping: DEFAULT_EARLY_STOPPING, reduceLROnPlateau: DEFAULT_REDUCE_LR,
};

function neutral(c: RunConfig): RunConfig {
  const x = structuredClone(c);
  x.threads = 0;
  x.device = 'cpu';
  x.featureCache.memoryMB = 0;
  x.featureCache.dir = null;
  x.featureCache.diskMB = null;
  x.imageCache.memoryMB = null;
  // How long a rank waits for the others changes nothing that is computed (and states from before it lack it).
  delete (x as Partial<RunConfig>).collectiveTimeoutSeconds;
  delete (x as Partial<RunConfig>).peerTimeoutSeconds;
  for (const p of x.phases) p.epochs = 0;
  // Applied once the phases are over (temperature scaling and conformal sets of the final model), and absent from
  // the states of runs saved before they existed.
  delete (x as Partial<RunConfig>).calibration;
  delete (x as Partial<RunConfig>).conformal;
  return x;
}

/** Key paths whose values differ between a and b (objects compared key by key, arrays as wholes). */
export function diffKeys(a: unknown, b: unknown, prefix = 'config'): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => diffKeys(a[k], b[k], `${prefix}.${k}`));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.some((v) => isObj(v))) {
    return a.flatMap((v, i) => diffKeys(v, b[i], `${prefix}[${i}]`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}

/**
 * What a saved state records of the configuration: everything a resume may not change (epochs, threads and
 * the like left out), so that a hand-edited RUN/config.json can be told from the one the state was saved with.
 */
export function stateConfig(c: RunConfig): unknown {
  return JSON.parse(JSON.stringify(neutral(c)));
}

/**
 * Refuses a RUN/config.json changed after RUN/last was saved (a resume would apply the edit only in part:
 * the saved optimizer keeps its learning rate, a changed trainable set does not fit its state). States
 * written before this check existed have no configuration and pass.
 */
export function checkStateConfig(paths: RunPaths, recorded: unknown, saved: RunConfig): void {
  if (recorded === undefined || recorded === null) return;
  const now = stateConfig(saved);
  // A key that the recorded configuration lacks was added to tlearn after that state was saved: the run was
  // made with its default (syncBatchNorm true, a phase's oneCycle null, ...), which RUN/config.json may well hold.
  // A key added to a section (cosine.warmupEpochs) of a section the record has: the section's own default.
  const defaults = stateConfig(defaultConfig());
  const diff = diffKeys(recorded, now).filter((key) => {
    const at = (root: unknown) => valueAt(root, key);
    if (at(recorded) !== undefined) return true;
    let fallback = valueAt(defaults, key.replace(/^config\.phases\[\d+\]/, 'config.phases[0]'));
    const section = /\.(\w+)\.(\w+)$/.exec(key);
    if (fallback === undefined && section && SECTION_DEFAULTS[section[1]!]) fallback = (SECTION_DEFAULTS[section[1]!] as Record<string, unknown>)[section[2]!];
    return JSON.stringify(at(now)) !== JSON.stringify(fallback);
  });
  if (diff.length === 0) return;
  throw new RunDirError(
    `cannot resume ${paths.root}: RUN/config.json was changed after the run saved its state in RUN/last: ` +
    `${diff.slice(0, 8).join(', ')}${diff.length > 8 ? ', ...' : ''} ${diff.length === 1 ? 'differs' : 'differ'} from the configuration ` +
    'that state was saved with. Put config.json back as it was, or start a new run with the new configuration',
  );
}

/** The value at a key path of diffKeys ('config.phases[1].oneCycle') in a configuration object, or undefined. */
function valueAt(root: unknown, key: string): unknown {
  let cur = root;
  for (const [, name, index] of key.replace(/^config/, '').matchAll(/\.([^.[]+)|\[(\d+)\]/g)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[name ?? Number(index)];
  }
  return cur;
}

/** Returns RUN/config.json's configuration (the one the run was started or last resumed with). */
export function checkResumeConfig(paths: RunPaths, config: RunConfig): RunConfig {
  let saved: RunConfig;
  try {
    // The file's own checks: its size, its encoding, a key given twice.
    saved = resolveConfig({ raw: loadConfigFile(paths.config) });
  } catch (e) {
    throw new RunDirError(`cannot resume: ${paths.config} is not a valid run configuration (${(e as Error).message})`);
  }
  const diff = diffKeys(neutral(saved), neutral(config));
  if (diff.length > 0) {
    throw new RunDirError(
      `cannot resume ${paths.root} with a different configuration: ${diff.slice(0, 8).join(', ')}${diff.length > 8 ? ', ...' : ''} ` +
      `${diff.length === 1 ? 'differs' : 'differ'} ` +
      'from RUN/config.json (only threads, device, featureCache.memoryMB/dir/diskMB, imageCache.memoryMB, calibration, conformal and phases[].epochs may change on resume)',
    );
  }
  return saved;
}
