// `tlearn export MODEL --format web --out DIR`: a static folder that classifies images in the browser
// (src/export/web): the model exported to ONNX with uint8 NHWC input (the page feeds raw RGB pixels and the
// graph normalises), the page, and onnxruntime-web's WebAssembly files. Kept apart from export.ts, whose
// --out is one file.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NotAvailableError, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { loadPart } from '../planned.js';
import { checkModelFile } from './evaluate.js';
import { checkOutputPath } from '../../io/output-path.js';

export interface ExportWebOptions {
  model: string;
  /** The folder to write; an existing non-empty one is refused unless force (and then only an earlier page). */
  out: string;
  force?: boolean;
  /** Metadata for a model file without tlearn metadata (both or neither), as for the other formats. */
  imageSize?: number;
  classes?: string[];
  resize?: 'squash' | 'crop';
}

export async function runExportWeb(opts: ExportWebOptions, io: CliIO): Promise<void> {
  const model = path.resolve(io.cwd, opts.model);
  const out = path.resolve(io.cwd, opts.out);
  checkModelFile(model);
  // --force replaces the folder: never one that holds the model being exported.
  if (model.startsWith(out + path.sep)) throw new UsageError(`--out ${opts.out} holds MODEL; write the page to another folder`);
  const web = await loadPart(() => import('../../export/web/index.js'), 'the web page export');
  const problem = web.webDirProblem(out, opts.force ?? false);
  if (problem) throw new UsageError(`--out ${problem}`);
  checkOutputPath(out, `the web page folder ${out}`, 'folder');
  let ortDir: string;
  try {
    ortDir = web.ortWebDir();
  } catch (e) {
    throw new NotAvailableError((e as Error).message);
  }

  const { loadModelFile } = await loadPart(() => import('../../models/index.js'), 'model reading');
  const { exportOnnx } = await loadPart(() => import('../../export/onnx/index.js'), 'ONNX export');
  const loaded = loadModelFile(model, { classes: opts.classes, imageSize: opts.imageSize, resize: opts.resize });
  try {
    if (!loaded.fromTlearn && (opts.classes === undefined || opts.imageSize === undefined)) {
      throw new UsageError(`${opts.model}: a file without tlearn metadata needs --classes and --image-size for the page (it shows the classes and resizes to the image size)`);
    }
    const sourceSha256 = createHash('sha256').update(fs.readFileSync(model)).digest('hex');
    const { bytes } = exportOnnx(loaded.model, loaded.metadata, { input: 'uint8-nhwc', sourceSha256 });
    const written = web.writeWebPage(out, { modelBytes: bytes, metadata: loaded.metadata, force: opts.force ?? false, ortDir });
    const mb = (written.bytes / 1e6).toFixed(1);
    io.out(`wrote ${out} (index.html, model.onnx and onnxruntime-web's WebAssembly; ${written.files.length} files, ${mb} MB)\n` +
      `serve it with any static web server and open it in a browser (file:// does not work), e.g.:\n` +
      `  python3 -m http.server --bind 127.0.0.1 --directory ${JSON.stringify(out)} 8000   # then open http://127.0.0.1:8000/\n`);
  } finally {
    loaded.model.dispose();
  }
}
