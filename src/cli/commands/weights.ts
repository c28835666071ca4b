// `tlearn weights list|fetch NAME|path NAME`: the pretrained-weights registry and cache of src/io/weights.ts.
import type { WeightsEntry } from '../../io/weights.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';

export interface WeightsOptions {
  action: 'list' | 'fetch' | 'path';
  /** Registry name or alias (fetch, path). */
  name?: string;
  json: boolean;
  /** Test hooks: the environment (cache folders) and the download base URL. */
  env?: Record<string, string | undefined>;
  baseUrl?: string;
}

async function registry() {
  return import('../../io/weights.js');
}

/** About the size of a weights file: its float32 parameters (the pickle adds a few kB; the exact size is known after download). */
export const approxSizeMB = (e: WeightsEntry): number => Math.round((e.numParams * 4) / 1e6);

/**
 * The list as a table: name, arch, torchvision version, top-1, parameters (millions), about the file's size,
 * image size (center crop / resize of the eval transform, the arch's default), who publishes the file (torchvision,
 * or timm for its copies of torchvision's weights), file, where it is cached ("-" if not).
 */
export function formatWeightsTable(rows: Array<WeightsEntry & { cached: string | null }>): string {
  const head = ['name', 'arch', 'version', 'top-1', 'params', 'size', 'image', 'source', 'file', 'cached'];
  const cells = rows.map((r) => [r.name, r.arch, r.version, r.acc1.toFixed(2), `${(r.numParams / 1e6).toFixed(1)}M`, `~${approxSizeMB(r)}MB`,
    `${r.cropSize}/${r.resizeSize}`, r.source, r.filename, r.cached ?? '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]))).join('  ');
  return [line(head), ...cells.map(line)].join('\n') + '\n';
}

async function entryFor(name: string): Promise<WeightsEntry> {
  const { findWeights } = await registry();
  try {
    return findWeights(name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export async function runWeights(opts: WeightsOptions, io: CliIO): Promise<void> {
  const w = await registry();
  const common = { env: opts.env, baseUrl: opts.baseUrl };
  if (opts.action === 'list') {
    const rows = [];
    for (const e of w.listWeights()) {
      // sha256Prefix: what the download is checked against (timm's files: the full SHA-256 where known, else null).
      rows.push({ ...e, url: w.weightsUrl(e, common), sha256Prefix: w.expectedSha256(e) ?? null, approxSizeMB: approxSizeMB(e), cached: (await w.locateWeights(e, common)) ?? null });
    }
    io.out(opts.json ? JSON.stringify(rows, null, 2) + '\n' : formatWeightsTable(rows));
    return;
  }
  const entry = await entryFor(opts.name ?? '');
  if (opts.action === 'path') {
    const found = await w.locateWeights(entry, common);
    const file = found ?? w.weightsCachePath(entry, common);
    if (opts.json) io.out(JSON.stringify({ name: entry.name, path: file, cached: found !== undefined }) + '\n');
    else {
      io.out(`${file}\n`);
      if (!found) io.err(`(not downloaded yet: tlearn weights fetch ${entry.name})\n`);
    }
    return;
  }
  let lastShown = -1;
  const file = await w.fetchWeights(entry, {
    ...common,
    onProgress: (received, total) => {
      // One line per 10% (or per 10 MB without a length): readable in logs as well as in a terminal.
      const step = total ? Math.floor((received / total) * 10) : Math.floor(received / 10_000_000);
      if (step === lastShown) return;
      lastShown = step;
      io.err(total ? `${entry.filename}: ${step * 10}% of ${(total / 1e6).toFixed(1)} MB\n` : `${entry.filename}: ${(received / 1e6).toFixed(0)} MB\n`);
    },
  });
  io.out(opts.json ? JSON.stringify({ name: entry.name, path: file }) + '\n' : `${file}\n`);
}
