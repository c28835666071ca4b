// `tlearn demo`: train on the embedded Fashion-MNIST subset (sneaker vs ankle boot) with short phases.
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigOverrides } from '../../train/config.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { demoDataDir } from '../paths.js';
import { prepareTrain, startTraining } from './train.js';

export interface DemoOptions {
  /** Run directory; default ./tlearn-demo. */
  out?: string;
  overrides: ConfigOverrides;
  json: boolean;
}

/**
 * Demo defaults, each overridable by its flag: 28-px images gain nothing from 224 px, and a few epochs show
 * both phases in minutes on a CPU.
 */
export const DEMO_DEFAULTS: Readonly<ConfigOverrides> = Object.freeze({ imageSize: 112, epochs1: 3, epochs2: 2 });

export function prepareDemo(opts: DemoOptions, cwd: string) {
  const data = demoDataDir();
  if (!fs.existsSync(path.join(data, 'train'))) {
    throw new UsageError(`the demo dataset is missing (${data}/train); regenerate it with node scripts/make-demo-data.mjs`);
  }
  return prepareTrain({
    data,
    out: opts.out ?? 'tlearn-demo',
    overrides: { ...DEMO_DEFAULTS, ...opts.overrides },
    resume: false,
    json: opts.json,
  }, cwd);
}

export async function runDemo(opts: DemoOptions, io: CliIO): Promise<number> {
  const { config, out } = prepareDemo(opts, io.cwd);
  if (!opts.json) io.out(`demo: Fashion-MNIST sneaker vs ankle boot from ${config.data.path}\n`);
  config.model.weights = await demoWeights(config.model.weights, config.model.arch, io);
  return startTraining(config, out, false, opts.json, io);
}

/**
 * The demo alone may run without pretrained weights: when the named ImageNet weights are neither cached nor
 * downloadable, it says so in one line and starts from random initialisation (`train` stops instead).
 */
async function demoWeights(weights: string, arch: string, io: CliIO): Promise<string> {
  const { findWeights, fetchWeights, locateWeights, WeightsDownloadError } = await import('../../io/weights.js');
  if (!['imagenet', 'imagenet-v1'].includes(weights)) return weights;
  const entry = findWeights(weights, arch);
  if (await locateWeights(entry, {})) return weights;
  try {
    io.err(`demo: downloading the ImageNet weights ${entry.filename} (once; cached for later runs)\n`);
    await fetchWeights(entry, { timeoutMs: 30_000 });
    return weights;
  } catch (err) {
    if (!(err instanceof WeightsDownloadError)) throw err;
    io.err(`demo: ImageNet weights (${entry.filename}) are not cached and cannot be downloaded here; continuing from random initialisation\n`);
    return 'none';
  }
}
