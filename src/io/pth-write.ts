// Writer for torch.save's zip format, producing files that `torch.load(path, weights_only=True)` returns
// as an OrderedDict of tensors (torch 1.13 and 2.x), ready for `load_state_dict(strict=True)`.
// Layout as torch writes it: <prefix>/data.pkl (protocol 2), <prefix>/data/<key> per storage,
// <prefix>/version "3\n", <prefix>/byteorder "little"; record data aligned to 64 bytes.
import * as path from 'node:path';
import { checkRawTensor, numel, storageClassName, type StateDictRecords } from './dtypes.js';
import { writeFileAtomic } from './atomic.js';
import { Pickler } from './pickler.js';
import { METADATA_ATTRIBUTE } from './pth-read.js';
import { contiguousStrides } from './strided.js';
import { buildZip, type ZipRecordIn } from './zip.js';

export interface PthWriteOptions {
  /** JSON-serializable metadata, stored as a JSON string in the OrderedDict attribute `tlearn_metadata`. */
  metadata?: Record<string, unknown>;
  /** Top folder inside the archive; torch uses the file's basename without extension. */
  archiveName?: string;
  /** Write ZIP64 records even for small files (for testing readers). */
  forceZip64?: boolean;
}

/** torch's archive name for a file path: the basename up to its last dot. */
export function archiveNameFor(file: string): string {
  const base = path.basename(file);
  const dot = base.lastIndexOf('.');
  const name = dot > 0 ? base.slice(0, dot) : base;
  return name.length > 0 ? name : 'archive';
}

/** The pickle of an OrderedDict of `_rebuild_tensor_v2` calls over persistent storages "0", "1", ... */
export function picklePthStateDict(tensors: StateDictRecords, storageKeys: string[], metadata?: Record<string, unknown>): Uint8Array {
  const p = new Pickler();
  p.orderedDict();
  if (tensors.size > 0) {
    p.mark();
    let i = 0;
    for (const [name, t] of tensors) {
      const key = storageKeys[i++];
      p.str(name);
      p.global('torch._utils', '_rebuild_tensor_v2');
      p.mark();
      // persistent id: ('storage', torch.<X>Storage, key, 'cpu', numel)
      p.mark().str('storage').global('torch', storageClassName(t.dtype)).str(key).str('cpu')
        .int(numel(t.shape)).tuple();
      p.binpersid();
      p.int(0).intTuple(t.shape).intTuple(contiguousStrides(t.shape)).bool(false).orderedDict();
      p.tuple().reduce();
    }
    p.setitems();
  }
  if (metadata && Object.keys(metadata).length > 0) {
    // BUILD on an OrderedDict sets attributes; weights_only accepts it (that is how `_metadata` travels).
    let json: string;
    try { json = JSON.stringify(metadata); } catch (e) { throw new Error(`checkpoint metadata is not JSON-serializable: ${(e as Error).message}`); }
    p.emptyDict().str(METADATA_ATTRIBUTE).str(json).setitem().build();
  }
  return p.finish();
}

/** The chunks of a torch.save zip file holding `tensors` (each tensor its own storage). */
export function serializePth(tensors: StateDictRecords, opts: PthWriteOptions = {}): Uint8Array[] {
  const prefix = opts.archiveName ?? 'archive';
  if (!/^[^/\\]+$/.test(prefix)) throw new Error(`invalid archive name ${JSON.stringify(prefix)}`);
  const keys: string[] = [];
  const data: ZipRecordIn[] = [];
  let i = 0;
  for (const [name, t] of tensors) {
    checkRawTensor(name, t);
    const key = String(i++);
    keys.push(key);
    data.push({ name: `${prefix}/data/${key}`, data: t.data });
  }
  const pkl = picklePthStateDict(tensors, keys, opts.metadata);
  const enc = new TextEncoder();
  const records: ZipRecordIn[] = [
    { name: `${prefix}/data.pkl`, data: pkl },
    { name: `${prefix}/byteorder`, data: enc.encode('little') },
    ...data,
    { name: `${prefix}/version`, data: enc.encode('3\n') },
  ];
  return buildZip(records, { align: 64, forceZip64: opts.forceZip64 });
}

/** Writes a .pth file atomically (archive name from the file name, like torch.save). */
export function writePth(file: string, tensors: StateDictRecords, opts: PthWriteOptions = {}): void {
  writeFileAtomic(file, serializePth(tensors, { archiveName: archiveNameFor(file), ...opts }));
}
