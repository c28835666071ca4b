// Writes MODEL as OUT.onnx with its proof of parity OUT.onnx.json. The graph goes to a temporary file next to OUT
// first and is run from there; only when the check passes (or is skipped on request) do the report and the graph
// take their names. A failed check leaves nothing under either name, so a script that deploys OUT after the
// command can never pick up a graph that disagrees with the model.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempPathFor, writeFileAtomic } from '../io/atomic.js';
import { toolVersion, type ImageClassifier, type ModelMetadata } from '../models/index.js';
import type { OnnxInputLayout } from '../onnx/index.js';
import type { SkippedItem } from '../data/index.js';
import { CheckImagesError, type CheckImages } from './check-images.js';
import { exportOnnx } from './onnx/index.js';
import { checkParity, fileBatches, randomBatches, type ParityResult } from './parity.js';

/** The exporter's signature (src/export/onnx): a seam for tests, which pass one that spoils a weight. */
export type GraphExporter = (model: ImageClassifier, metadata: ModelMetadata,
  o?: { input?: OnnxInputLayout; sourceSha256?: string }) => { bytes: Uint8Array; opCounts: Record<string, number> };

export interface OnnxExportRequest {
  /** The checkpoint the model was read from (its sha256 goes into the graph and the report). */
  modelFile: string;
  model: ImageClassifier;
  metadata: ModelMetadata;
  /** The .onnx file to write; the report is OUT.json. */
  out: string;
  input: OnnxInputLayout;
  /** The images of the parity check; null skips it (--no-check). */
  check: CheckImages | null;
  /** onnxruntime's intra-op threads (0: its default). */
  threads?: number;
  log?: (line: string) => void;
  exporter?: GraphExporter;
}

/** What the check found, as model.onnx.json states it (ARCHITECTURE.md, "model.onnx.json"). */
export type CheckRecord =
  | ({ checked: true; source: string; available: number; skipped: number } & ParityResult)
  | { checked: false; reason: string };

export interface OnnxExportReport {
  file: string;
  sha256: string;
  bytes: number;
  source: { file: string; sha256: string };
  input: OnnxInputLayout;
  opCounts: Record<string, number>;
  check: CheckRecord;
  tlearn: string;
  createdAt: string;
}

export interface OnnxExportResult {
  report: OnnxExportReport;
  /** False: the check failed and nothing was kept. */
  written: boolean;
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The report's file: OUT.json (model.onnx → model.onnx.json). */
export function reportFileOf(out: string): string {
  return `${out}.json`;
}

export async function exportOnnxFile(req: OnnxExportRequest): Promise<OnnxExportResult> {
  const sourceSha256 = sha256Of(fs.readFileSync(req.modelFile));
  const { bytes, opCounts } = (req.exporter ?? exportOnnx)(req.model, req.metadata, { input: req.input, sourceSha256 });
  const tmp = tempPathFor(req.out);
  let kept = false;
  try {
    writeFileAtomic(tmp, [bytes]);
    let check: CheckRecord = { checked: false, reason: 'skipped with --no-check' };
    if (req.check) check = await checkGraphFile(req, req.check, tmp);
    const report: OnnxExportReport = {
      file: path.basename(req.out), sha256: sha256Of(bytes), bytes: bytes.byteLength, source: { file: req.modelFile, sha256: sourceSha256 },
      input: req.input, opCounts, check, tlearn: toolVersion(), createdAt: new Date().toISOString(),
    };
    if (check.checked && !check.passed) return { report, written: false };
    const reportFile = reportFileOf(req.out);
    writeFileAtomic(reportFile, [new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`)]);
    try {
      fs.renameSync(tmp, req.out);
    } catch (e) {
      fs.rmSync(reportFile, { force: true });
      throw new Error(`cannot write ${req.out}: ${(e as Error).message}`, { cause: e });
    }
    kept = true;
    return { report, written: true };
  } finally {
    if (!kept) fs.rmSync(tmp, { force: true });
  }
}

/**
 * Runs the parity check of the graph in `graphFile` (written with `req.input`) against `req.model` on the check
 * images: the record model.onnx.json states. Also used by the web page's export, whose graph takes uint8 pixels.
 */
export async function checkGraphFile(req: Pick<OnnxExportRequest, 'model' | 'metadata' | 'input' | 'threads' | 'log'>, c: CheckImages,
  graphFile: string): Promise<CheckRecord & { checked: true }> {
  const skipped: SkippedItem[] = [];
  const shown = c.available > c.items.length && c.kind !== 'random' ? `the first ${c.items.length} of ${c.available} images` : `${c.available} image${c.available === 1 ? '' : 's'}`;
  req.log?.(`checking the graph against libtorch on ${shown} (${c.source})`);
  const batches = c.kind === 'random' ? randomBatches(req.metadata, c.available) : fileBatches(req.metadata, c.items, skipped);
  const result = await checkParity(req.model, req.metadata, graphFile, req.input, batches, { threads: req.threads });
  for (const s of skipped.slice(0, 5)) req.log?.(`skipped ${s.path}: ${s.reason}`);
  if (skipped.length > 5) req.log?.(`... and ${skipped.length - 5} more images that could not be read`);
  if (result.images === 0) throw new CheckImagesError(`none of the ${c.items.length} check images could be read (${c.source}); give readable images with --check FILES...`);
  return { checked: true, source: c.source, available: c.available, skipped: skipped.length, ...result };
}
