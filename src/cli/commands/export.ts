// `tlearn export MODEL [--format safetensors|pth] --out FILE`: the same tensors and metadata in another format.
// --classes/--image-size give a plain PyTorch state_dict (the seed's .pth) the metadata evaluate and predict
// would take from the same flags, so the exported file carries it.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { loadPart } from '../planned.js';
import { checkModelFile } from './evaluate.js';
import { checkOutputPath, makeOutputFolder } from '../../io/output-path.js';
import type { OnnxExportOptions } from './export-onnx.js';
import type { TtaMode } from '../../eval/tta.js';

export interface ExportOptions {
  model: string;
  /** Default: from --out's extension (.safetensors; .pth, .pt or .bin; .onnx). */
  format?: 'safetensors' | 'pth' | 'onnx';
  out: string;
  /** Replace --out if it exists (without it an existing file is refused). */
  force?: boolean;
  /** Metadata for a model file without tlearn metadata (checked against a tlearn file's own). */
  imageSize?: number;
  classes?: string[];
  resize?: 'squash' | 'crop';
  /** --format onnx only (export-onnx.ts): the graph's input, the parity check's images, or no check. */
  onnx?: Pick<OnnxExportOptions, 'input' | 'check' | 'noCheck'>;
  /** Refused: test-time augmentation belongs to the page (--format web) or to where a file is used. */
  tta?: TtaMode;
}

type Format = NonNullable<ExportOptions['format']>;
/**
 * The extensions each format accepts. Each names one format only, so the extension always decides it and
 * --format is a check (.bin, PyTorch's pytorch_model.bin, is a pickled .pth).
 */
export const EXTENSIONS: Record<Format, string[]> = { safetensors: ['.safetensors'], pth: ['.pth', '.pt', '.bin'], onnx: ['.onnx'] };

/** '.a', '.b or .c' */
export function orList(items: string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** --format, else the one --out's extension names. */
export function exportFormat(out: string, format?: Format): Format {
  if (format) return format;
  const ext = path.extname(out).toLowerCase();
  const inferred = (Object.keys(EXTENSIONS) as Format[]).find((f) => EXTENSIONS[f].includes(ext));
  if (!inferred) {
    const names = (Object.keys(EXTENSIONS) as Format[]).map((f) => `${orList(EXTENSIONS[f])} (${f})`);
    throw new UsageError(`--out ${out}: the file name must end in ${orList(names)}`);
  }
  return inferred;
}

/** Checks the output path: its extension must match --format, and it must not be the input. */
export function checkExportTarget(model: string, out: string, format: Format): void {
  const ext = path.extname(out).toLowerCase();
  if (!EXTENSIONS[format].includes(ext)) {
    throw new UsageError(`--out ${out} must end in ${orList(EXTENSIONS[format])} for --format ${format}`);
  }
  if (path.resolve(model) === path.resolve(out)) throw new UsageError('--out must differ from MODEL');
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a folder`);
  checkOutputPath(out, `the export file ${out}`, 'file');
}

/** An existing file (another run's checkpoint, say) is only replaced on request. */
export function checkNotExisting(out: string, force: boolean): void {
  if (!force && fs.existsSync(out)) throw new UsageError(`--out ${out} already exists; choose another file, or add --force to replace it`);
}

export async function runExport(opts: ExportOptions, io: CliIO): Promise<number | void> {
  const model = path.resolve(io.cwd, opts.model);
  const out = path.resolve(io.cwd, opts.out);
  checkModelFile(model);
  const format = exportFormat(out, opts.format);
  const onnxFlags = Object.entries(opts.onnx ?? {}).filter(([, v]) => v !== undefined).map(([k]) => ({ input: '--input', check: '--check', noCheck: '--no-check' })[k]);
  if (format !== 'onnx' && onnxFlags.length > 0) throw new UsageError(`${onnxFlags.join(' and ')} only apply to --format onnx (an .onnx --out)`);
  if (opts.tta !== undefined) {
    throw new UsageError(`--tta only applies to --format web (the page then averages each image's views); a ${format} file takes --tta where it is used: predict, evaluate and serve`);
  }
  checkExportTarget(model, out, format);
  checkNotExisting(out, opts.force ?? false);
  if (format === 'onnx') {
    const { runOnnxExport } = await import('./export-onnx.js');
    const { onnx, format: _f, ...rest } = opts;
    return runOnnxExport({ ...rest, ...onnx }, io);
  }
  if (opts.classes !== undefined || opts.imageSize !== undefined || opts.resize !== undefined) {
    // Through the model loader, as evaluate/predict read the file with these flags: the head is checked and the
    // metadata completed (or, for a tlearn file, checked against the flags).
    const { loadModelFile, saveModelFile } = await loadPart(() => import('../../models/index.js'), 'model reading and writing');
    const loaded = loadModelFile(model, { classes: opts.classes, imageSize: opts.imageSize, resize: opts.resize });
    try {
      // The other value would be the loader's placeholder (classes 0,1 or 224 px), stored as if it were the
      // model's own; evaluate and predict would then refuse the real value. So both or neither.
      if (!loaded.fromTlearn && (opts.classes === undefined || opts.imageSize === undefined)) {
        const given = [opts.classes !== undefined && '--classes', opts.imageSize !== undefined && '--image-size', opts.resize !== undefined && '--resize'];
        throw new UsageError(`${opts.model}: a file without tlearn metadata needs both --classes and --image-size (or neither); ` +
          `only ${given.filter(Boolean).join(' and ')} was given`);
      }
      // A plain state_dict's placeholders (tool version 'unknown', no date) are filled in by the writer.
      const { toolVersion: _v, createdAt: _c, ...rest } = loaded.metadata;
      makeOutputFolder(path.dirname(out), `the export file ${out}`);
      const written = saveModelFile(out, loaded.model, loaded.fromTlearn ? loaded.metadata : rest, { format });
      io.out(wroteLine(out, loaded.model.stateDict({ keepVars: true }).size, format, written));
    } finally {
      loaded.model.dispose();
    }
    return;
  }
  const { loadCheckpoint, saveCheckpoint } = await loadPart(() => import('../../io/index.js'), 'checkpoint reading and writing');
  const { checkCheckpointContents } = await loadPart(() => import('../../models/index.js'), 'model checking');
  const { tensors, metadata } = await loadCheckpoint(model);
  // The copy is refused as evaluate and predict would refuse the file: forged metadata, NaN or inf weights.
  checkCheckpointContents({ tensors, metadata }, model);
  makeOutputFolder(path.dirname(out), `the export file ${out}`);
  await saveCheckpoint(out, tensors, metadata, { format });
  // Only shown (checked above with the model layer's own checks).
  const { classes, imageSize } = metadata;
  const shown = Array.isArray(classes) && typeof imageSize === 'number' ? { classes, imageSize } : undefined;
  io.out(wroteLine(out, tensors.size, format, shown));
}

/** The one success line: `wrote FILE (N tensors, FORMAT; classes a,b, image size 32)`. */
function wroteLine(out: string, tensors: number, format: Format, metadata?: { classes: string[]; imageSize: number }): string {
  const meta = metadata ? `classes ${metadata.classes.join(',')}, image size ${metadata.imageSize}` : 'no tlearn metadata';
  return `wrote ${out} (${tensors} tensors, ${format}; ${meta})\n`;
}
