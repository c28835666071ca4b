// `tlearn export MODEL --format safetensors|pth --out FILE`: the same tensors and metadata in another format.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { loadFunction } from '../planned.js';
import { checkModelFile } from './evaluate.js';

export interface ExportOptions {
  model: string;
  format: 'safetensors' | 'pth';
  out: string;
  /** Replace --out if it exists (without it an existing file is refused). */
  force?: boolean;
}

/** src/io/index.ts (checkpoint.ts): the format follows the file extension. */
export type LoadCheckpointFn = (file: string) => { tensors: Map<string, unknown>; metadata: unknown } | Promise<{ tensors: Map<string, unknown>; metadata: unknown }>;
export type SaveCheckpointFn = (file: string, tensors: Map<string, unknown>, metadata: unknown, opts?: { format?: 'safetensors' | 'pth' }) => unknown;

const EXTENSIONS: Record<ExportOptions['format'], string[]> = { safetensors: ['.safetensors'], pth: ['.pth', '.pt', '.bin'] };

/** Checks the output path: its extension must match --format, and it must not be the input. */
export function checkExportTarget(model: string, out: string, format: ExportOptions['format']): void {
  const ext = path.extname(out).toLowerCase();
  if (!EXTENSIONS[format].includes(ext)) {
    throw new UsageError(`--out ${out} must end in ${EXTENSIONS[format].join(' or ')} for --format ${format}`);
  }
  if (path.resolve(model) === path.resolve(out)) throw new UsageError('--out must differ from MODEL');
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a folder`);
}

/** An existing file (another run's checkpoint, say) is only replaced on request. */
export function checkNotExisting(out: string, force: boolean): void {
  if (!force && fs.existsSync(out)) throw new UsageError(`--out ${out} already exists; choose another file, or add --force to replace it`);
}

export async function runExport(opts: ExportOptions, io: CliIO): Promise<void> {
  const model = path.resolve(io.cwd, opts.model);
  const out = path.resolve(io.cwd, opts.out);
  checkModelFile(model);
  checkExportTarget(model, out, opts.format);
  checkNotExisting(out, opts.force ?? false);
  const loadCheckpoint = await loadFunction<LoadCheckpointFn>('../io/index.js', 'loadCheckpoint', 'checkpoint reading');
  const saveCheckpoint = await loadFunction<SaveCheckpointFn>('../io/index.js', 'saveCheckpoint', 'checkpoint writing');
  const { tensors, metadata } = await loadCheckpoint(model);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await saveCheckpoint(out, tensors, metadata, { format: opts.format });
  io.out(`wrote ${out} (${tensors.size} tensors, ${opts.format})\n`);
}
