// The seed protocol's wall time per architecture (issue 21, item 6): `tlearn train` on the demo data, run as a user
// runs it (its own process, defaults: both phases, flip augmentation, the frozen-prefix cache, the test split's
// evaluation and report), once per architecture at its default image size (the ImageNet weights' crop) or --size,
// from random weights (--weights none: no network here; an epoch costs the same from ImageNet's). Early stopping
// is off by default, so that every architecture runs its full --epochs1 + --epochs2 (the same work): from random
// weights, where it stops says nothing about a run from ImageNet's (random-init MobileNet and EfficientNet, their
// BatchNorm frozen at the initial statistics, give nearly constant outputs and a test AUC near 0.5);
// --early-stopping keeps the protocol's (val AUC, patience 5). tlearn only: bench/train-protocol.ts compares the
// protocol with plain PyTorch (resnet50).
//
// Per architecture: phase-1 and phase-2 seconds (from the phase's start event to its end event, as the JSON lines
// arrive), the total (process start to exit: start-up, data check, both phases, checkpoints, test evaluation and
// report), and training images/s over both phases (train images x epochs run / (phase-1 s + phase-2 s)). The
// epochs run are printed too: early stopping may end a phase before --epochs1/--epochs2. A shortened protocol for
// a quick look: --epochs1 1 --epochs2 1.
//
// Run: npx tsc -p tsconfig.json && node dist/bench/protocol-zoo.js [--archs resnet50,efficientnet_b0,...]
//      [--data demo-data] [--size N] [--epochs1 10] [--epochs2 10] [--batch 32] [--threads 0] [--early-stopping]
//      [--json FILE]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ARCH_INFO, isArch, type Arch } from '../src/models/index.js';
import { flagArgs, repoRoot } from './common.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = repoRoot(here);
const DEFAULT_ARCHS: Arch[] = [
  'resnet18', 'resnet50', 'efficientnet_b0', 'efficientnet_b3', 'mobilenet_v3_small', 'mobilenet_v3_large', 'convnext_tiny', 'regnet_y_400mf',
  'regnet_y_1_6gf', 'vit_b_16',
];

export interface ProtocolFigures {
  arch: Arch; size: number; parameters: number; trainImages: number;
  phases: { name: string; epochs: number; seconds: number; stoppedEarly: boolean }[];
  totalSeconds: number; imagesPerSecond: number; testAuc: number | null;
}

interface Event { type: string; [k: string]: unknown }

/** One `tlearn train` in its own process; events time-stamped as they arrive. */
async function runOne(arch: Arch, data: string, extra: string[], earlyStopping: boolean): Promise<ProtocolFigures> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `tlearn-protocol-zoo-${arch}-`));
  const argv = [path.join(root, 'bin', 'tlearn.js'), 'train', data, '--arch', arch, '--weights', 'none', '--out', path.join(out, 'run'), '--json', ...extra];
  if (!earlyStopping) {
    fs.writeFileSync(path.join(out, 'fixed-epochs.json'), JSON.stringify({ phases: [{ earlyStopping: null }, { earlyStopping: null }] }));
    argv.push('--config', path.join(out, 'fixed-epochs.json'));
  }
  const t0 = performance.now();
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8000); });
  const events: { at: number; e: Event }[] = [];
  for await (const line of readline.createInterface({ input: child.stdout })) {
    if (!line.startsWith('{')) continue;
    try {
      events.push({ at: (performance.now() - t0) / 1000, e: JSON.parse(line) as Event });
    } catch { /* a progress line that is not an event */ }
  }
  const code: number = child.exitCode ?? await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  const totalSeconds = (performance.now() - t0) / 1000;
  try {
    if (code !== 0) throw new Error(`tlearn train --arch ${arch} failed (exit ${code}):\n${stderr}`);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'run', 'config.json'), 'utf8')) as { input: { imageSize: number } };
    const start = events.find((x) => x.e.type === 'start')?.e as { images: { train: number } } | undefined;
    const done = events.find((x) => x.e.type === 'done')?.e as { test: { auc: number | null } | null } | undefined;
    if (!start || !done) throw new Error(`tlearn train --arch ${arch}: no start or done event in its output`);
    const phases: ProtocolFigures['phases'] = [];
    for (const s of events.filter((x) => x.e.type === 'phase' && x.e.event === 'start')) {
      const end = events.find((x) => x.e.type === 'phase' && x.e.event === 'end' && x.e.index === s.e.index);
      if (!end) throw new Error(`tlearn train --arch ${arch}: phase ${String(s.e.phase)} has no end event`);
      phases.push({ name: String(s.e.phase), epochs: Number(end.e.epochs), seconds: end.at - s.at, stoppedEarly: Boolean(end.e.stopped_early) });
    }
    const epochs = phases.reduce((n, p) => n + p.epochs, 0);
    const trainSeconds = phases.reduce((n, p) => n + p.seconds, 0);
    return {
      arch, size: config.input.imageSize, parameters: ARCH_INFO[arch].numParams, trainImages: start.images.train, phases, totalSeconds,
      imagesPerSecond: trainSeconds > 0 ? (start.images.train * epochs) / trainSeconds : 0, testAuc: done.test?.auc ?? null,
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

export function markdownTable(rows: ProtocolFigures[]): string {
  const lines = [
    '| arch | size | parameters (torchvision) | phase 1 (epochs) | phase 2 (epochs) | total | training images/s | test AUC |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const phase = (r: ProtocolFigures, i: number) => {
    const p = r.phases[i];
    return p ? `${p.seconds.toFixed(1)} s (${p.epochs})` : '–';
  };
  for (const r of rows) {
    lines.push(`| ${r.arch} | ${r.size} | ${(r.parameters / 1e6).toFixed(1)} M | ${phase(r, 0)} | ${phase(r, 1)} | ${r.totalSeconds.toFixed(1)} s | ` +
      `${r.imagesPerSecond.toFixed(1)} | ${r.testAuc === null ? '–' : r.testAuc.toFixed(4)} |`);
  }
  return lines.join('\n');
}

const a = flagArgs();
const archs = a.archs ? a.archs.split(',') : DEFAULT_ARCHS;
for (const x of archs) if (!isArch(x)) throw new Error(`--archs: unknown architecture ${x} (expected some of ${Object.keys(ARCH_INFO).join(', ')})`);
const data = path.resolve(a.data ?? path.join(root, 'demo-data'));
if (!fs.existsSync(data)) throw new Error(`--data: ${data} does not exist (the demo data: scripts/setup.sh --demo)`);
const extra: string[] = [];
for (const [flag, cli] of [['size', '--image-size'], ['epochs1', '--epochs1'], ['epochs2', '--epochs2'], ['batch', '--batch-size'], ['threads', '--threads']] as const) {
  if (a[flag] !== undefined) extra.push(cli, a[flag]!);
}
const earlyStopping = a['early-stopping'] === 'true';
console.log(`protocol per architecture: tlearn train ${data} --weights none ${extra.join(' ')} (each in its own process), ` +
  `early stopping ${earlyStopping ? 'on' : 'off'}`);
const rows: ProtocolFigures[] = [];
for (const arch of archs as Arch[]) {
  const r = await runOne(arch, data, extra, earlyStopping);
  rows.push(r);
  console.log(`${arch.padEnd(20)} ${String(r.size).padStart(3)}px  ${r.phases.map((p) => `${p.name} ${p.seconds.toFixed(1)} s (${p.epochs} epochs${p.stoppedEarly ? ', stopped early' : ''})`).join(', ')}; ` +
    `total ${r.totalSeconds.toFixed(1)} s; ${r.imagesPerSecond.toFixed(1)} training images/s; test AUC ${r.testAuc?.toFixed(4) ?? '-'}`);
}
console.log(`\n${markdownTable(rows)}`);
if (a.json) fs.writeFileSync(a.json, JSON.stringify({ data, flags: extra, earlyStopping, rows }, null, 2) + '\n');
