// `tlearn calibrate MODEL DATA [--temperature] [--conformal ALPHA] --out NEW`: a copy of the model with a calibration
// temperature and/or conformal prediction sets fitted on a labelled split of DATA (src/eval/calibrate.ts). The model
// file itself is never changed.
import fs from 'node:fs';
import path from 'node:path';
import type { Split } from '../../data/types.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { loadPart } from '../planned.js';
import { checkModelFile } from './evaluate.js';
import { checkExportTarget, checkNotExisting, exportFormat } from './export.js';
import { isOnnxFile } from './onnx-model.js';
import { describeQhat } from '../../metrics/conformal.js';

export interface CalibrateCommandOptions {
  model: string;
  data: string;
  out: string;
  split: Split | 'all';
  /** Conformal sets' alpha (undefined: none). */
  conformal?: number;
  perClass: boolean;
  temperature: boolean;
  force: boolean;
  seed?: number;
  valFraction?: number;
  testFraction?: number;
  imageSize?: number;
  classes?: string[];
  task?: 'binary' | 'multiclass' | 'multilabel';
  resize?: 'squash' | 'crop';
  batchSize?: number;
  device?: string;
  threads?: number;
  json: boolean;
}

export async function runCalibrate(opts: CalibrateCommandOptions, io: CliIO): Promise<void> {
  const model = path.resolve(io.cwd, opts.model), data = path.resolve(io.cwd, opts.data), out = path.resolve(io.cwd, opts.out);
  checkModelFile(model);
  if (isOnnxFile(model)) throw new UsageError(`${opts.model}: calibrate reads a checkpoint (.safetensors or .pth); export the calibrated checkpoint to ONNX afterwards`);
  if (!fs.existsSync(data)) throw new UsageError(`the data ${data} does not exist`);
  if (opts.conformal === undefined && !opts.temperature) throw new UsageError('nothing to calibrate: give --temperature, --conformal ALPHA, or both');
  if (opts.conformal !== undefined && !(opts.conformal > 0 && opts.conformal < 1)) {
    throw new UsageError(`--conformal ${opts.conformal}: alpha must be between 0 and 1 (0.1: sets that hold the true class 90 % of the time)`);
  }
  if (opts.perClass && opts.conformal === undefined) throw new UsageError('--conformal-per-class needs --conformal ALPHA');
  const format = exportFormat(out, undefined);
  if (format === 'onnx') throw new UsageError(`--out ${opts.out}: calibrate writes a checkpoint (.safetensors or .pth); export it to ONNX afterwards`);
  checkExportTarget(model, out, format);
  checkNotExisting(out, opts.force);
  const { calibrate, CalibrateError } = await loadPart(() => import('../../eval/calibrate.js'), 'calibration');
  const { conformal, perClass, json, force: _f, ...rest } = opts;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const r = await calibrate({ ...rest, model, data, out, format, alpha: conformal ?? null, perClass, log: (line) => io.err(`${line}\n`) })
    .catch((e: unknown) => { throw e instanceof CalibrateError ? new UsageError(e.message) : e; });
  const { fit, coverage, temperature: t } = r;
  if (json) {
    io.out(`${JSON.stringify({
      model: out, skipped: r.skipped,
      temperature: t && { temperature: t.temperature, log_loss_before: t.nllBefore, log_loss_after: t.nllAfter, ece_before: t.eceBefore, ece_after: t.eceAfter, threshold: r.metadata.threshold },
      conformal: fit && coverage && { alpha: fit.alpha, qhat: fit.qhat, n: fit.n, per_class: perClass, coverage: coverage.coverage, mean_set_size: coverage.meanSetSize, empty_sets: coverage.emptySets },
    }, null, 2)}\n`);
    return;
  }
  const lines = [`wrote ${out}, calibrated on ${r.images} images of ${opts.data} (${opts.split}):`];
  if (t) {
    lines.push(`temperature T = ${t.temperature.toPrecision(4)}: log loss ${t.nllBefore.toFixed(4)} -> ${t.nllAfter.toFixed(4)}, ECE ${t.eceBefore.toFixed(4)} -> ${t.eceAfter.toFixed(4)}` +
      (r.metadata.task === 'multiclass' ? '' : `; the threshold moved to ${+r.metadata.threshold.toFixed(6)} so that every decision stays the same`));
  }
  if (fit && coverage) {
    lines.push(`conformal sets (alpha ${fit.alpha}${perClass ? ', per class' : ''}): ${describeQhat(fit.qhat, r.metadata.classes)}; on those images coverage ${coverage.coverage.toFixed(3)}, ` +
      `mean set size ${coverage.meanSetSize.toFixed(2)} (they fitted q̂: evaluate the new model on other labelled images to check)`);
  }
  io.out(`${lines.join('\n')}\n`);
}
