// `lrFind`: the LR range test of one phase of the run configuration on its training split, written to a folder:
// lr_find.csv (step, lr, loss, smoothed), lr_find.json (the suggestions and the line to paste), lr_find.svg/png
// (src/report's Vega-Lite path). Phase 1 starts from the configured start weights (the pretrained backbone and
// the seeded new head, as a run starts); phase 2 needs the phase-1 result: a checkpoint file (`from`, e.g.
// RUN/best_model_phase1.safetensors, or the RUN folder, whose best_model_phase1 is taken). The test uses the
// frozen-prefix cache of the phase (each image view through the frozen layers once), and nothing of the model
// changes (the weights are restored afterwards).
import { mixSettingsOf } from '../mixup.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { manualSeed } from '../../torch/index.js';
import { DataLoader, ImageCache, prepareData, type DataItem } from '../../data/index.js';
import { createClassifier } from '../../models/index.js';
import { createTask, LOSS_POLICIES } from '../../tasks/index.js';
import { formatCsv } from '../../data/csv.js';
import { writeFileAtomicAsync } from '../../io/atomic.js';
import { makeOutputFolder } from '../../io/output-path.js';
import { renderSvg, svgToPng } from '../../report/vega.js';
import { lrFindSpec } from '../../report/charts/lr-find.js';
import { resolveConfig, usesChannelsLast, type RunConfig } from '../config/index.js';
import type { RunConfigInput } from '../config/input.js';
import { toChannelsLast, type Engine } from '../engine.js';
import { FeatureCache } from '../cache/feature-cache.js';
import { applyTrainable, cacheStage } from '../plan.js';
import { restoreWeights } from '../checkpoints.js';
import { runPaths } from '../run-dir.js';
import { checkSampler, splitItems, TrainSetupError } from '../setup.js';
import { rangeTest, type RangeTestPoint } from './range-test.js';
import { RANGE_TEST_DEFAULTS, steepestIndex, valleyIndex, type RangeTestSettings } from './schedule.js';

export interface LrFindOptions extends Partial<RangeTestSettings> {
  out: string;
  /** 1-based phase of the configuration (default 1). */
  phase?: number;
  /** The phase-1 result for phase 2 and later: a checkpoint, or a run folder (its best_model_phase<phase-1>). */
  from?: string;
  log?: (line: string) => void;
}

export interface LrFindResult {
  phase: string;
  points: RangeTestPoint[];
  stoppedBy: string;
  /** Lightning's steepest-descent suggestion and fastai's valley, null when the test had too few points. */
  steepest: number | null;
  valley: number | null;
  /** The flag to paste (`--lr1 3.0e-3`), from the valley (else the steepest), or null. */
  configLine: string | null;
  files: string[];
}

/** The checkpoint the phase starts from: the file given, or the run folder's best of the phase before. */
function startCheckpoint(from: string, config: RunConfig, index: number): string {
  if (fs.existsSync(from) && fs.statSync(from).isDirectory()) {
    const prev = config.phases[index - 1]!.name;
    const file = runPaths(from).best(prev, config.checkpointFormat);
    if (!fs.existsSync(file)) throw new TrainSetupError(`${from} has no ${path.basename(file)} (train phase ${index} first, or give the checkpoint file)`);
    return file;
  }
  if (!fs.existsSync(from)) throw new TrainSetupError(`the checkpoint ${from} does not exist`);
  return from;
}

export async function lrFind(input: RunConfigInput, o: LrFindOptions): Promise<LrFindResult> {
  const config = resolveConfig({ raw: input });
  const index = (o.phase ?? 1) - 1;
  const pc = config.phases[index];
  if (!pc) throw new TrainSetupError(`phase ${o.phase} does not exist: the configuration has ${config.phases.length} phase(s)`);
  if (index > 0 && !o.from) {
    throw new TrainSetupError(`the range test of phase ${index + 1} starts from phase ${index}'s result: give --from RUN (a run that trained it) or --from its checkpoint file`);
  }
  const log = o.log ?? (() => undefined);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-lr-find-'));
  const imageCache = new ImageCache({ dir: path.join(tmp, 'images') });
  let cache: FeatureCache | null = null;
  let engine: Engine | null = null;
  try {
    const data = await prepareData(config.data.csv ?? config.data.path, {
      positive: config.data.positive ?? undefined, seed: config.seed, valFraction: config.data.valFraction, testFraction: config.data.testFraction,
      imageSize: config.input.imageSize, resize: config.input.resize, dicomWindows: config.input.dicomWindows, cache: imageCache, task: config.task, exclude: [path.resolve(o.out)],
    });
    const train: DataItem[] = splitItems(data).train;
    const { task: kind, classes } = data.dataset;
    checkSampler(config, kind);
    const loss = LOSS_POLICIES[kind].resolve(config, train, classes);
    const task = createTask(kind, classes, loss.settings, config.device);
    manualSeed(config.seed);
    const { model } = await createClassifier({ arch: config.model.arch, dropout: config.model.dropout, weights: config.model.weights, outputs: task.outputs, activation: task.activation });
    if (config.device !== 'cpu') model.to(config.device);
    const channelsLast = usesChannelsLast(config);
    if (channelsLast) toChannelsLast(model);
    engine = { model, task, device: config.device, precision: config.precision, channelsLast, bnPolicy: config.bnPolicy };
    if (index > 0) {
      const file = startCheckpoint(o.from!, config, index);
      restoreWeights(model, file);
      log(`phase ${pc.name} starts from ${file}`);
    }
    const loader = new DataLoader(train.map((i) => ({ path: i.path, label: i.label, ...(i.labels ? { labels: i.labels } : {}) })), {
      imageSize: config.input.imageSize, resize: config.input.resize, dicomWindows: config.input.dicomWindows, batchSize: config.batchSize, seed: config.seed, channelsLast, cache: imageCache,
      mean: config.input.mean, std: config.input.std, labelWidth: task.labelWidth, train: true, augment: config.augment, erasing: config.randomErasing, randAugment: config.randAugment, sampler: config.sampler, augmentBaseSide: config.input.presize,
    });
    applyTrainable(model, pc.trainable);
    // Mixed images have no frozen-prefix outputs to reuse (as in training).
    const mixing = mixSettingsOf(config);
    const stage = cacheStage(model, { bnPolicy: config.bnPolicy, viewsCacheable: loader.viewsCacheable, enabled: config.featureCache.enabled && mixing === null });
    if (stage) {
      cache = new FeatureCache({
        stage, memoryBytes: Math.max(1 << 20, config.featureCache.memoryMB * 2 ** 20), dir: path.join(tmp, stage), dtype: config.featureCache.dtype, device: config.device,
      });
    }
    const settings = { startLr: o.startLr ?? RANGE_TEST_DEFAULTS.startLr, endLr: o.endLr ?? RANGE_TEST_DEFAULTS.endLr, steps: o.steps ?? RANGE_TEST_DEFAULTS.steps };
    log(`range test of phase ${pc.name} (${pc.trainable.join(', ')}): lr ${settings.startLr} to ${settings.endLr} over ${settings.steps} steps${config.accumulateGradBatches > 1 ? ` of ${config.accumulateGradBatches} batches` : ''}, ${train.length} training images${stage ? `, ${stage} output cached` : ''}`);
    const r = await rangeTest(engine, pc, { loader, split: 'train', cache, stage }, config.bnPolicy, settings,
      { clipGradNorm: config.clipGradNorm, mixing: mixing && { settings: mixing, seed: config.seed }, accumulate: config.accumulateGradBatches });
    const smoothed = r.points.map((p) => p.smoothed);
    const si = steepestIndex(smoothed);
    const vi = valleyIndex(smoothed, settings.steps);
    const steepest = si === null ? null : r.points[si]!.lr;
    const valley = vi === null ? null : r.points[vi]!.lr;
    const pick = valley ?? steepest;
    const flag = index <= 1 ? `--lr${index + 1}` : `--set phases[${index}].lr=`;
    const configLine = pick === null ? null : `${flag}${flag.endsWith('=') ? '' : ' '}${pick.toExponential(1)}`;
    const files = await writeLrFind(o.out, pc.name, r.points, { steepest, valley, si, vi, configLine, stoppedBy: r.stoppedBy, settings });
    return { phase: pc.name, points: r.points, stoppedBy: r.stoppedBy, steepest, valley, configLine, files };
  } finally {
    cache?.dispose();
    engine?.task.dispose();
    engine?.model.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function writeLrFind(out: string, phase: string, points: RangeTestPoint[], s: {
  steepest: number | null; valley: number | null; si: number | null; vi: number | null; configLine: string | null; stoppedBy: string; settings: object;
}): Promise<string[]> {
  makeOutputFolder(out, '--out');
  const j = (f: string) => path.join(path.resolve(out), f);
  const suggestions = [
    ...(s.si !== null ? [{ name: 'steepest', lr: points[s.si]!.lr, loss: points[s.si]!.smoothed }] : []),
    ...(s.vi !== null ? [{ name: 'valley', lr: points[s.vi]!.lr, loss: points[s.vi]!.smoothed }] : []),
  ];
  await writeFileAtomicAsync(j('lr_find.csv'), formatCsv(['step', 'lr', 'loss', 'smoothed_loss'], points.map((p) => [p.step, p.lr, p.loss, p.smoothed])));
  await writeFileAtomicAsync(j('lr_find.json'), JSON.stringify({
    phase, steps: points.length, stopped_by: s.stoppedBy, settings: s.settings,
    suggestions: { steepest: s.steepest, valley: s.valley }, config_line: s.configLine,
    methods: {
      steepest: "Lightning's LRFinder.suggestion: argmin of numpy.gradient of the smoothed loss, without the first 10 and the last point",
      valley: "fastai's valley: the longest valley of the smoothed loss (points num_it//10 to -5), about half way down it",
    },
  }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  const svg = await renderSvg(lrFindSpec({ points, suggestions, title: `LR range test, phase ${phase}${s.configLine ? `: ${s.configLine}` : ''}` }));
  await writeFileAtomicAsync(j('lr_find.svg'), svg);
  await writeFileAtomicAsync(j('lr_find.png'), await svgToPng(svg));
  return ['lr_find.csv', 'lr_find.json', 'lr_find.svg', 'lr_find.png'].map(j);
}
