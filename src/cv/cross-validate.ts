// k-fold cross-validation: the training pool (train + val of the data; the test split stays out) is cut into K
// stratified folds (folds.ts), and the run protocol trains once per fold into RUN/fold-K/ (a normal run folder)
// with that fold as its validation split and the others as its training split; the data's test split, if any,
// is every fold's test split. The frozen-prefix caches are shared by the folds (src/train/cache/shared.ts), so an
// image view passes the frozen network once for the whole CV. Each fold's final model gives the out-of-fold
// probabilities of its held-out images (RUN/oof.csv), from which confident learning ranks likely label errors
// (RUN/label_issues.csv); RUN/cv.json summarises the folds and RUN/report.html shows it all.
// Note: each fold's validation split is its held-out fold, so its best epoch and threshold are chosen on the
// images the out-of-fold probabilities are of (as the usual `for fold: fit(train, val=fold)` loop does).
import fs from 'node:fs';
import path from 'node:path';
import { formatCsv } from '../data/csv.js';
import { ImageCache, prepareData, ProbeMemo, type DataItem, type PreparedData, type TaskKind } from '../data/index.js';
import { writeFileAtomic } from '../io/atomic.js';
import { makeOutputFolder } from '../io/output-path.js';
import { aucBootstrapCI, binaryMetrics, findLabelIssues, findMultiLabelIssues } from '../metrics/index.js';
import { configToJSON, resolveConfig, SharedFeatureCaches, train, TrainSetupError, type RunConfig, type RunResult, type TrainEvent } from '../train/index.js';
import type { RunConfigInput } from '../train/config/input.js';
import { type CvReportIssue, writeCvReport } from '../report/cv-report.js';
import { assignFolds } from './folds.js';
import { readOof, writeOof, type OofRow } from './oof.js';
import { cvPaths, type CvPaths } from './paths.js';
import { scalars, summarise, tInterval95, type MeanSd } from './summary.js';

export interface CvOptions {
  out: string;
  folds: number;
  /** Continue an interrupted CV: finished folds are kept, a fold stopped mid-way resumes from its RUN/fold-K/last. */
  resume?: boolean;
  /** Events of the folds' runs (with `fold`) and of the CV (`type: 'cv'`). */
  onEvent?: (e: CvEvent) => void;
  /** Progress lines. */
  log?: (line: string) => void;
  json?: boolean;
  signal?: AbortSignal;
  handleSigint?: boolean;
  /** Skip each fold's test evaluation and run report (tests). */
  skipEvaluation?: boolean;
}

export type CvEvent =
  | (TrainEvent & { fold: number })
  | { type: 'cv'; event: 'start'; folds: number; pool: number; test: number; run: string; resumed: boolean }
  | { type: 'cv'; event: 'fold'; fold: number; folds: number; status: 'start' | 'resume' | 'done' | 'kept'; images: { train: number; val: number } }
  | { type: 'cv'; event: 'done'; summary: string; oof: string; label_issues: string | null; report: string; seconds: number };

export interface FoldRecord {
  fold: number;
  images: { train: number; val: number; test: number };
  threshold: number | null;
  /** The held-out fold's metrics (val_*: its final model's), and test_* (the test split's) when evaluated. */
  metrics: Record<string, number | null>;
  seconds: number;
}

export interface CvResult {
  runDir: string;
  interrupted: boolean;
  stoppedBy?: RunResult['stoppedBy'];
  folds: FoldRecord[];
  summary: CvSummary | null;
  /** --resume found the CV finished (its cv.json and report): nothing was trained or written. */
  finishedBefore?: boolean;
}

export interface CvSummary {
  folds: number;
  seed: number;
  task: TaskKind;
  classes: string[];
  pool: number;
  test: number;
  stratification: string;
  per_fold: FoldRecord[];
  mean_sd: Record<string, MeanSd>;
  auc_ci95_across_folds: { metric: string; method: string; interval: [number, number] | null };
  oof: { n: number; auc: number | null; auc_ci95: [number | null, number | null] | null; method: string | null };
  label_issues: { n: number; file: string; method: string } | null;
  notes: string[];
  seconds: number;
}

/** The pool's label names per item, as the fold assignment takes them. */
const labelNames = (it: DataItem, classes: readonly string[]): string[] =>
  it.labels ? it.labels.map((i) => classes[i]!) : [classes[it.label]!];

/** The training pool (train + val; the test split stays out), in path order. */
const poolOf = (data: PreparedData): DataItem[] =>
  data.dataset.items.filter((it) => it.split !== 'test').sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

/** Refuses an --out that holds a CV (without --resume), or holds none to resume. */
function checkCvFolder(p: CvPaths, resume: boolean): void {
  const present = fs.existsSync(p.root) ? fs.readdirSync(p.root) : [];
  const cvFiles = present.filter((n) => n === 'cv-config.json' || n === 'folds.csv' || n === 'cv.json' || /^fold-\d+$/.test(n));
  if (resume && !fs.existsSync(p.config)) throw new TrainSetupError(`cannot resume ${p.root}: it holds no cross-validation (no cv-config.json)`);
  if (!resume && cvFiles.length > 0) {
    throw new TrainSetupError(`${p.root} already holds a cross-validation (${cvFiles.slice(0, 3).join(', ')}); continue it with --resume, or choose another --out`);
  }
  if (!resume && present.some((n) => ['config.json', 'history.csv', 'last'].includes(n))) {
    throw new TrainSetupError(`${p.root} is a training run folder; choose another --out for the cross-validation`);
  }
}

/** The fold's data: a CSV of the pool (its fold as val, the rest as train) and the test split. */
function writeFoldCsv(file: string, pool: readonly DataItem[], fold: readonly number[], k: number, test: readonly DataItem[], task: TaskKind, classes: readonly string[]): void {
  const label = (it: DataItem) => labelNames(it, classes).join(';');
  const rows = [
    ...pool.map((it, i) => [it.path, label(it), fold[i] === k ? 'val' : 'train']),
    ...test.map((it) => [it.path, label(it), 'test']),
  ];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, [Buffer.from(formatCsv(['path', task === 'multilabel' ? 'labels' : 'label', 'split'], rows))]);
}

function foldConfig(config: RunConfig, p: CvPaths, k: number, data: PreparedData): RunConfig {
  return {
    ...config, task: data.dataset.task,
    data: { ...config.data, csv: p.dataCsv(k), path: path.dirname(p.dataCsv(k)), positive: data.dataset.positiveClass },
  };
}

/** The metrics of a fold's held-out images: binary every metric of metrics.json; other tasks the final model's val_* scores. */
function foldMetrics(task: TaskKind, rows: readonly OofRow[], best: Record<string, number> | null, threshold: number | null, foldDir: string): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(best ?? {})) if (k.startsWith('val_')) out[k] = Number.isFinite(v) ? v : null;
  if (task === 'binary') {
    const m = binaryMetrics(rows.map((r) => r.label), rows.map((r) => r.probs[0]!), threshold ?? 0.5);
    Object.assign(out, scalars(m as unknown as Record<string, unknown>, 'val_'));
    delete out.val_n;
  }
  const test = path.join(foldDir, 'eval', 'metrics.json');
  if (fs.existsSync(test)) {
    const t = scalars(JSON.parse(fs.readFileSync(test, 'utf8')) as Record<string, unknown>, 'test_');
    delete t.test_n;
    Object.assign(out, t);
  }
  return out;
}

/** Probabilities from a fold run's final validation, as OOF rows (in the run's validation order). */
function oofRows(v: { paths: string[]; probs: Float32Array; labels: Float32Array }, fold: number, task: TaskKind, classes: readonly string[]): OofRow[] {
  const n = v.paths.length;
  const width = v.probs.length / n;
  const labelWidth = v.labels.length / n;
  return v.paths.map((p, i) => {
    const probs = Array.from(v.probs.subarray(i * width, (i + 1) * width));
    if (task === 'multilabel') {
      const labels = classes.flatMap((_, j) => (v.labels[i * labelWidth + j] === 1 ? [j] : []));
      return { path: p, label: -1, labels, fold, probs };
    }
    return { path: p, label: v.labels[i]!, fold, probs };
  });
}

/** Runs (or continues) the cross-validation into opts.out. One at a time per process (as train()). */
export async function crossValidate(input: RunConfigInput, opts: CvOptions): Promise<CvResult> {
  const t0 = performance.now();
  const config = resolveConfig({ raw: input });
  const k = opts.folds;
  if (!(Number.isInteger(k) && k >= 2 && k <= 100)) throw new TrainSetupError(`--folds must be an integer from 2 to 100, got ${k}`);
  const p = cvPaths(opts.out);
  const resume = opts.resume ?? false;
  checkCvFolder(p, resume);
  const log = opts.log ?? (() => undefined);
  const emit = (e: CvEvent) => opts.onEvent?.(e);
  const finished = resume ? finishedSummary(p, k) : null;
  if (finished) {
    log(`${p.root}: its ${k}-fold cross-validation is already finished: nothing to resume (its files are kept as they are; choose another --out to run it again)`);
    emit({ type: 'cv', event: 'done', summary: p.summary, oof: p.oof, label_issues: finished.label_issues ? p.labelIssues : null, report: p.report, seconds: finished.seconds });
    return { runDir: p.root, interrupted: false, folds: finished.per_fold, summary: finished, finishedBefore: true };
  }

  // The pool and the test split, as `train` would split this data (seed and fractions of the configuration).
  // Its check decodes every file to the eval transform into an image cache that the folds share, and the folds'
  // own checks reuse its findings (probe memo): each file is read and decoded once for the whole CV, as a single
  // run reads it once (a random-resized-crop preset still decodes a fold's training images in every epoch).
  const shareImages = {
    cache: new ImageCache({
      memoryBytes: config.imageCache.memoryMB === null ? undefined : config.imageCache.memoryMB * 2 ** 20, dir: p.imageCache,
      onDiskError: (why) => log(`image cache: ${why}; the images that do not fit in memory (imageCache.memoryMB) are decoded again when needed`),
    }),
    probes: new ProbeMemo(),
  };
  const rootExisted = fs.existsSync(p.root);
  let data: PreparedData, fold: number[];
  try {
    data = await prepareData(config.data.csv ?? config.data.path, {
      positive: config.data.positive ?? undefined, seed: config.seed, valFraction: config.data.valFraction, testFraction: config.data.testFraction,
      imageSize: config.input.imageSize, resize: config.input.resize, dicomWindows: config.input.dicomWindows, exclude: [p.root], task: config.task,
      cache: shareImages.cache, cacheSplits: ['val', 'train', 'test'], memo: shareImages.probes,
    });
    fold = assignFolds(poolOf(data).map((it) => it.path), poolOf(data).map((it) => labelNames(it, data.dataset.classes)), k, config.seed);
  } catch (e) {
    // A refused start leaves nothing behind: not the images the cache had to put on disk either.
    fs.rmSync(p.imageCache, { recursive: true, force: true });
    if (!rootExisted) fs.rmSync(p.root, { recursive: true, force: true });
    throw e;
  }
  const { task, classes } = data.dataset;
  const pool = poolOf(data);
  const test = data.dataset.items.filter((it) => it.split === 'test');
  const foldsText = formatCsv(['path', task === 'multilabel' ? 'labels' : 'label', 'fold'], pool.map((it, i) => [it.path, labelNames(it, classes).join(';'), fold[i]! + 1]));
  // Created once the data can be cut into folds: a refused start leaves nothing behind.
  makeOutputFolder(p.root, '--out');
  if (resume) {
    const before = fs.existsSync(p.foldsCsv) ? fs.readFileSync(p.foldsCsv, 'utf8') : null;
    if (before !== foldsText) {
      throw new TrainSetupError(`cannot resume ${p.root}: its folds (folds.csv) differ from the ones this data, --folds ${k} and --seed ${config.seed} give (files, labels or splits changed?)`);
    }
  } else {
    writeFileAtomic(p.config, [Buffer.from(configToJSON(config))]);
    writeFileAtomic(p.foldsCsv, [Buffer.from(foldsText)]);
  }
  emit({ type: 'cv', event: 'start', folds: k, pool: pool.length, test: test.length, run: p.root, resumed: resume });
  log(`cross-validation: ${k} folds of ${pool.length} images (train + val), ${test.length} test images kept out; ${task}, classes ${classes.join(', ')}`);

  const shared = new SharedFeatureCaches(p.featureCache);
  const records: FoldRecord[] = [];
  const oof: OofRow[] = [];
  try {
    for (let f = 1; f <= k; f++) {
      const images = { train: fold.filter((x) => x !== f - 1).length, val: fold.filter((x) => x === f - 1).length };
      if (fs.existsSync(p.foldRecord(f)) && fs.existsSync(p.foldOof(f))) {
        records.push(JSON.parse(fs.readFileSync(p.foldRecord(f), 'utf8')) as FoldRecord);
        oof.push(...readOof(p.foldOof(f), task, classes));
        emit({ type: 'cv', event: 'fold', fold: f, folds: k, status: 'kept', images });
        log(`fold ${f}/${k}: finished before, kept`);
        continue;
      }
      writeFoldCsv(p.dataCsv(f), pool, fold, f - 1, test, task, classes);
      const dir = p.fold(f);
      const resumeFold = fs.existsSync(path.join(dir, 'last'));
      emit({ type: 'cv', event: 'fold', fold: f, folds: k, status: resumeFold ? 'resume' : 'start', images });
      log(`fold ${f}/${k}: ${resumeFold ? 'continuing from its last state' : 'training'} on ${images.train} images, validating on ${images.val}`);
      const started = performance.now();
      let rows: OofRow[] | null = null;
      const result = await train(foldConfig(config, p, f, data), {
        out: dir, resume: resumeFold, featureCaches: shared, sharedImages: shareImages, skipEvaluation: opts.skipEvaluation ?? false,
        signal: opts.signal, handleSigint: opts.handleSigint, quiet: !opts.log, log: (line) => log(`[fold ${f}/${k}] ${line}`),
        onEvent: (e) => emit({ ...e, fold: f }),
        onFinalValidation: (v) => {
          rows = oofRows(v, f, task, classes);
          writeOof(p.foldOof(f), rows, task, classes);
        },
      });
      if (result.interrupted) return { runDir: p.root, interrupted: true, stoppedBy: result.stoppedBy ?? null, folds: records, summary: null };
      rows ??= fs.existsSync(p.foldOof(f)) ? readOof(p.foldOof(f), task, classes) : null;
      if (!rows) throw new Error(`fold ${f}: its run finished without out-of-fold probabilities (${p.foldOof(f)})`);
      const record: FoldRecord = {
        fold: f, images: { ...images, test: test.length }, threshold: result.threshold,
        metrics: foldMetrics(task, rows, result.best?.metrics ?? null, result.threshold, dir), seconds: (performance.now() - started) / 1000,
      };
      writeFileAtomic(p.foldRecord(f), [Buffer.from(JSON.stringify(record, null, 2) + '\n')]);
      records.push(record);
      oof.push(...rows);
      emit({ type: 'cv', event: 'fold', fold: f, folds: k, status: 'done', images });
    }
  } finally {
    shared.dispose();
    fs.rmSync(p.featureCache, { recursive: true, force: true });
    shareImages.cache.clearMemory();
    fs.rmSync(p.imageCache, { recursive: true, force: true });
  }
  const summary = await finishCv(p, config, data, pool, fold, records, oof, (performance.now() - t0) / 1000);
  emit({ type: 'cv', event: 'done', summary: p.summary, oof: p.oof, label_issues: summary.label_issues ? p.labelIssues : null, report: p.report, seconds: summary.seconds });
  return { runDir: p.root, interrupted: false, folds: records, summary };
}

/**
 * The summary of a CV that finished with k folds (cv.json, then the report, are its last files), or null: then
 * --resume goes through the folds (a different --folds is refused there, by folds.csv).
 */
function finishedSummary(p: CvPaths, k: number): CvSummary | null {
  if (!fs.existsSync(p.summary) || !fs.existsSync(p.report)) return null;
  try {
    const s = JSON.parse(fs.readFileSync(p.summary, 'utf8')) as CvSummary;
    return s.folds === k && Array.isArray(s.per_fold) && s.per_fold.length === k ? s : null;
  } catch {
    return null;
  }
}

/** oof.csv in the pool's order, label_issues.csv, cv.json and the report. */
async function finishCv(p: CvPaths, config: RunConfig, data: PreparedData, pool: readonly DataItem[], fold: readonly number[],
  records: FoldRecord[], oof: OofRow[], seconds: number): Promise<CvSummary> {
  const { task, classes } = data.dataset;
  const byPath = new Map(oof.map((r) => [r.path, r]));
  const notes: string[] = [];
  const missing = pool.filter((it) => !byPath.has(it.path));
  if (missing.length > 0) notes.push(`${missing.length} image(s) of the pool have no out-of-fold probability (their file failed to decode in training), e.g. ${missing[0]!.path}`);
  const ordered = pool.flatMap((it) => byPath.get(it.path) ?? []);
  writeOof(p.oof, ordered, task, classes);

  let labelIssues: CvSummary['label_issues'] = null;
  let shown: CvReportIssue[] = []; // the report's gallery: the top-ranked issues
  if (task === 'multilabel') {
    const found = findMultiLabelIssues(ordered.map((o) => o.labels ?? []), Float64Array.from(ordered.flatMap((o) => o.probs)), classes.length);
    const state = (present: boolean) => (present ? 'present' : 'absent');
    const rows = found.map((i) => [ordered[i.index]!.path, classes[i.label]!, state(i.givenPresent), state(!i.givenPresent), i.selfConfidence, i.rank]);
    writeFileAtomic(p.labelIssues, [Buffer.from(formatCsv(['path', 'label', 'given', 'suggested', 'self_confidence', 'rank'], rows))]);
    labelIssues = { n: found.length, file: p.labelIssues, method: 'confident learning per label (cleanlab\'s multi-label mode): each label a binary present/absent problem; per-class thresholds, calibrated confident joint, prune by noise rate; all ranked by self-confidence' };
    shown = found.slice(0, 48).map((i) => ({ path: ordered[i.index]!.path, given: `${classes[i.label]} ${state(i.givenPresent)}`,
      suggested: `${classes[i.label]} ${state(!i.givenPresent)}`, selfConfidence: i.selfConfidence, rank: i.rank }));
  } else {
    const { issues } = findLabelIssues(ordered.map((o) => o.label), Float64Array.from(ordered.flatMap((o) => o.probs)), classes.length);
    const rows = issues.map((i) => [ordered[i.index]!.path, classes[i.given]!, classes[i.suggested]!, i.selfConfidence, i.rank]);
    writeFileAtomic(p.labelIssues, [Buffer.from(formatCsv(['path', 'given_label', 'suggested_label', 'self_confidence', 'rank'], rows))]);
    labelIssues = { n: issues.length, file: p.labelIssues, method: 'confident learning (Northcutt et al. 2021): per-class thresholds, calibrated confident joint, prune by noise rate; ranked by self-confidence' };
    shown = issues.slice(0, 48).map((i) => ({ path: ordered[i.index]!.path, given: classes[i.given]!, suggested: classes[i.suggested]!, selfConfidence: i.selfConfidence, rank: i.rank }));
  }
  let pooled: CvSummary['oof'] = { n: ordered.length, auc: null, auc_ci95: null, method: null };
  if (task === 'binary' && ordered.length > 0) {
    const y = ordered.map((o) => o.label), s = ordered.map((o) => o.probs[0]!);
    const m = binaryMetrics(y, s, 0.5);
    const ci = aucBootstrapCI(y, s);
    pooled = { n: ordered.length, auc: m.auc, auc_ci95: [Number.isFinite(ci.lo) ? ci.lo : null, Number.isFinite(ci.hi) ? ci.hi : null], method: 'ROC AUC of the pooled out-of-fold probabilities, percentile bootstrap (1000 resamples, seed 0) as metrics.json auc_ci95' };
  }
  const aucKey = 'val_auc';
  const summary: CvSummary = {
    folds: records.length, seed: config.seed, task, classes: [...classes], pool: pool.length, test: data.dataset.items.length - pool.length,
    stratification: task === 'multilabel' ? 'iterative stratification (Sechidis et al. 2011), K equal shares' : 'stratified by class (scikit-learn StratifiedKFold-style dealing after a seeded shuffle)',
    per_fold: records, mean_sd: summarise(records.map((r) => r.metrics)),
    auc_ci95_across_folds: { metric: aucKey, method: "Student's t interval of the fold AUCs: mean ± t(0.975, K-1) · sd / sqrt(K), clipped to [0, 1]", interval: tInterval95(records.map((r) => r.metrics[aucKey]), [0, 1]) },
    oof: pooled, label_issues: labelIssues, notes, seconds,
  };
  writeFileAtomic(p.summary, [Buffer.from(JSON.stringify(summary, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n')]);
  await writeCvReport(p.report, {
    summary, classes: [...classes], folds: fold.length,
    issues: shown,
  });
  return summary;
}
