// `tlearn export --format web`: a static folder that classifies images in the browser with onnxruntime-web.
// The folder is made whole in a staging folder next to DIR and renamed into place, so a failure (a full disk,
// a missing onnxruntime-web file) never leaves half a page under DIR.
import fs from 'node:fs';
import path from 'node:path';
import type { ModelMetadata } from '../../models/metadata.js';
import { makeOutputFolder } from '../../io/output-path.js';
import { pageResizeGraph } from './resize-graph.js';
import { ORT_WEB_FILES, ortWebDir, PAGE_FILES, pageSourceDir } from './page-files.js';
import { ttaViewsGraph, viewMeanGraph } from '../../deploy/tta.js';
import { headOutputs } from '../../models/options.js';
import type { TtaMode } from '../../eval/tta.js';

/** `kind` of model.json: marks a folder written here (the only kind of non-empty folder --force replaces). */
export const WEB_PAGE_KIND = 'tlearn.web-page';

export interface WebPageInput {
  /** The ONNX graph, exported with input 'uint8-nhwc' (the page feeds raw RGB pixels; the graph normalises). */
  modelBytes: Uint8Array;
  metadata: ModelMetadata;
  /** Replace DIR when it holds an earlier page of this kind (without it a non-empty DIR is refused). */
  force?: boolean;
  /** Where onnxruntime-web's dist/ is (default: resolved next to tlearn). */
  ortDir?: string;
  /** The graph's proof of parity (export's model.onnx.json), written beside it as model.onnx.json. */
  checkReport?: unknown;
  /**
   * Test-time augmentation: 'flip' makes the page answer the mean of each image's and its mirror's probabilities,
   * 'dihedral' the mean of its 8 symmetries', as `predict --tta MODE`, with the ONNX engine's own two graphs
   * (src/deploy/tta.ts) beside model.onnx.
   */
  tta?: TtaMode | null;
}

/** The files of --tta: the image's views as one batch (2 with flip, 8 with dihedral), and the mean of their rows. */
export const TTA_FILES = { views: 'tta-views.onnx', mean: 'tta-mean.onnx' } as const;

export interface WrittenWebPage {
  dir: string;
  /** Relative paths of the files written, and the folder's total size in bytes. */
  files: string[];
  bytes: number;
}

/** What the page reads in model.json: the graph's interface and the metadata its decisions need. */
export function pageModelJson(metadata: ModelMetadata, tta: TtaMode | null = null): object {
  const m = metadata;
  return {
    kind: WEB_PAGE_KIND,
    version: 1,
    input: 'uint8-nhwc',
    // Absent in pages written before it: the page reads a missing tta as null.
    tta,
    metadata: {
      arch: m.arch, task: m.task, classes: m.classes, positiveClass: m.positiveClass, imageSize: m.imageSize, resize: m.resize,
      mean: m.mean, std: m.std, threshold: m.threshold, thresholds: m.thresholds, phase: m.phase, epoch: m.epoch,
      // Conformal prediction sets (binary, multi-class): the page lists each image's set as predict does.
      conformal: m.conformal ? { alpha: m.conformal.alpha, qhat: m.conformal.qhat } : null,
      toolVersion: m.toolVersion, createdAt: m.createdAt,
    },
  };
}

/** Why DIR cannot take the page (null: it can). A non-empty folder needs `force` and must be an earlier page. */
export function webDirProblem(dir: string, force: boolean): string | null {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return null;
  if (!st.isDirectory()) return `${dir} exists and is not a folder`;
  if (fs.readdirSync(dir).length === 0) return null;
  if (!force) return `${dir} already exists and is not empty; choose another folder, or add --force to replace an earlier web export`;
  if (!isWebPageDir(dir)) {
    // --force deletes the folder: only one this command wrote, never a folder given by a slip of the keyboard.
    return `${dir} is not a page written by tlearn export --format web (no model.json of kind ${WEB_PAGE_KIND}); --force only replaces such a folder`;
  }
  return null;
}

function isWebPageDir(dir: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).kind === WEB_PAGE_KIND;
  } catch {
    return false;
  }
}

/**
 * Writes the page folder DIR: index.html, app.js, resize.js, style.css, model.json, model.onnx, resize.onnx (the
 * resize's pixel arithmetic), with --tta its two graphs (TTA_FILES), and ort/ (onnxruntime-web).
 */
export function writeWebPage(dir: string, input: WebPageInput): WrittenWebPage {
  const target = path.resolve(dir);
  const problem = webDirProblem(target, input.force ?? false);
  if (problem) throw new Error(problem);
  const ortDir = input.ortDir ?? ortWebDir();
  const pageDir = pageSourceDir();
  const parent = path.dirname(target);
  const madeParent = makeOutputFolder(parent, `the web page folder ${target}`);
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.partial-`));
  fs.chmodSync(staging, 0o755); // mkdtemp makes it private; a web server running as another user must read it
  try {
    const files: string[] = [];
    const put = (rel: string, write: (abs: string) => void): void => {
      write(path.join(staging, rel));
      files.push(rel);
    };
    for (const f of PAGE_FILES) put(f, (abs) => fs.copyFileSync(path.join(pageDir, f), abs));
    const m = input.metadata, tta = input.tta ?? null;
    put('model.json', (abs) => fs.writeFileSync(abs, `${JSON.stringify(pageModelJson(m, tta), null, 2)}\n`));
    put('model.onnx', (abs) => fs.writeFileSync(abs, input.modelBytes));
    put('resize.onnx', (abs) => fs.writeFileSync(abs, pageResizeGraph()));
    if (tta) {
      put(TTA_FILES.views, (abs) => fs.writeFileSync(abs, ttaViewsGraph(m.imageSize, tta)));
      put(TTA_FILES.mean, (abs) => fs.writeFileSync(abs, viewMeanGraph(headOutputs(m.task, m.classes.length), tta)));
    }
    if (input.checkReport !== undefined) put('model.onnx.json', (abs) => fs.writeFileSync(abs, `${JSON.stringify(input.checkReport, null, 2)}\n`));
    fs.mkdirSync(path.join(staging, 'ort'));
    for (const f of ORT_WEB_FILES) put(`ort/${f}`, (abs) => fs.copyFileSync(path.join(ortDir, f), abs));
    const bytes = files.reduce((n, f) => n + fs.statSync(path.join(staging, f)).size, 0);
    replaceWith(staging, target);
    return { dir: target, files, bytes };
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (madeParent) fs.rmSync(madeParent, { recursive: true, force: true });
    throw e;
  }
}

/** Renames the finished staging folder to target; an existing target is moved aside first and removed after. */
function replaceWith(staging: string, target: string): void {
  if (!fs.existsSync(target)) {
    fs.renameSync(staging, target);
    return;
  }
  const old = `${staging}.old`;
  fs.renameSync(target, old);
  try {
    fs.renameSync(staging, target);
  } catch (e) {
    fs.renameSync(old, target);
    throw e;
  }
  fs.rmSync(old, { recursive: true, force: true });
}
