// safetensors reader and writer (huggingface/safetensors spec): u64 LE header size N, N bytes of JSON
// header, then the data block. Everything in the header is validated before any tensor is exposed, and
// tensors are returned as views into the file buffer (no copy).
import * as fs from 'node:fs';
import {
  byteLength, checkRawTensor, dtypeFromSafetensors, dtypeSize, DTYPE_NAMES, safetensorsCode,
  type RawTensor, type StateDictRecords,
} from './dtypes.js';
import { jsonObjectEntries } from './json-entries.js';
import { writeFileAtomic } from './atomic.js';

/** The reference implementation's MAX_HEADER_SIZE. */
export const MAX_HEADER_SIZE = 100_000_000;

export interface SafetensorsContents {
  tensors: StateDictRecords;
  /** The `__metadata__` string→string map (empty when absent). */
  metadata: Record<string, string>;
}

const SUPPORTED = DTYPE_NAMES.map(safetensorsCode).join(', ');
const KNOWN_UNSUPPORTED = new Set(['U16', 'U32', 'U64', 'C64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'F4', 'F6_E2M3', 'F6_E3M2']);

/** Parses a whole safetensors file held in memory. `source` names the file in error messages. */
export function parseSafetensors(buf: Uint8Array, source = '<buffer>'): SafetensorsContents {
  const bad = (what: string): never => { throw new Error(`${source}: not a valid safetensors file: ${what}`); };
  if (buf.length === 0) bad('the file is empty (0 bytes)');
  if (buf.length < 8) bad(`file is ${buf.length} bytes, shorter than the 8-byte header length`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_SIZE)) bad(`header length ${n64} exceeds the limit of ${MAX_HEADER_SIZE} bytes`);
  const n = Number(n64);
  if (8 + n > buf.length) bad(`header length ${n} runs past the end of the ${buf.length}-byte file (truncated?)`);
  if (n < 2) bad(`header length ${n} is too small for a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n));
  } catch { return bad('header is not valid UTF-8'); }
  if (text[0] !== '{') bad("header does not start with '{'");

  let entries: Array<[string, string]>;
  try { entries = jsonObjectEntries(text); } catch (e) { return bad(`header: ${(e as Error).message}`); }

  const dataStart = 8 + n;
  const dataLen = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  type Pending = { name: string; dtype: RawTensor['dtype']; shape: number[]; begin: number; end: number };
  const pending: Pending[] = [];
  for (const [name, raw] of entries) {
    let v: unknown;
    try { v = JSON.parse(raw); } catch { return bad(`header entry ${JSON.stringify(name)} is not valid JSON`); }
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) bad('__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v as object)) {
        if (typeof s !== 'string') bad(`__metadata__[${JSON.stringify(k)}] must be a string, got ${typeof s}`);
        metadata[k] = s;
      }
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(`${where}: entry must be an object`);
    const info = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info.dtype !== 'string') bad(`${where}: missing "dtype" string`);
    const dtype = dtypeFromSafetensors(info.dtype as string);
    if (!dtype) {
      bad(`${where}: ${KNOWN_UNSUPPORTED.has(info.dtype as string) ? 'unsupported' : 'unknown'} dtype ${JSON.stringify(info.dtype)} (supported: ${SUPPORTED})`);
    }
    if (!Array.isArray(info.shape)) bad(`${where}: missing "shape" array`);
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      bad(`${where}: "data_offsets" must be two non-negative integers`);
    }
    const [begin, end] = offs as [number, number];
    if (begin > end) bad(`${where}: data_offsets [${begin}, ${end}] are reversed`);
    if (end > dataLen) bad(`${where}: data_offsets end ${end} is past the end of the ${dataLen}-byte data block (truncated?)`);
    let bytes: number;
    try { bytes = byteLength(dtype!, info.shape as unknown[], where); } catch (e) { return bad((e as Error).message); }
    if (end - begin !== bytes) {
      bad(`${where}: ${end - begin} bytes in data_offsets, but ${info.dtype}[${(info.shape as number[]).join(', ')}] needs ${bytes}`);
    }
    pending.push({ name, dtype: dtype!, shape: (info.shape as number[]).slice(), begin, end });
  }

  // The data block must be covered exactly: no holes, no overlaps, nothing after the last tensor.
  const byOffset = pending.map((p, i) => ({ p, i })).sort((a, b) => a.p.begin - b.p.begin || a.p.end - b.p.end || a.i - b.i);
  let cursor = 0;
  for (const { p } of byOffset) {
    if (p.begin < cursor) bad(`tensor ${JSON.stringify(p.name)}: data [${p.begin}, ${p.end}) overlaps the previous tensor (ends at ${cursor})`);
    if (p.begin > cursor) bad(`tensor ${JSON.stringify(p.name)}: hole in the data block between ${cursor} and ${p.begin}`);
    cursor = p.end;
  }
  if (cursor !== dataLen) bad(`data block is ${dataLen} bytes but tensors cover ${cursor} (trailing bytes or truncated file)`);

  const tensors: StateDictRecords = new Map();
  for (const p of pending) {
    tensors.set(p.name, { dtype: p.dtype, shape: p.shape, data: buf.subarray(dataStart + p.begin, dataStart + p.end) });
  }
  return { tensors, metadata };
}

/** Reads a safetensors file. Tensor data are views into one buffer holding the whole file. */
export function readSafetensors(file: string): SafetensorsContents {
  return parseSafetensors(fs.readFileSync(file), file);
}

/** Byte-wise UTF-8 comparison, the order of Rust's `String` (the reference writer's tie-break). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Serializes to the chunks of a safetensors file (header, then each tensor's bytes as given, no copy).
 * Layout follows the reference writer: tensors sorted by descending dtype alignment, then name; header
 * padded with spaces to a multiple of 8 bytes so every tensor starts naturally aligned.
 */
export function serializeSafetensors(tensors: StateDictRecords, metadata: Record<string, string> = {}): Uint8Array[] {
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`safetensors metadata value for ${JSON.stringify(k)} must be a string`);
  }
  if (tensors.has('__metadata__')) throw new Error("a tensor cannot be named '__metadata__' in safetensors");
  const names = [...tensors.keys()];
  for (const name of names) checkRawTensor(name, tensors.get(name)!);
  names.sort((a, b) => dtypeSize(tensors.get(b)!.dtype) - dtypeSize(tensors.get(a)!.dtype) || compareUtf8(a, b));

  // Built entry by entry: JSON.stringify of one object would move integer-like names ("0") first.
  const parts: string[] = [];
  if (Object.keys(metadata).length > 0) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const info = { dtype: safetensorsCode(t.dtype), shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += t.data.length;
  }
  const body = `{${parts.join(',')}}`;
  let json = Buffer.from(body, 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  if (json.length > MAX_HEADER_SIZE) throw new Error(`safetensors header would be ${json.length} bytes, over the ${MAX_HEADER_SIZE} limit`);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return [len, json, ...names.map((n) => tensors.get(n)!.data)];
}

/** Writes a safetensors file atomically. */
export function writeSafetensors(file: string, tensors: StateDictRecords, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}
