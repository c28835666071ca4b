// `tlearn lr-find DATA --out DIR [--phase 1|2] [--from RUN|CHECKPOINT]`: the LR range test of a phase with
// train's configuration (src/train/lr-find), its plot and the flag to paste.
import path from 'node:path';
import { resolveConfig, type ConfigOverrides } from '../../train/config/index.js';
import type { CliIO } from '../io.js';
import { loadPart } from '../planned.js';
import { checkInputs } from './train.js';

export interface LrFindCommandOptions {
  data?: string;
  out: string;
  phase: number;
  from?: string;
  steps?: number;
  startLr?: number;
  endLr?: number;
  configFile?: string;
  overrides: ConfigOverrides;
  json: boolean;
}

export async function runLrFind(opts: LrFindCommandOptions, io: CliIO): Promise<number> {
  const file = opts.configFile === undefined ? undefined : path.resolve(io.cwd, opts.configFile);
  const config = resolveConfig({ file, overrides: { ...opts.overrides, data: opts.data }, cwd: io.cwd });
  checkInputs(config);
  const { lrFind } = await loadPart(() => import('../../train/index.js'), 'training');
  const log = (line: string) => (opts.json ? io.err : io.out)(`${line}\n`);
  const r = await lrFind(config, {
    out: path.resolve(io.cwd, opts.out), phase: opts.phase, log,
    ...(opts.from ? { from: path.resolve(io.cwd, opts.from) } : {}),
    ...(opts.steps ? { steps: opts.steps } : {}), ...(opts.startLr ? { startLr: opts.startLr } : {}), ...(opts.endLr ? { endLr: opts.endLr } : {}),
  });
  if (opts.json) {
    io.out(`${JSON.stringify({ phase: r.phase, steps: r.points.length, stopped_by: r.stoppedBy, steepest: r.steepest, valley: r.valley, config_line: r.configLine, files: r.files })}\n`);
    return 0;
  }
  const fmt = (v: number | null) => (v === null ? 'none (too few steps)' : v.toExponential(2));
  io.out(`${r.points.length} steps (${r.stoppedBy === 'steps' ? 'all planned' : `stopped: ${r.stoppedBy}`}); steepest descent at ${fmt(r.steepest)}, valley at ${fmt(r.valley)}\n`);
  if (r.configLine) io.out(`paste: ${r.configLine}\n`);
  io.out(`plot: ${r.files.find((f) => f.endsWith('.png'))}\n`);
  return 0;
}
