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

export async function runDemo(opts: DemoOptions, io: CliIO): Promise<void> {
  const { config, out } = prepareDemo(opts, io.cwd);
  if (!opts.json) io.out(`demo: Fashion-MNIST sneaker vs ankle boot from ${config.data.path}\n`);
  await startTraining(config, out, false, opts.json, io);
}
