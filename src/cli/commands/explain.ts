// `tlearn explain MODEL FILE_OR_DIR... --out DIR`: Grad-CAM overlays and maps (src/explain), one line per image.
import path from 'node:path';
import { EXIT_FAILURE } from '../errors.js';
import type { CliIO } from '../io.js';
import { loadPart } from '../planned.js';
import { checkModelFile } from './evaluate.js';
import { collectInputFiles } from './predict.js';
import { isOnnxFile } from './onnx-model.js';
import { UsageError } from '../errors.js';
import { checkOutputPath } from '../../io/output-path.js';
import type { CamLayer, ExplainRow } from '../../explain/index.js';

export interface ExplainCommandOptions {
  model: string;
  inputs: string[];
  out: string;
  layer?: CamLayer;
  className?: string;
  threshold?: number;
  imageSize?: number;
  classes?: string[];
  task?: 'binary' | 'multiclass' | 'multilabel';
  resize?: 'squash' | 'crop';
  batchSize?: number;
  device?: 'cpu' | 'cuda';
  threads?: number;
  json: boolean;
}

export async function runExplain(opts: ExplainCommandOptions, io: CliIO): Promise<number> {
  const model = path.resolve(io.cwd, opts.model);
  if (isOnnxFile(model)) throw new UsageError(`explain needs the model's gradients: give its checkpoint (.safetensors or .pth), not the ONNX file ${opts.model}`);
  checkModelFile(model);
  const out = path.resolve(io.cwd, opts.out);
  checkOutputPath(out, `the explanation folder ${opts.out}`, 'folder');
  const inputs = await collectInputFiles(opts.inputs, io.cwd);
  const files = inputs.filter((f) => f.error === undefined).map((f) => f.path);
  const { explain } = await loadPart(() => import('../../explain/index.js'), 'explanation');
  const { inputs: _i, json, ...rest } = opts;
  const made = await explain({ ...rest, model, files, out, log: (line) => io.err(`${line}\n`) });
  let next = 0;
  const rows: ExplainRow[] = inputs.map((f) => (f.error !== undefined ? { path: f.path, error: f.error } : made[next++]!));
  const show = (p: string) => {
    const rel = path.relative(io.cwd, p);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
  };
  if (json) io.out(`${JSON.stringify(rows.map((r) => ('error' in r ? r : { ...r, overlay: show(r.overlay), map: show(r.map) })), null, 2)}\n`);
  else {
    for (const r of rows) {
      io.out('error' in r ? `${show(r.path)}: cannot explain: ${r.error}\n` : `${show(r.path)}: ${r.class} (p = ${r.probability.toFixed(4)}) -> ${show(r.overlay)}\n`);
    }
  }
  const failed = rows.filter((r) => 'error' in r);
  if (json) for (const r of failed) io.err(`cannot explain ${show(r.path)}: ${(r as { error: string }).error}\n`);
  return failed.length === rows.length ? EXIT_FAILURE : 0;
}
