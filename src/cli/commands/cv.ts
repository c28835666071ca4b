// `tlearn cv DATA --folds K --out RUN [train's options]`: k-fold cross-validation (src/cv) with train's
// configuration; --resume continues RUN with its own cv-config.json (flags still apply on top).
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig, type ConfigOverrides } from '../../train/config/index.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { loadPart } from '../planned.js';
import { currentInvocation, shellWord } from '../invocation.js';
import { checkInputs, EXIT_INTERRUPTED, EXIT_TERMINATED } from './train.js';

export interface CvCommandOptions {
  data?: string;
  out: string;
  folds: number;
  configFile?: string;
  overrides: ConfigOverrides;
  resume: boolean;
  json: boolean;
}

export async function runCv(opts: CvCommandOptions, io: CliIO): Promise<number> {
  const out = path.resolve(io.cwd, opts.out);
  const saved = path.join(out, 'cv-config.json');
  if (opts.resume && opts.configFile !== undefined) throw new UsageError(`--resume continues with ${saved}; it cannot be combined with --config`);
  if (opts.resume && !fs.existsSync(saved)) throw new UsageError(`cannot resume ${out}: it holds no cross-validation (no cv-config.json)`);
  const file = opts.resume ? saved : opts.configFile === undefined ? undefined : path.resolve(io.cwd, opts.configFile);
  const config = resolveConfig({ file, overrides: { ...opts.overrides, data: opts.data }, cwd: io.cwd });
  checkInputs(config);
  const { crossValidate } = await loadPart(() => import('../../cv/index.js'), 'cross-validation');
  const log = (line: string) => (opts.json ? io.err : io.out)(`${line}\n`);
  const result = await crossValidate(config, {
    out, folds: opts.folds, resume: opts.resume, log,
    ...(opts.json ? { onEvent: (e) => io.out(`${JSON.stringify(e)}\n`) } : {}),
  });
  if (result.interrupted) {
    io.err(`continue with: ${currentInvocation()} cv --out ${shellWord(out)} --folds ${opts.folds} --resume\n`);
    return result.stoppedBy === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
  }
  if (!opts.json) {
    const s = result.summary!;
    const auc = s.mean_sd.val_auc;
    if (auc) io.out(`val_auc over ${s.folds} folds: ${auc.mean.toFixed(4)} ± ${(auc.sd ?? 0).toFixed(4)}\n`);
    if (s.label_issues) io.out(`${s.label_issues.n} likely label issue(s): ${path.join(out, 'label_issues.csv')}\n`);
    if (!result.finishedBefore) io.out(`cross-validation written to ${out} (report: ${path.join(out, 'report.html')})\n`);
  }
  return 0;
}
