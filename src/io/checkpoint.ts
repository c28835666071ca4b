// One entry point for model files: saveCheckpoint/loadCheckpoint pick safetensors or torch.save's .pth
// format (by extension when writing, by content when reading) and carry tlearn's metadata (image size,
// classes, preprocessing...) inside the file: safetensors `__metadata__` (each value JSON-encoded), or
// for .pth an attribute of the state_dict's OrderedDict that weights_only loading accepts. A sidecar
// `<file>.json` can be written too; when present it is merged under the file's own metadata.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StateDictRecords } from './dtypes.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';
import { extractStateDict, parsePth } from './pth-read.js';
import { archiveNameFor, serializePth } from './pth-write.js';
import { writeFileAtomic } from './atomic.js';
import { checkRegularFileSync } from './regular-file.js';

export type CheckpointFormat = 'safetensors' | 'pth';

export interface Checkpoint {
  tensors: StateDictRecords;
  /** tlearn's metadata (empty for a plain state_dict without any). */
  metadata: Record<string, unknown>;
  /** Other entries of a wrapping checkpoint dict (epoch, optimizer state...) for .pth files. */
  extra: Record<string, unknown>;
  format: CheckpointFormat;
}

export interface SaveCheckpointOptions {
  /** Overrides the format implied by the extension. */
  format?: CheckpointFormat;
  /** Also write the metadata to `<file>.json`. */
  sidecar?: boolean;
}

const EXTENSIONS: Record<string, CheckpointFormat> = {
  '.safetensors': 'safetensors', '.pth': 'pth', '.pt': 'pth', '.bin': 'pth', '.ckpt': 'pth',
};

/** The format a file name implies, or throws listing the known extensions. */
export function checkpointFormatFor(file: string): CheckpointFormat {
  const f = EXTENSIONS[path.extname(file).toLowerCase()];
  if (!f) throw new Error(`${file}: unknown checkpoint extension; use one of ${Object.keys(EXTENSIONS).join(', ')}`);
  return f;
}

/** Recognises a checkpoint by its first bytes. */
export function detectCheckpointFormat(head: Uint8Array): CheckpointFormat | undefined {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'pth';
  if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return 'pth';
  if (head.length >= 9 && head[8] === 0x7b /* '{' */) {
    const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    if (n >= 2n && n <= 100_000_000n) return 'safetensors';
  }
  return undefined;
}

export function sidecarPath(file: string): string { return `${file}.json`; }

/** safetensors metadata is string→string: each value is stored JSON-encoded. */
export function encodeSafetensorsMetadata(meta: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (v === undefined) continue;
    const s = JSON.stringify(v);
    if (s === undefined) throw new Error(`checkpoint metadata '${k}' is not JSON-serializable`);
    out[k] = s;
  }
  return out;
}

/** Inverse of encodeSafetensorsMetadata; a value that is not JSON (other writers' "pt") stays a string. */
export function decodeSafetensorsMetadata(meta: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(meta)) {
    try { out[k] = JSON.parse(s); } catch { out[k] = s; }
  }
  return out;
}

function readSidecar(file: string): Record<string, unknown> | undefined {
  const p = sidecarPath(file);
  if (!fs.existsSync(p)) return undefined;
  checkRegularFileSync(p); // a FIFO would block the process for ever
  let v: unknown;
  try { v = JSON.parse(fs.readFileSync(p, 'utf8')); } catch (e) {
    throw new Error(`${p}: metadata sidecar is not valid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${p}: metadata sidecar must hold a JSON object`);
  return v as Record<string, unknown>;
}

/** Writes `tensors` and `metadata` to `file` (atomically) in the format its extension names. */
export function saveCheckpoint(
  file: string, tensors: StateDictRecords, metadata: Record<string, unknown> = {}, opts: SaveCheckpointOptions = {},
): CheckpointFormat {
  const format = opts.format ?? checkpointFormatFor(file);
  const chunks = format === 'safetensors'
    ? serializeSafetensors(tensors, encodeSafetensorsMetadata(metadata))
    : serializePth(tensors, { archiveName: archiveNameFor(file), metadata });
  writeFileAtomic(file, chunks);
  if (opts.sidecar) writeFileAtomic(sidecarPath(file), [Buffer.from(JSON.stringify(metadata, null, 2) + '\n')]);
  return format;
}

/**
 * Reads a checkpoint: safetensors, a torch.save zip (.pth/.pt/.bin) or a legacy torch.save file, whatever
 * its extension. For .pth the state_dict may be wrapped ({'model': ..., 'epoch': ...}).
 */
export function loadCheckpoint(file: string): Checkpoint {
  checkRegularFileSync(file, { folders: 'pass' }); // a FIFO would block the process for ever (a folder: EISDIR below)
  let buf: Buffer;
  try { buf = fs.readFileSync(file); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'ENOENT, the file does not exist' : code === 'EISDIR' ? 'EISDIR, this is a folder, not a file' : code ?? (e as Error).message;
    // The code stays on the error, as on Node's own, for callers that test for a missing file.
    throw Object.assign(new Error(`cannot read checkpoint ${file}: ${why}`, { cause: e }), code ? { code } : {});
  }
  const format = detectCheckpointFormat(buf) ?? EXTENSIONS[path.extname(file).toLowerCase()];
  if (!format) throw new Error(`${file}: not a checkpoint tlearn can read (expected safetensors or a PyTorch .pth file)`);
  let result: Checkpoint;
  if (format === 'safetensors') {
    const st = parseSafetensors(buf, file);
    result = { tensors: st.tensors, metadata: decodeSafetensorsMetadata(st.metadata), extra: {}, format };
  } else {
    const sd = extractStateDict(parsePth(buf, file).root, file);
    result = { tensors: sd.tensors, metadata: sd.metadata, extra: sd.extra, format };
  }
  // A sidecar fills in what the file lacks; the file's own metadata wins on conflicts.
  const side = readSidecar(file);
  if (side) result.metadata = { ...side, ...result.metadata };
  return result;
}
