// Cache of decoded-and-resized uint8 images. Entries live in memory until a byte budget is reached;
// after that they go to files in a cache folder (if one is given), else they are not kept. Nothing is
// evicted: an epoch touches every image once, so any eviction order would just thrash.
//
// Disk entries are keyed by a hash of (format version, transform, file path, size, mtime, ctime, inode), so a
// cache folder can be shared by runs: a changed file or a different image size never returns stale pixels.
// Each entry carries a header that is checked before its pixels are trusted.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dicomWindowsKey, type DicomWindow } from './dicom.js';
import { writeFileAtomicAsync } from '../io/atomic.js';
import type { RawImage } from './decode.js';

const MAGIC = 0x43494c54; // 'TLIC' little-endian
const VERSION = 1;
const HEADER_BYTES = 16;
const MAX_SIDE = 1 << 15;

export interface ImageCacheOptions {
  /** In-memory budget in bytes (default: 2 GiB or a quarter of RAM, whichever is smaller). */
  memoryBytes?: number;
  /** Folder for entries beyond the memory budget (made with the first of them); none: those entries are not cached. */
  dir?: string | null;
  /**
   * Called once if an entry cannot be written to `dir` (a full disk, say). The cache then stops writing
   * there and keeps working: what is not in memory is decoded again when it is needed.
   */
  onDiskError?: (reason: string) => void;
}

export interface CacheStats {
  memoryHits: number; diskHits: number; misses: number;
  memoryEntries: number; memoryBytes: number; diskEntries: number; diskBytes: number;
  /** Disk entries found unreadable or inconsistent (then treated as misses). */
  badEntries: number;
}

// v2: JPEGs decoded at full size before shrinking (v1 entries came from libjpeg's shrink-on-load).
// v3: stamps carry ctime and inode besides size and mtime.
const KEY_FORMAT = 'v3';

/** What a file stamp is made of (fs.Stats has all of it). */
export interface FileStat { size: number; mtimeMs: number; ctimeMs: number; ino: number | bigint }

/**
 * File identity for cache keys: a changed file never hits a stale entry. Size and mtime alone miss a file
 * replaced by another of the same name and byte size with its mtime kept (cp -p, rsync -t, touch -r, unzip;
 * uncompressed PNG/TIFF of one size all have one byte size): QA 7a got the old pixels back. Writing a file or
 * setting its times sets its ctime to now, which no user tool can set back, and a file renamed over another has
 * a new inode; both come with the same stat call, so they cost nothing. A chmod also changes the ctime (a miss,
 * harmless).
 */
export function fileStamp(file: string, st: FileStat): string {
  return `${st.size}|${st.mtimeMs}|${st.ctimeMs}|${st.ino}|${file}`;
}

/** Key of a file's eval-transform image (size×size, after the resize mode; a DICOM file's after the model's windows). */
export function evalCacheKey(stamp: string, imageSize: number, resize: string, windows?: readonly DicomWindow[] | null): string {
  return `eval|${KEY_FORMAT}|${imageSize}|${resize}${dicomWindowsKey(windows)}|${stamp}`;
}

/** Key of a file's base image for random-resized-crop (shorter side capped at maxShortSide). */
export function baseCacheKey(stamp: string, maxShortSide: number, windows?: readonly DicomWindow[] | null): string {
  return `base|${KEY_FORMAT}|${maxShortSide}${dicomWindowsKey(windows)}|${stamp}`;
}

export function defaultCacheBytes(): number {
  return Math.min(2 * 1024 ** 3, Math.floor(os.totalmem() / 4));
}

export class ImageCache {
  readonly memoryBudget: number;
  readonly dir: string | null;
  /** Why the cache stopped writing to `dir` (null while it writes). */
  diskError: string | null = null;
  private readonly onDiskError?: (reason: string) => void;
  private readonly mem = new Map<string, RawImage>();
  private readonly onDisk = new Set<string>();
  private readonly stats_: CacheStats = {
    memoryHits: 0, diskHits: 0, misses: 0, memoryEntries: 0, memoryBytes: 0, diskEntries: 0, diskBytes: 0, badEntries: 0,
  };

  constructor(opts: ImageCacheOptions = {}) {
    const budget = opts.memoryBytes ?? defaultCacheBytes();
    if (!(budget >= 0)) throw new Error(`cache memory budget must be >= 0 bytes, got ${budget}`);
    this.memoryBudget = budget;
    this.dir = opts.dir ?? null;
    this.onDiskError = opts.onDiskError;
  }

  get stats(): CacheStats { return { ...this.stats_ }; }

  private fileOf(key: string): string {
    return path.join(this.dir!, createHash('sha256').update(key).digest('hex').slice(0, 40) + '.rgb');
  }

  /** The cached image for key, or undefined. Looks in memory, then (if configured) on disk. */
  async get(key: string): Promise<RawImage | undefined> {
    const m = this.mem.get(key);
    if (m) { this.stats_.memoryHits++; return m; }
    if (this.dir) {
      let buf: Buffer | undefined;
      try { buf = await readFile(this.fileOf(key)); } catch { buf = undefined; }
      if (buf) {
        const img = decodeEntry(buf);
        if (img) { this.stats_.diskHits++; return img; }
        this.stats_.badEntries++;
      }
    }
    this.stats_.misses++;
    return undefined;
  }

  /** Stores an image: in memory while the budget allows, else on disk (atomically), else nowhere. Never throws for the disk. */
  async set(key: string, img: RawImage): Promise<void> {
    if (this.mem.has(key) || this.onDisk.has(key)) return;
    const bytes = img.data.byteLength;
    if (this.stats_.memoryBytes + bytes <= this.memoryBudget) {
      // Keep a copy only when the pixels are a view into a larger allocation (which they would pin).
      const own = img.data.byteOffset === 0 && img.data.buffer.byteLength === bytes;
      this.mem.set(key, { data: own ? img.data : new Uint8Array(img.data), width: img.width, height: img.height });
      this.stats_.memoryBytes += bytes; this.stats_.memoryEntries++;
      return;
    }
    if (!this.dir || this.diskError !== null) return;
    this.onDisk.add(key);
    try {
      // Made when first needed: a cache that never spills (or a start refused before it does) leaves no folder.
      if (this.stats_.diskEntries === 0) mkdirSync(this.dir, { recursive: true });
      await writeFileAtomicAsync(this.fileOf(key), encodeEntry(img));
    } catch (e) {
      this.onDisk.delete(key);
      if (this.diskError === null) {
        this.diskError = `cannot write to ${this.dir}: ${(e as Error).message}`;
        this.onDiskError?.(this.diskError);
      }
      return;
    }
    this.stats_.diskEntries++; this.stats_.diskBytes += HEADER_BYTES + bytes;
  }

  /** Whether set() would keep an entry of this many pixel bytes now (in memory, or on disk). */
  hasRoomFor(bytes: number): boolean {
    return (this.dir !== null && this.diskError === null) || this.stats_.memoryBytes + bytes <= this.memoryBudget;
  }

  /** Drops the in-memory entries (disk entries stay). */
  clearMemory(): void {
    this.mem.clear();
    this.stats_.memoryBytes = 0; this.stats_.memoryEntries = 0;
  }
}

function encodeEntry(img: RawImage): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + img.data.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true); dv.setUint32(4, VERSION, true);
  dv.setUint32(8, img.width, true); dv.setUint32(12, img.height, true);
  out.set(img.data, HEADER_BYTES);
  return out;
}

/** Parses a disk entry; undefined when the header or the length does not check out. */
function decodeEntry(buf: Buffer): RawImage | undefined {
  if (buf.byteLength < HEADER_BYTES) return undefined;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0, true) !== MAGIC || dv.getUint32(4, true) !== VERSION) return undefined;
  const width = dv.getUint32(8, true), height = dv.getUint32(12, true);
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) return undefined;
  if (buf.byteLength !== HEADER_BYTES + width * height * 3) return undefined;
  return { data: new Uint8Array(buf.buffer, buf.byteOffset + HEADER_BYTES, width * height * 3), width, height };
}
