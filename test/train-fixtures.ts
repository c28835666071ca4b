// Fixtures for the trainer tests: a tiny two-class image folder made with sharp in a temp dir, and a
// small, fast configuration (resnet18 at 32 px, random init) on top of the seed protocol's defaults.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { tempDir as newTempDir } from './helpers/temp.js';
import { resolveConfig, type ConfigOverrides, type RunConfig } from '../src/train/config/index.js';
import { train, type EpochRecord, type TrainEvent } from '../src/train/index.js';
import { mulberry32 } from '../src/metrics/index.js';
import { readSafetensors } from '../src/io/index.js';

// Temp folders: runs write ~100 MB each, so call removeTempDirs() from an `after` hook; the rest goes at exit.
export { removeTempDirs, tempPath } from './helpers/temp.js';

/** A new temp folder, removed by removeTempDirs() or when the process exits. */
export function tempDir(prefix = 'tlearn-train-'): string {
  return newTempDir(prefix);
}

/** Deterministic pseudo-random numbers in [0, 1). */
const rng = mulberry32;

/**
 * Class 'stripes_h' has horizontal stripes, 'stripes_v' vertical ones, both with noise: learnable, but not
 * perfectly on the first epoch. Layout DIR/{train,val,test}/<class>/NNN.png.
 */
export async function makeStripes(dir: string, counts: { train: number; val: number; test: number } = { train: 12, val: 6, test: 4 }, size = 20): Promise<string> {
  let seed = 1;
  for (const [split, n] of Object.entries(counts)) {
    for (const cls of ['stripes_h', 'stripes_v']) {
      const d = path.join(dir, split, cls);
      fs.mkdirSync(d, { recursive: true });
      for (let k = 0; k < n; k++) {
        const r = rng(seed++);
        const period = 2 + Math.floor(r() * 4);
        const buf = Buffer.alloc(size * size * 3);
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            const coord = cls === 'stripes_h' ? y : x;
            const on = Math.floor(coord / period) % 2 === 0;
            for (let c = 0; c < 3; c++) buf[3 * (y * size + x) + c] = Math.max(0, Math.min(255, (on ? 190 : 60) + Math.round((r() - 0.5) * 120)));
          }
        }
        await sharp(buf, { raw: { width: size, height: size, channels: 3 } }).png().toFile(path.join(d, `${String(k).padStart(3, '0')}.png`));
      }
    }
  }
  return dir;
}

/** A fast configuration: resnet18, 32 px, batch 8, random init, 2 + 2 epochs, the seed protocol otherwise. */
export function tinyConfig(data: string, set: string[] = [], overrides: ConfigOverrides = {}): RunConfig {
  return resolveConfig({
    overrides: {
      data, arch: 'resnet18', weights: 'none', imageSize: 32, batchSize: 8, epochs1: 2, epochs2: 2, threads: 2, augment: 'flip',
      set, ...overrides,
    },
  });
}

/** A quiet run with its events; a resume into `out`; a Ctrl-C (abort) at `abortAt`'s [phase, epoch, batch]. */
export interface RecordedRun { history: EpochRecord[]; model: string; out: string; events: TrainEvent[]; interrupted: boolean }
export async function recordedRun(config: RunConfig, opts: { out?: string; resume?: boolean; abortAt?: [string, number, number] } = {}): Promise<RecordedRun> {
  const out = opts.out ?? tempDir('tlearn-run-');
  const events: TrainEvent[] = [];
  const ac = new AbortController();
  const r = await train(config, {
    out, resume: opts.resume, handleSigint: false, quiet: true, skipEvaluation: true, batchEvents: true, signal: ac.signal,
    onEvent: (e) => {
      events.push(e);
      const at = opts.abortAt;
      if (at && e.type === 'batch' && e.phase === at[0] && e.epoch === at[1] && e.batch === at[2]) ac.abort();
    },
  });
  return { history: r.history, model: r.bestModel ?? '', out, events, interrupted: r.interrupted };
}

/** A resumed run ends as the uninterrupted one: the same history (timings aside) and bit-identical best weights. */
export function assertSameRun(resumed: RecordedRun, whole: RecordedRun): void {
  const untimed = (h: EpochRecord[]) => h.map(({ seconds: _s, images_per_second: _i, ...rest }) => rest);
  assert.deepEqual(untimed(resumed.history), untimed(whole.history));
  const bits = (file: string) => [...readSafetensors(file).tensors].map(([k, t]) => `${k}:${Buffer.from(t.data).toString('base64')}`);
  assert.deepEqual(bits(resumed.model), bits(whole.model));
}
