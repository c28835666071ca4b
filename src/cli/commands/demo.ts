// `tlearn demo`: train on the embedded Fashion-MNIST subset (sneaker vs ankle boot) with short phases.
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigOverrides } from '../../train/config/index.js';
import type { WeightsOptions } from '../../io/weights.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { demoDataDir } from '../paths.js';
import { DEMO_DEFAULTS } from '../demo-defaults.js';
import { prepareTrain, startTraining } from './train.js';

export interface DemoOptions {
  /** Run directory; default ./tlearn-demo. */
  out?: string;
  overrides: ConfigOverrides;
  json: boolean;
  /** 'multiclass': four Fashion-MNIST classes (demo-data-multiclass/); default the binary pair. */
  task?: 'binary' | 'multiclass';
}

const DESCRIPTION = { binary: 'Fashion-MNIST sneaker vs ankle boot', multiclass: 'Fashion-MNIST trouser, sneaker, bag and ankle boot' } as const;

export function prepareDemo(opts: DemoOptions, cwd: string) {
  const task = opts.task ?? 'binary';
  const data = demoDataDir(task);
  if (!fs.existsSync(path.join(data, 'train'))) {
    throw new UsageError(`the demo dataset is missing (${data}/train); regenerate it with node scripts/make-demo-data.mjs${task === 'binary' ? '' : ` --task ${task}`}`);
  }
  return prepareTrain({
    data,
    out: opts.out ?? 'tlearn-demo',
    overrides: { ...DEMO_DEFAULTS, ...opts.overrides, task },
    resume: false,
    json: opts.json,
  }, cwd);
}

export async function runDemo(opts: DemoOptions, io: CliIO): Promise<number> {
  const { config, out } = prepareDemo(opts, io.cwd);
  if (!opts.json) io.out(`demo: ${DESCRIPTION[opts.task ?? 'binary']} from ${config.data.path}\n`);
  config.model.weights = await demoWeights(config.model.weights, config.model.arch, io);
  return startTraining(config, out, false, opts.json, io);
}

/**
 * The demo alone may run without pretrained weights: when the named ImageNet weights are neither cached nor
 * downloadable, it says so in one line and starts from random initialisation (`train` stops instead). The
 * download line comes only once bytes arrive, so an offline machine sees the fallback line alone. `opts`
 * (cache folder, download URL) is for tests.
 */
export async function demoWeights(weights: string, arch: string, io: CliIO, opts: WeightsOptions = {}): Promise<string> {
  const { findWeights, fetchWeights, locateWeights, WeightsDownloadError } = await import('../../io/weights.js');
  if (!['imagenet', 'imagenet-v1'].includes(weights)) return weights;
  const entry = findWeights(weights, arch);
  if (await locateWeights(entry, opts)) return weights;
  let started = false;
  const onProgress = (): void => {
    if (started) return;
    started = true;
    io.err(`demo: downloading the ImageNet weights ${entry.filename} (once; cached for later runs)\n`);
  };
  try {
    await fetchWeights(entry, { timeoutMs: 30_000, ...opts, onProgress });
    return weights;
  } catch (err) {
    if (!(err instanceof WeightsDownloadError)) throw err;
    io.err(started
      ? `demo: the download of ${entry.filename} failed (${err.message.split('\n')[0]!.replace(/\.$/, '')}); continuing from random initialisation\n`
      : `demo: ImageNet weights (${entry.filename}) are not cached and cannot be downloaded here; continuing from random initialisation\n`);
    return 'none';
  }
}
