// Servers for the tests of `tlearn serve`: on 127.0.0.1, a free port, with small limits; closed by the caller
// (in a finally). Images are made here with sharp, each a little different, so that equal answers mean
// something; and the Prometheus text is read back into numbers.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { BinaryClassifier, saveModelFile } from '../../src/models/index.js';
import { manualSeed } from '../../src/torch/index.js';
import { serve, type RunningServer, type ServeOptions } from '../../src/serve/index.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const TLEARN = path.join(REPO, 'bin', 'tlearn.js');

export function serveOptions(model: string, over: Partial<ServeOptions> = {}): ServeOptions {
  return {
    model, name: 'model', engine: 'libtorch', host: '127.0.0.1', port: 0, maxBatch: 32, maxWaitMs: 5, maxQueue: 64, maxImages: 16,
    maxBodyBytes: 2 * 1024 * 1024, maxPixels: 50e6, decodeConcurrency: 2, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, drainTimeoutMs: 10_000,
    ...over,
  };
}

/** Runs `fn` with a server of the model; the server is closed afterwards, whatever happens. */
export async function withServer<T>(model: string, over: Partial<ServeOptions>, fn: (s: RunningServer) => Promise<T>): Promise<T> {
  const s = await serve(serveOptions(model, over));
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** A PNG of w×h whose colours depend on `seed` (a gradient and a block), so each seed predicts differently. */
export async function testImage(seed: number, w = 48, h = 40, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      px[i] = (x * 5 + seed * 37) & 255;
      px[i + 1] = (y * 7 + seed * 91) & 255;
      px[i + 2] = ((x + y) * 3 + seed * 53 + (x > w / 2 && y > h / 2 ? 120 : 0)) & 255;
    }
  }
  const img = sharp(px, { raw: { width: w, height: h, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 90 }).toBuffer();
}

/** A seeded random binary classifier of `arch` at `imageSize` px, written to DIR/NAME.safetensors. */
export function modelFile(dir: string, name: string, arch: 'resnet18' | 'resnet50', imageSize: number): string {
  manualSeed(3);
  const m = new BinaryClassifier({ arch });
  const file = path.join(dir, `${name}.safetensors`);
  try {
    saveModelFile(file, m, { classes: ['cat', 'dog'], positiveClass: 'dog', imageSize, threshold: 0.5 });
  } finally {
    m.dispose();
  }
  return file;
}

export interface Answer { status: number; body: any; headers: Headers; ms: number }

async function answer(res: Response, t0: number): Promise<Answer> {
  const text = await res.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON: keep the text */ }
  return { status: res.status, body, headers: res.headers, ms: performance.now() - t0 };
}

/** POST url with a body and content type (or FormData). */
export async function post(url: string, body: Buffer | string | FormData, type?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const t0 = performance.now();
  const sent = (Buffer.isBuffer(body) ? new Uint8Array(body) : body) as BodyInit;
  return answer(await fetch(url, { method: 'POST', body: sent, headers: { ...(type ? { 'content-type': type } : {}), ...headers } }), t0);
}

export const postJson = (url: string, value: unknown, headers: Record<string, string> = {}) =>
  post(url, JSON.stringify(value), 'application/json', headers);

export async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const t0 = performance.now();
  return answer(await fetch(url, { headers }), t0);
}

/** The value of a Prometheus sample, e.g. metric(text, 'tlearn_serve_batch_size_count'); 0 if absent. */
export function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

export async function metrics(s: RunningServer): Promise<string> {
  return (await get(`${s.url}/metrics`)).body as string;
}

/** A Blob of the bytes (for FormData). */
export const blob = (b: Buffer) => new Blob([new Uint8Array(b)]);

/**
 * Predictions equal up to float32 rounding: libtorch's kernels may sum in another order for another batch size, so
 * an image batched with others can differ from itself alone in the last bit (about 6e-8 near 0.5). Labels and the
 * other fields must be equal; the same images in the same batch are compared with deepEqual instead.
 */
export function assertSamePredictions(actual: Array<Record<string, unknown>>, expected: Array<Record<string, unknown>>, tol = 1e-6): void {
  const round = (rows: Array<Record<string, unknown>>) => rows.map((r) => ({ ...r, probability: undefined }));
  if (JSON.stringify(round(actual)) !== JSON.stringify(round(expected))) {
    throw new Error(`predictions differ:\n${JSON.stringify(actual)}\n${JSON.stringify(expected)}`);
  }
  actual.forEach((r, i) => {
    const d = Math.abs((r.probability as number) - (expected[i]!.probability as number));
    if (!(d <= tol)) throw new Error(`prediction ${i}: probability ${r.probability} vs ${expected[i]!.probability} (|d| = ${d} > ${tol})`);
  });
}

/** `tlearn predict MODEL FILES... --json` in a child process: its rows. */
export function predictJson(model: string, files: string[]): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TLEARN, 'predict', model, ...files, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`tlearn predict exited ${code}: ${err}`))));
  });
}
