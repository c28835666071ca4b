// `tlearn info MODEL`: what a model file holds and how it is used (Keras's model.summary, torchinfo, for the
// questions before shipping a model): the architecture and its parameters, the task and classes, the input it
// expects, the decision threshold and calibration, where and when it was trained with which validation metrics,
// the file's size and SHA-256, and the PyTorch code that loads it. A .safetensors or .pth file (tlearn's, or a
// plain state_dict: then what was assumed is said, as evaluate and predict assume it) or an .onnx graph.
import { describeQhat } from '../../metrics/conformal.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CliIO } from '../io.js';
import { loadPart } from '../planned.js';
import { checkModelFile } from './evaluate.js';
import { isOnnxFile, onnxPart } from './onnx-model.js';
import type { ModelMetadata } from '../../models/index.js';

export interface InfoOptions {
  model: string;
  json: boolean;
}

/** What `info --json` prints. */
export interface ModelInfo {
  file: string;
  format: 'safetensors' | 'pth' | 'onnx';
  bytes: number;
  sha256: string;
  /** False for a file without tlearn's metadata: `assumed` says what came from defaults. */
  fromTlearn: boolean;
  assumed: string[];
  /** Every parameter of the network, trained or frozen (as sum(p.numel() for p in model.parameters())); null for ONNX. */
  parameters: number | null;
  /** The head's Linear: its input features and outputs; null for ONNX. */
  head: { path: string; inFeatures: number; outputs: number } | null;
  /** ONNX: what the graph takes (normalised float NCHW, or uint8 NHWC pixels). */
  input?: string;
  metadata: ModelMetadata;
  /** Python that rebuilds the network in torchvision and loads the file strictly; null where it would not load as is. */
  pytorch: string[] | null;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function checkpointInfo(file: string): Promise<Omit<ModelInfo, 'file' | 'bytes' | 'sha256'>> {
  const models = await loadPart(() => import('../../models/index.js'), 'model files');
  const loaded = models.loadModelFile(file);
  try {
    const { model, metadata } = loaded;
    const headPath = models.familyInfo(metadata.arch).headPath;
    const params = model.namedParameters();
    const linear = params.find(([k]) => k === `${headPath}.1.weight`)![1];
    const [outputs, inFeatures] = linear.shape as [number, number];
    return {
      format: loaded.format, fromTlearn: loaded.fromTlearn, assumed: loaded.assumed,
      parameters: params.reduce((n, [, p]) => n + p.numel, 0),
      head: { path: headPath, inFeatures, outputs },
      metadata,
      // The code loads the file as it is: only where its keys are torchvision's and the state_dict is not wrapped.
      pytorch: loaded.keysAsSaved ? models.pytorchLoadCode(metadata.arch, { dropout: metadata.dropout, inFeatures, outputs, task: metadata.task }, path.basename(file), loaded.format) : null,
    };
  } finally {
    loaded.model.dispose();
  }
}

async function onnxInfo(file: string): Promise<Omit<ModelInfo, 'file' | 'bytes' | 'sha256'>> {
  const m = await (await onnxPart()).loadOnnxModel(file);
  try {
    return {
      format: 'onnx', fromTlearn: m.fromTlearn, assumed: m.assumed, parameters: null, head: null,
      input: m.input === 'uint8-nhwc' ? 'uint8 RGB pixels, NHWC' : 'normalised float32, NCHW',
      metadata: m.metadata, pytorch: null,
    };
  } finally {
    await m.dispose();
  }
}

export async function modelInfo(file: string): Promise<ModelInfo> {
  checkModelFile(file);
  const described = isOnnxFile(file) ? await onnxInfo(file) : await checkpointInfo(file);
  return { file, bytes: fs.statSync(file).size, sha256: await sha256Of(file), ...described };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A value printed as it is inside a record (a record of only these is short: focal_loss {"gamma":2,"alpha":0.25}). */
const isScalar = (v: unknown): boolean => v === null || ['number', 'string', 'boolean'].includes(typeof v);
const list = (xs: readonly (string | number)[]): string => xs.join(', ');
const quoted = (xs: readonly string[]): string => xs.map((x) => JSON.stringify(x)).join(', ');

function taskLine(m: ModelMetadata): string {
  if (m.task === 'binary') return `binary: positive ${JSON.stringify(m.classes[1])}, negative ${JSON.stringify(m.classes[0])}; predicted positive at p >= ${m.threshold}`;
  if (m.task === 'multiclass') return `multiclass, ${m.classes.length} classes: ${quoted(m.classes)}; the class of highest probability`;
  const thresholds = m.thresholds ?? m.classes.map(() => m.threshold);
  return `multilabel, ${m.classes.length} labels, each predicted at p >= its threshold: ${m.classes.map((c, i) => `${JSON.stringify(c)} ${thresholds[i]}`).join(', ')}`;
}

/** extra.weight_average, written by training when the checkpoint holds an average of the weights (ema, swa). */
function averageText(m: ModelMetadata): string | null {
  const a = m.extra.weight_average as { kind?: string; epochs?: number[]; decay?: number; updates?: number } | undefined;
  if (!a) return null;
  if (a.kind === 'swa' && a.epochs) return `the average of epoch${a.epochs[0] === a.epochs[1] ? ` ${a.epochs[0]}` : `s ${a.epochs[0]}-${a.epochs[1]}`} (swa)`;
  if (a.kind === 'ema') return `a moving average of the weights (ema, decay ${a.decay}, ${a.updates} steps)`;
  return null;
}

function trainedLine(m: ModelMetadata): string | null {
  if (m.phase === null && m.epoch === null && Object.keys(m.metrics).length === 0) return null;
  const at = [m.phase, m.epoch === null ? null : `epoch ${m.epoch}`, averageText(m)].filter(Boolean).join(', ');
  const metrics = Object.entries(m.metrics).map(([k, v]) => `${k} ${v === null ? 'NaN' : Number(v.toPrecision(4))}`).join(', ');
  const from = m.weights === null ? null : m.weights === 'none' ? 'from random initialisation' : `from ${m.weights} weights`;
  return [at, from, metrics].filter(Boolean).join('; ');
}

/** The human-readable summary. */
export function formatModelInfo(i: ModelInfo): string {
  const m = i.metadata;
  const mb = (i.bytes / 1e6).toFixed(1);
  const what = i.fromTlearn ? 'a tlearn model' : i.format === 'onnx' ? 'an ONNX graph without tlearn metadata' : 'a plain PyTorch state_dict (no tlearn metadata)';
  const rows: [string, string | null][] = [
    ['architecture', `${m.arch}${i.parameters === null ? '' : `, ${i.parameters.toLocaleString('en-US')} parameters`}` +
      (i.head ? `; head ${i.head.path} = Dropout(${m.dropout}), Linear(${i.head.inFeatures}, ${i.head.outputs})${m.task === 'multiclass' ? '' : ', Sigmoid'}` : '')],
    ['input', `${i.input ? `${i.input}; ` : ''}${m.imageSize} x ${m.imageSize} px, ${m.resize === 'squash' ? `squash (Resize((${m.imageSize}, ${m.imageSize})))` : `crop (Resize(${Math.round(m.imageSize / 0.875)}) + CenterCrop(${m.imageSize}))`}, mean ${list(m.mean)}, std ${list(m.std)}`],
    ...(m.dicomWindows ? [['DICOM windows', `${m.dicomWindows.map(([c, w]) => `${c},${w}`).join('; ')} (centre,width${m.dicomWindows.length === 3 ? ': red; green; blue' : ''}), instead of each file's own`] as [string, string]] : []),
    ['task', taskLine(m)],
    ['calibration', m.temperature ? `temperature ${m.temperature} (probabilities of logits / ${m.temperature})` : 'none'],
    ...(m.conformal ? [['conformal sets', `alpha ${m.conformal.alpha}${Array.isArray(m.conformal.qhat) ? ' per class' : ''}: ${describeQhat(m.conformal.qhat, m.classes)}, from ${m.conformal.n} validation images`] as [string, string]] : []),
    ['trained', trainedLine(m)],
    ['written', i.fromTlearn ? `by tlearn ${m.toolVersion}${m.createdAt ? ` at ${m.createdAt}` : ''}` : null],
    ['assumed', i.assumed.length > 0 ? `${list(i.assumed)} (give --image-size, --classes, --resize, --task to evaluate, predict and export)` : null],
    // Nested records (the validation's confusion counts at the threshold) are --json's.
    ['extra', Object.keys(m.extra).length > 0 ? Object.entries(m.extra).filter(([k]) => k !== 'weight_average')
      .map(([k, v]) => (isRecord(v) && !Object.values(v).every(isScalar) ? `${k} {...}` : `${k} ${JSON.stringify(v)}`)).join('; ') : null],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [`${i.file}: ${what} (${i.format}, ${mb} MB, SHA-256 ${i.sha256})`];
  for (const [k, v] of rows) if (v !== null) lines.push(`  ${k.padEnd(width)}  ${v}`);
  if (i.pytorch) lines.push('In PyTorch:', ...i.pytorch.map((l) => `  ${l}`));
  return lines.join('\n') + '\n';
}

export async function runInfo(opts: InfoOptions, io: CliIO): Promise<void> {
  const info = await modelInfo(path.resolve(io.cwd, opts.model));
  io.out(opts.json ? JSON.stringify(info, null, 2) + '\n' : formatModelInfo(info));
}
