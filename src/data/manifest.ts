// The split manifest: one row per usable image, `path,label,split,bytes,sha256`, with paths relative to
// the manifest's own folder, so manifest.csv is itself a valid CSV data source (the same images, the same
// split). Also the per-file probe (size, hash, full decode check) that the manifest and the audit share.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { formatCsv } from './csv.js';
import { verifyDecodes } from './decode.js';
import { mapLimit } from './pool.js';
import type { Dataset } from './types.js';

/** What reading one file found. */
export interface Probe {
  bytes: number;
  sha256: string;
  /** Upright size, when the file decodes. */
  width?: number;
  height?: number;
  format?: string;
  /** Why the file cannot be used, when it cannot. */
  error?: string;
}

/** Reads, hashes and fully decodes one file; never throws (failures come back in `error`). */
export async function probeFile(file: string): Promise<Probe> {
  let bytes: Buffer;
  try { bytes = await readFile(file); } catch (e) {
    return { bytes: 0, sha256: '', error: `cannot read file: ${(e as Error).message}` };
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  try {
    const info = await verifyDecodes(bytes);
    return { bytes: bytes.byteLength, sha256, width: info.width, height: info.height, format: info.format };
  } catch (e) {
    return { bytes: bytes.byteLength, sha256, error: cleanReason((e as Error).message) };
  }
}

/** libvips messages can span lines and repeat the loader name; keep them to one readable line. */
function cleanReason(msg: string): string {
  return msg.split('\n').map((s) => s.trim()).filter(Boolean).join('; ').slice(0, 300) || 'unknown decode error';
}

/** Probes every item of a dataset (bounded concurrency); results in item order. */
export async function probeDataset(ds: Dataset, concurrency = Math.max(2, os.availableParallelism())): Promise<Probe[]> {
  return mapLimit(ds.items, concurrency, (it) => probeFile(it.path));
}

export const MANIFEST_HEADER = ['path', 'label', 'split', 'bytes', 'sha256'] as const;

/** Writes manifest.csv (atomically) for the items that have a successful probe. */
export async function writeManifest(file: string, ds: Dataset, probes: Probe[]): Promise<number> {
  const dir = path.dirname(path.resolve(file));
  const rows: Array<Array<string | number>> = [];
  ds.items.forEach((it, i) => {
    const p = probes[i]!;
    if (p.error) return;
    rows.push([path.relative(dir, it.path).split(path.sep).join('/'), it.className, it.split, p.bytes, p.sha256]);
  });
  await writeFileAtomic(file, formatCsv([...MANIFEST_HEADER], rows));
  return rows.length;
}
