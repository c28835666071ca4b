// `tlearn export MODEL --format onnx --out model.onnx`: the graph, checked against libtorch on the run's own test
// images (or --check FILES, or random pixels when there are neither), with the figures in model.onnx.json.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { loadPart } from '../planned.js';
import { collectInputFiles } from './predict.js';
import type { OnnxInputLayout } from '../../onnx/props.js';
import type { CheckImages } from '../../export/check-images.js';
import type { GraphExporter, OnnxExportReport } from '../../export/onnx-file.js';

export interface OnnxExportOptions {
  model: string;
  out: string;
  force?: boolean;
  /** 'float' (default): normalised float32 NCHW, as in PyTorch; 'uint8': raw pixels NHWC, preprocessing in the graph. */
  input?: 'float' | 'uint8';
  /** Images (files or folders) to check the graph on, instead of the run's test split. */
  check?: string[];
  /** Skip the parity check (--no-check). */
  noCheck?: boolean;
  imageSize?: number;
  classes?: string[];
  resize?: 'squash' | 'crop';
}

export const INPUT_LAYOUTS: Record<NonNullable<OnnxExportOptions['input']>, OnnxInputLayout> = { float: 'float32-nchw', uint8: 'uint8-nhwc' };

/** `3.2e-7` */
function fmt(x: number): string {
  return Number.isFinite(x) ? x.toExponential(1) : String(x);
}

export function parityLine(report: OnnxExportReport): string {
  const c = report.check;
  if (!c.checked) return `parity: not checked (${c.reason})`;
  const skipped = c.skipped > 0 ? `, ${c.skipped} unreadable left out` : '';
  return `parity on ${c.images} image${c.images === 1 ? '' : 's'} (${c.source}${skipped}): max |difference| ${fmt(c.maxAbsDiff)}, ` +
    `mean ${fmt(c.meanAbsDiff)} (tolerance ${fmt(c.tolerance)}), ${c.decisionsDiffer} decision${c.decisionsDiffer === 1 ? '' : 's'} differ${c.decisionsDiffer === 1 ? 's' : ''} ` +
    `(onnxruntime ${c.onnxruntime})`;
}

/** The parity check's images: --check FILES, else the run's test split, else random pixels; null for --no-check. */
export async function checkImages(opts: Pick<OnnxExportOptions, 'check' | 'noCheck'>, model: string, io: CliIO): Promise<CheckImages | null> {
  const images = await loadPart(() => import('../../export/check-images.js'), 'the ONNX export');
  if (opts.noCheck) {
    io.err('warning: --no-check: the graph is written without comparing it with the model (model.onnx.json says it is unchecked)\n');
    return null;
  }
  if (opts.check) {
    const inputs = await collectInputFiles(opts.check, io.cwd).catch((e: unknown) => {
      throw e instanceof UsageError ? new UsageError(`--check: ${e.message}`) : e;
    });
    const bad = inputs.filter((f) => f.error !== undefined);
    if (bad.length > 0) throw new UsageError(`--check: ${bad.map((f) => `${f.path} ${f.error}`).join('; ')}`);
    return images.fileCheckImages(inputs.map((f) => f.path));
  }
  const manifest = images.runManifestOf(model);
  if (manifest) {
    try {
      return images.runCheckImages(manifest);
    } catch (e) {
      if (e instanceof images.CheckImagesError) throw new UsageError(e.message);
      throw e;
    }
  }
  io.err(`note: ${path.basename(model)} has no run folder (no manifest.csv beside it): checking the graph on random pixels; ` +
    'give images of your data with --check FILES... for a check on what the model will see\n');
  return images.randomCheckImages();
}

/**
 * After runExport's checks of MODEL and --out (extension, not the input, not a folder). `exporter` replaces the
 * graph writer: only tests pass one (a graph spoilt on purpose must fail the check); no flag reaches it.
 */
export async function runOnnxExport(opts: OnnxExportOptions, io: CliIO, exporter?: GraphExporter): Promise<number> {
  const model = path.resolve(io.cwd, opts.model);
  const out = path.resolve(io.cwd, opts.out);
  if (opts.check && opts.noCheck) throw new UsageError('--check and --no-check contradict each other: give one of them');
  const reportFile = `${out}.json`;
  if (!opts.force && fs.existsSync(reportFile)) throw new UsageError(`${reportFile} already exists; choose another --out, or add --force to replace it`);
  if (model === reportFile) throw new UsageError(`--out ${opts.out}: its report ${reportFile} would replace MODEL`);
  const { loadModelFile } = await loadPart(() => import('../../models/index.js'), 'model reading');
  const { exportOnnxFile } = await loadPart(() => import('../../export/onnx-file.js'), 'the ONNX export');
  const { CheckImagesError } = await loadPart(() => import('../../export/check-images.js'), 'the ONNX export');
  const loaded = loadModelFile(model, { classes: opts.classes, imageSize: opts.imageSize, resize: opts.resize });
  try {
    // The graph bakes in the image size and names its classes: a placeholder would be wrong in every user's hands.
    if (!loaded.fromTlearn && (opts.classes === undefined || opts.imageSize === undefined)) {
      throw new UsageError(`${opts.model} has no tlearn metadata: give the values it was trained with, --classes and --image-size ` +
        '(the graph stores them and its input has that size)');
    }
    const check = await checkImages(opts, model, io);
    const input = INPUT_LAYOUTS[opts.input ?? 'float'];
    const result = await exportOnnxFile({ modelFile: model, model: loaded.model, metadata: loaded.metadata, out, input, check, exporter, log: (l) => io.err(`${l}\n`) })
      .catch((e: unknown) => {
        throw e instanceof CheckImagesError ? new UsageError(e.message) : e;
      });
    const line = parityLine(result.report);
    if (!result.written) {
      const c = result.report.check;
      const which = c.checked && c.differing.length > 0 ? `; decisions differ for ${c.differing.join(', ')}` : '';
      // An earlier export under the name (--force) is not this graph: it stays as it was, and the message says so.
      const earlier = [out, reportFile].filter((f) => fs.existsSync(f));
      const kept = earlier.length > 0 ? ` (the earlier ${earlier.join(' and ')} ${earlier.length === 1 ? 'is' : 'are'} left as ${earlier.length === 1 ? 'it was' : 'they were'})` : '';
      io.err(`${line}\nerror: the exported graph disagrees with the model${which}: nothing was written under ${out} or ${reportFile}${kept}\n`);
      return 1;
    }
    io.out(`${line}\nwrote ${out} (${result.report.bytes} bytes, input ${input}) and ${reportFile}\n`);
    return 0;
  } finally {
    loaded.model.dispose();
  }
}
