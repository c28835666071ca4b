// `tlearn export MODEL --format web --out DIR`: a static folder that classifies images in the browser
// (src/export/web): the model exported to ONNX with uint8 NHWC input (the page feeds raw RGB pixels and the
// graph normalises), the page, and onnxruntime-web's WebAssembly files. Kept apart from export.ts, whose
// --out is one file.
import fs from 'node:fs';
import path from 'node:path';
import { NotAvailableError, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { loadPart } from '../planned.js';
import { checkModelFile } from './evaluate.js';
import { checkOutputPath } from '../../io/output-path.js';
import { tempPathFor, writeFileAtomic } from '../../io/atomic.js';
import { toolVersion } from '../../models/metadata.js';
import type { CheckRecord, GraphExporter } from '../../export/onnx-file.js';
import { checkImages, parityLine } from './export-onnx.js';
import { TTA_AVERAGES, type TtaMode } from '../../eval/tta.js';

export interface ExportWebOptions {
  model: string;
  /** The folder to write; an existing non-empty one is refused unless force (and then only an earlier page). */
  out: string;
  force?: boolean;
  /** Metadata for a model file without tlearn metadata (both or neither), as for the other formats. */
  imageSize?: number;
  classes?: string[];
  resize?: 'squash' | 'crop';
  /** Images to check the page's graph on (as for --format onnx), instead of the run's test split. */
  check?: string[];
  /** Skip the parity check (--no-check). */
  noCheck?: boolean;
  /** Refused: the page's graph always takes uint8 pixels (--input is for --format onnx). */
  input?: string;
  /** The page answers the mean of the probabilities of each image's views, as predict --tta MODE (eval/tta.ts). */
  tta?: TtaMode;
}

/**
 * 0: written; 1: the graph failed its parity check and nothing was written. `exporter` replaces the graph writer:
 * only tests pass one (a graph spoilt on purpose must fail the check); no flag reaches it.
 */
export async function runExportWeb(opts: ExportWebOptions, io: CliIO, exporter?: GraphExporter): Promise<number> {
  const model = path.resolve(io.cwd, opts.model);
  const out = path.resolve(io.cwd, opts.out);
  if (opts.input !== undefined) throw new UsageError('--input is for --format onnx: the web page\'s graph always takes uint8 pixels');
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
  const { checkGraphFile, sha256Of } = await loadPart(() => import('../../export/onnx-file.js'), 'ONNX export');
  const { CheckImagesError } = await loadPart(() => import('../../export/check-images.js'), 'ONNX export');
  if (opts.check && opts.noCheck) throw new UsageError('--check and --no-check contradict each other: give one of them');
  const loaded = loadModelFile(model, { classes: opts.classes, imageSize: opts.imageSize, resize: opts.resize });
  try {
    if (!loaded.fromTlearn && (opts.classes === undefined || opts.imageSize === undefined)) {
      throw new UsageError(`${opts.model}: a file without tlearn metadata needs --classes and --image-size for the page (it shows the classes and resizes to the image size)`);
    }
    const sourceSha256 = sha256Of(fs.readFileSync(model));
    const { bytes, opCounts } = (exporter ?? exportOnnx)(loaded.model, loaded.metadata, { input: 'uint8-nhwc', sourceSha256 });
    // The page's graph gets the same proof as an .onnx export, before anything is written under --out.
    const images = await checkImages(opts, model, io);
    let check: CheckRecord = { checked: false, reason: 'skipped with --no-check' };
    if (images) {
      const tmp = tempPathFor(path.join(path.dirname(out), 'model.onnx'));
      try {
        writeFileAtomic(tmp, [bytes]);
        check = await checkGraphFile({ model: loaded.model, metadata: loaded.metadata, input: 'uint8-nhwc', log: (l) => io.err(`${l}\n`) }, images, tmp)
          .catch((e: unknown) => {
            throw e instanceof CheckImagesError ? new UsageError(e.message) : e;
          });
      } finally {
        fs.rmSync(tmp, { force: true });
      }
    }
    const checkReport = { file: 'model.onnx', sha256: sha256Of(bytes), bytes: bytes.byteLength, source: { file: model, sha256: sourceSha256 },
      input: 'uint8-nhwc' as const, opCounts, check, tlearn: toolVersion(), createdAt: new Date().toISOString() };
    const line = parityLine(checkReport);
    if (check.checked && !check.passed) {
      const which = check.differing.length > 0 ? `; decisions differ for ${check.differing.join(', ')}` : '';
      io.err(`${line}\nerror: the page's graph disagrees with the model${which}: nothing was written under ${out}\n`);
      return 1;
    }
    const written = web.writeWebPage(out, { modelBytes: bytes, metadata: loaded.metadata, force: opts.force ?? false, ortDir, checkReport, tta: opts.tta ?? null });
    io.err(`${line}\n`);
    const mb = (written.bytes / 1e6).toFixed(1);
    const tta = opts.tta ? `; test-time augmentation ${opts.tta}: the mean of the probabilities of ${TTA_AVERAGES[opts.tta]}` : '';
    io.out(`wrote ${out} (index.html, model.onnx and onnxruntime-web's WebAssembly; ${written.files.length} files, ${mb} MB${tta})\n` +
      `serve it with any static web server and open it in a browser (file:// does not work), e.g.:\n` +
      `  python3 -m http.server --bind 127.0.0.1 --directory ${JSON.stringify(out)} 8000   # then open http://127.0.0.1:8000/\n`);
    return 0;
  } finally {
    loaded.model.dispose();
  }
}
