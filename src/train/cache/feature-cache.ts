// The frozen-prefix cache: the output of the frozen, deterministic first part of the network for each image
// view (item + flip), computed once and reused in every later epoch. In phase 1 of the seed protocol it
// holds the pooled features (an epoch is then only head training); in phase 2 the input of layer4.
// Entries stay in memory up to a byte budget (as tensors on the training device), then go to files in a
// spill folder (up to a limit, if one is set); fp16/bf16 storage halves both. Keys name the split too (item
// indices are per loader).
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { keep, scope, stack, tensor, elementSize, type DType, type Tensor } from '../../torch/index.js';
import type { CacheDType } from '../config/index.js';

const STORAGE: Record<CacheDType, DType> = { fp32: 'float32', fp16: 'float16', bf16: 'bfloat16' };

export interface FeatureCacheOptions {
  /** The stage whose output is cached: 'pool' (pooled features), 'layer3', ... */
  stage: string;
  memoryBytes: number;
  /** Spill folder (created on first use, removed by dispose); null: entries beyond the budget are not kept. */
  dir: string | null;
  /** Most bytes written to the spill folder (default: no limit); entries beyond it are not kept. */
  diskBytes?: number;
  dtype: CacheDType;
  /** Device of the tensors get() returns. */
  device: string;
}

export interface FeatureCacheStats {
  memoryEntries: number;
  memoryBytes: number;
  diskEntries: number;
  diskBytes: number;
  hits: number;
  misses: number;
}

export class FeatureCache {
  readonly stage: string;
  readonly storage: DType;
  readonly #o: FeatureCacheOptions;
  readonly #mem = new Map<string, Tensor>();
  readonly #disk = new Set<string>();
  /** Shape of one entry (all entries share it). */
  #shape: number[] | null = null;
  #spillError: string | null = null;
  #spillReported = false;
  #diskLimitReached = false;
  #diskLimitReported = false;
  readonly #stats: FeatureCacheStats = { memoryEntries: 0, memoryBytes: 0, diskEntries: 0, diskBytes: 0, hits: 0, misses: 0 };

  constructor(o: FeatureCacheOptions) {
    if (!(o.memoryBytes >= 0)) throw new Error(`feature cache: memory budget must be >= 0 bytes, got ${o.memoryBytes}`);
    this.#o = o;
    this.stage = o.stage;
    this.storage = STORAGE[o.dtype];
  }

  /** Why writing to the spill folder failed (then nothing more is spilled), or null. */
  get spillError(): string | null {
    return this.#spillError;
  }

  /** spillError the first time it is asked for after the failure, null before and after (to report it once). */
  takeSpillError(): string | null {
    if (this.#spillError === null || this.#spillReported) return null;
    this.#spillReported = true;
    return this.#spillError;
  }

  /** Once, after the spill folder reached its limit: how much it holds (then null again). */
  takeDiskLimitNotice(): string | null {
    if (!this.#diskLimitReached || this.#diskLimitReported) return null;
    this.#diskLimitReported = true;
    const b = this.#stats.diskBytes;
    const size = b < 1 << 20 ? `${b} bytes` : `${(b / (1 << 20)).toFixed(0)} MB`;
    return `${this.#stats.diskEntries} views (${size}) in its spill folder reached featureCache.diskMB`;
  }

  get stats(): FeatureCacheStats {
    return { ...this.#stats };
  }
  get size(): number {
    return this.#mem.size + this.#disk.size;
  }

  has(key: string): boolean {
    return this.#mem.has(key) || this.#disk.has(key);
  }
  hasAll(keys: readonly string[]): boolean {
    return keys.every((k) => this.has(k));
  }

  #file(key: string): string {
    return path.join(this.#o.dir!, createHash('sha256').update(key).digest('hex').slice(0, 32) + '.bin');
  }

  /** Stores row i of `batch` under keys[i] (rows already present are left alone). */
  put(keys: readonly string[], batch: Tensor): void {
    if (batch.size(0) !== keys.length) throw new Error(`feature cache: ${keys.length} keys for a batch of ${batch.size(0)}`);
    const rowShape = batch.shape.slice(1);
    if (this.#shape === null) this.#shape = rowShape;
    else if (rowShape.join(',') !== this.#shape.join(',')) {
      throw new Error(`feature cache (${this.stage}): entries of shape [${rowShape}] cannot join entries of shape [${this.#shape}]`);
    }
    const rowBytes = rowShape.reduce((a, b) => a * b, 1) * elementSize(this.storage);
    // Inside a scope: every temporary (row views, dtype conversions, CPU copies) is freed at the end;
    // only the kept memory entries survive.
    scope(() => keys.forEach((key, i) => {
      if (this.has(key)) return;
      // A contiguous copy of its own: a view would keep the whole batch's storage alive.
      const stored = batch.select(0, i).to(this.storage).contiguous().clone();
      if (this.#stats.memoryBytes + rowBytes <= this.#o.memoryBytes) {
        this.#mem.set(key, keep(stored));
        this.#stats.memoryEntries++;
        this.#stats.memoryBytes += rowBytes;
        return;
      }
      if (this.#o.dir === null || this.#spillError !== null) return;
      if (this.#stats.diskBytes + rowBytes > (this.#o.diskBytes ?? Infinity)) {
        this.#diskLimitReached = true;
        return;
      }
      const bits = stored.to('cpu').data();
      const file = this.#file(key);
      try {
        fs.mkdirSync(this.#o.dir, { recursive: true });
        fs.writeFileSync(file, new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength));
      } catch (e) {
        // A full disk (or an unwritable folder) must not end the run: what does not fit is computed again
        // when needed, as without a spill folder. No further writes are tried.
        try { fs.rmSync(file, { force: true }); } catch { /* the folder itself is unusable */ }
        this.#spillError = (e as Error).message;
        return;
      }
      this.#disk.add(key);
      this.#stats.diskEntries++;
      this.#stats.diskBytes += rowBytes;
    }));
  }

  /** The entries of `keys` stacked into one float32 batch on the cache's device. Throws on a missing key. */
  get(keys: readonly string[]): Tensor {
    if (keys.length === 0) throw new Error('feature cache: get() of no keys');
    const rows: Tensor[] = [];
    const loaded: Tensor[] = []; // rows read from disk for this call (memory rows belong to the cache)
    try {
      for (const key of keys) {
        const m = this.#mem.get(key);
        if (m) {
          this.#stats.hits++;
          rows.push(m);
        } else {
          const t = this.#load(key);
          loaded.push(t);
          rows.push(t);
        }
      }
      const stacked = stack(rows);
      if (stacked.dtype === 'float32') return stacked;
      const out = stacked.to('float32');
      stacked.dispose();
      return out;
    } finally {
      for (const t of loaded) t.dispose();
    }
  }

  #load(key: string): Tensor {
    if (!this.#disk.has(key)) {
      this.#stats.misses++;
      throw new Error(`feature cache (${this.stage}): no entry for view '${key}'`);
    }
    const file = this.#file(key);
    const buf = fs.readFileSync(file);
    const shape = this.#shape!;
    const expected = shape.reduce((a, b) => a * b, 1) * elementSize(this.storage);
    if (buf.byteLength !== expected) throw new Error(`feature cache: ${file} has ${buf.byteLength} bytes, expected ${expected}`);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const typed = this.storage === 'float32'
      ? new Float32Array(bytes.slice().buffer)
      : new Uint16Array(bytes.slice().buffer);
    let t = tensor(typed, { shape, dtype: this.storage });
    if (this.#o.device !== 'cpu') {
      const moved = t.to(this.#o.device);
      t.dispose();
      t = moved;
    }
    this.#stats.hits++;
    return t;
  }

  /** Frees the memory entries and removes the spill folder. */
  dispose(): void {
    for (const t of this.#mem.values()) t.dispose();
    this.#mem.clear();
    this.#disk.clear();
    if (this.#o.dir === null) return;
    try {
      fs.rmSync(this.#o.dir, { recursive: true, force: true });
    } catch (e) {
      // A folder that could not be written may not be removable either; one under a file never existed.
      if (this.#spillError === null && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
    }
  }
}
