// Image fixtures for the data tests, made with sharp in a temp folder (no binary files in the repo).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { tempDir as newTempDir } from './helpers/temp.js';

/** A fresh temp folder, removed when the test process exits. */
export function tempDir(prefix = 'tlearn-data-'): string {
  return newTempDir(prefix);
}

/** A smooth RGB test pattern (sines and ramps): resampling differences stay small on it. */
export function smoothRgb(width: number, height: number, phase = 0): Buffer {
  const buf = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      buf[i] = Math.round(127.5 + 127.5 * Math.sin((x + phase) / (width / 13) + y / (height / 5)));
      buf[i + 1] = Math.round((255 * x) / Math.max(1, width - 1));
      buf[i + 2] = Math.round(127.5 + 127.5 * Math.cos((y + phase) / (height / 7)));
    }
  }
  return buf;
}

/** A solid colour RGB buffer. */
export function solidRgb(width: number, height: number, rgb: [number, number, number]): Buffer {
  const buf = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) { buf[3 * i] = rgb[0]; buf[3 * i + 1] = rgb[1]; buf[3 * i + 2] = rgb[2]; }
  return buf;
}

export function rawSharp(buf: Buffer, width: number, height: number, channels: 1 | 2 | 3 | 4 = 3): sharp.Sharp {
  return sharp(buf, { raw: { width, height, channels } });
}

/** Writes a small PNG (distinct content per `seed`) and returns its path. */
export async function writePng(file: string, width = 12, height = 10, seed = 0): Promise<string> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await rawSharp(smoothRgb(width, height, seed * 7), width, height).png().toFile(file);
  return file;
}

/** Writes a placeholder file (for tests that never decode). */
export function touch(file: string, content: string | Buffer = 'x'): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}
