// Reader for torch.save files: the zip format (PyTorch ≥ 1.6) and the older "legacy" stream of pickles.
// The pickle goes through the restricted VM; storages are views into the file buffer, checked against
// the sizes the pickle claims; tensors are materialized contiguous (views when possible).
import * as fs from 'node:fs';
import { dtypeSize, type RawTensor, type StateDictRecords } from './dtypes.js';
import { unpickle } from './pickle.js';
import { describe, storageClassDType } from './pickle-globals.js';
import { PyDict, PyGlobal, PyStorage, PyTensor } from './pickle-types.js';
import { byteSwap, checkGatherSize, GATHER_FLOOR_BYTES, gatheredBytes, materializeStrided } from './strided.js';
import { readZipEntries, zipEntryData, type ZipEntry } from './zip.js';

export interface PthContents {
  /** The unpickled object, with PyTensor leaves. */
  root: unknown;
  format: 'zip' | 'legacy';
}

export interface PthReadOptions {
  /** Check the CRC-32 of every record used (default true; costs a pass over the data). */
  verifyCrc?: boolean;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const ZIP_SIGNATURE = Uint8Array.of(0x50, 0x4b, 0x03, 0x04);
const LEGACY_PROTOCOL = 1001;

function storageFromPid(pid: readonly unknown[], where: string): { dtype: RawTensor['dtype']; key: string; location: string; numel: number } {
  if (pid.length < 5) throw new Error(`${where}: storage persistent id has ${pid.length} fields, expected 5`);
  const [, type, key, location, numel] = pid;
  const dtype = storageClassDType(type, where);
  if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(key)) throw new Error(`${where}: bad storage key ${JSON.stringify(key)}`);
  if (typeof location !== 'string') throw new Error(`${where}: storage location must be a string`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw new Error(`${where}: bad storage size ${String(numel)}`);
  return { dtype, key, location, numel };
}

function parseZipPth(buf: Uint8Array, source: string, verifyCrc: boolean): PthContents {
  const entries = readZipEntries(buf, source);
  if (entries.length === 0) throw new Error(`${source}: empty zip archive, not a torch.save file`);
  // The top folder is the saved file's basename (or 'archive'): take it from the first record.
  const slash = entries[0].name.indexOf('/');
  if (slash <= 0) throw new Error(`${source}: zip records are not in a folder; not a torch.save file`);
  const prefix = entries[0].name.slice(0, slash + 1);
  const byName = new Map<string, ZipEntry>(entries.map((e) => [e.name, e]));
  const record = (name: string): Uint8Array | undefined => {
    const e = byName.get(prefix + name);
    return e ? zipEntryData(buf, e, source, verifyCrc) : undefined;
  };
  const pkl = record('data.pkl');
  if (!pkl) {
    if (byName.has(prefix + 'constants.pkl') || byName.has(prefix + 'code/')) {
      throw new Error(`${source}: this is a TorchScript archive (torch.jit.save); save the model's state_dict with torch.save instead`);
    }
    throw new Error(`${source}: zip archive has no ${prefix}data.pkl; not a torch.save file`);
  }
  const order = record('byteorder');
  const orderText = order ? Buffer.from(order).toString('latin1').trim() : 'little';
  if (orderText !== 'little' && orderText !== 'big') throw new Error(`${source}: unknown byteorder record ${JSON.stringify(orderText)}`);

  const storages = new Map<string, PyStorage>();
  // Storage records are checked against their CRC-32 once the pickle is read, so that a damaged record is
  // reported as such, not as a rejected pickle.
  const used: ZipEntry[] = [];
  const persistentLoad = (pid: readonly unknown[]): PyStorage => {
    // The unpickler's message already names the file.
    const s = storageFromPid(pid, 'storage persistent id');
    const known = storages.get(s.key);
    if (known) {
      if (known.dtype !== s.dtype || known.numel !== s.numel) throw new Error(`storage '${s.key}' is referenced with two different types or sizes`);
      return known;
    }
    const entry = byName.get(`${prefix}data/${s.key}`);
    if (!entry) throw new Error(`storage record ${prefix}data/${s.key} is missing from the archive`);
    const es = dtypeSize(s.dtype);
    if (entry.size !== s.numel * es) {
      throw new Error(`storage '${s.key}' is ${entry.size} bytes but the pickle declares ${s.numel} ${s.dtype} elements (${s.numel * es} bytes)`);
    }
    let data = zipEntryData(buf, entry, source, false);
    used.push(entry);
    if (orderText === 'big') data = byteSwap(data, es);
    const st = new PyStorage(s.dtype, s.key, s.location, s.numel, data);
    storages.set(s.key, st);
    return st;
  };
  const { value } = unpickle(pkl, { source: `${source} (${prefix}data.pkl)`, persistentLoad });
  if (verifyCrc) for (const e of used) zipEntryData(buf, e, source, true);
  return { root: value, format: 'zip' };
}

function parseLegacyPth(buf: Uint8Array, source: string): PthContents {
  const where = `${source} (legacy torch.save format)`;
  const magic = unpickle(buf, { source: where });
  if (magic.value !== LEGACY_MAGIC) throw new Error(`${source}: not a torch.save file (bad magic number)`);
  const proto = unpickle(buf, { start: magic.end, source: where });
  if (proto.value !== LEGACY_PROTOCOL) throw new Error(`${where}: unsupported protocol version ${String(proto.value)}`);
  const sys = unpickle(buf, { start: proto.end, source: where });
  const little = sys.value instanceof PyDict ? sys.value.get('little_endian') : undefined;
  if (typeof little !== 'boolean') throw new Error(`${where}: system info record is malformed`);

  const storages = new Map<string, PyStorage>();
  const persistentLoad = (pid: readonly unknown[]): PyStorage => {
    const s = storageFromPid(pid, 'storage persistent id');
    if (pid.length > 5 && pid[5] !== null) throw new Error('storage views (pre-0.4 checkpoints) are not supported');
    const known = storages.get(s.key);
    if (known) {
      if (known.dtype !== s.dtype || known.numel !== s.numel) throw new Error(`storage '${s.key}' is referenced with two different types or sizes`);
      return known;
    }
    const st = new PyStorage(s.dtype, s.key, s.location, s.numel);
    storages.set(s.key, st);
    return st;
  };
  const main = unpickle(buf, { start: sys.end, source: where, persistentLoad });
  const keys = unpickle(buf, { start: main.end, source: where });
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) throw new Error(`${where}: storage key list is malformed`);
  // Storage data follow in the listed order, each as an int64 element count then the raw bytes.
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const st = storages.get(key);
    if (!st) throw new Error(`${where}: data for storage '${key}', which no tensor uses`);
    if (pos + 8 > buf.length) throw new Error(`${where}: truncated before the data of storage '${key}'`);
    const n = dv.getBigInt64(pos, little);
    if (n !== BigInt(st.numel)) throw new Error(`${where}: storage '${key}' holds ${n} elements but the pickle declares ${st.numel}`);
    pos += 8;
    const es = dtypeSize(st.dtype);
    const bytes = st.numel * es;
    if (pos + bytes > buf.length) throw new Error(`${where}: truncated in the data of storage '${key}'`);
    st.data = little ? buf.subarray(pos, pos + bytes) : byteSwap(buf.subarray(pos, pos + bytes), es);
    pos += bytes;
  }
  for (const [key, st] of storages) if (!st.data) throw new Error(`${where}: no data for storage '${key}'`);
  return { root: main.value, format: 'legacy' };
}

/** Parses a torch.save file held in memory (zip or legacy format). */
export function parsePth(buf: Uint8Array, source = '<buffer>', opts: PthReadOptions = {}): PthContents {
  if (buf.length === 0) throw new Error(`${source}: the file is empty (0 bytes), not a PyTorch checkpoint`);
  // The zip signature PK\x03\x04, or its first bytes only (a file cut short): the zip reader says which.
  if (ZIP_SIGNATURE.subarray(0, Math.min(4, buf.length)).every((b, i) => buf[i] === b)) {
    return parseZipPth(buf, source, opts.verifyCrc ?? true);
  }
  if (buf.length >= 2 && buf[0] === 0x80 && buf[1] <= 5) return parseLegacyPth(buf, source);
  if (buf.length > 262 && Buffer.from(buf.subarray(257, 262)).toString('latin1') === 'ustar') {
    throw new Error(`${source}: tar-format torch checkpoints (PyTorch < 0.4) are not supported; load and re-save it with a recent PyTorch`);
  }
  throw new Error(`${source}: not a PyTorch checkpoint (neither a torch.save zip archive nor a legacy pickle)`);
}

/** Materializes one pickled tensor as a contiguous RawTensor. */
export function materializeTensor(t: PyTensor, what: string): RawTensor {
  const st = t.storage;
  if (!st.data) throw new Error(`${what}: storage '${st.key}' has no data`);
  // An untyped (byte) storage reinterpreted as another dtype: its element count is bytes / size.
  const es = dtypeSize(t.dtype);
  const numel = t.dtype === st.dtype ? st.numel : st.data.length / es;
  return materializeStrided(what, t.dtype, st.data, numel, t.offset, t.shape, t.stride);
}

export interface StateDictResult {
  tensors: StateDictRecords;
  /** JSON metadata tlearn stored in the OrderedDict's `tlearn_metadata` attribute (empty when absent). */
  metadata: Record<string, unknown>;
  /** The other entries of a checkpoint dict that wraps the state_dict (epoch, optimizer, ...), as plain data. */
  extra: Record<string, unknown>;
  /** Which top-level key held the state_dict, or null when the file is the state_dict itself. */
  stateDictKey: string | null;
}

/** The attribute of the root OrderedDict where tlearn keeps its metadata (a JSON string). */
export const METADATA_ATTRIBUTE = 'tlearn_metadata';

const WRAPPER_KEYS = ['state_dict', 'model_state_dict', 'model', 'module', 'net', 'network', 'weights', 'params'];

function tensorDict(v: unknown): boolean {
  if (!(v instanceof PyDict) || v.size === 0) return false;
  for (const [k, x] of v) if (typeof k !== 'string' || !(x instanceof PyTensor)) return false;
  return true;
}

/** What converting one file's values may still make; `copies` holds each tensor copied so far, made once. */
export interface PlainBudget { nodes: number; copies?: Map<PyTensor, RawTensor> }

/** Converts unpickled data to plain JS for metadata: dicts → objects, tuples → arrays, tensors → RawTensor. */
export function toPlain(v: unknown, what = 'value', budget: PlainBudget = { nodes: 0 }): unknown {
  return plain(v, what, 0, new Set(), budget);
}

// Shared references make a small pickle a huge tree (a list holding the same list twice, 64 levels
// deep): conversion is bounded in depth and in the total number of nodes produced.
const MAX_PLAIN_NODES = 1_000_000;

/** A tensor materialized once however often the pickle references it (a shared view is copied once). */
function materializeOnce(t: PyTensor, what: string, copies: Map<PyTensor, RawTensor> | undefined): RawTensor {
  let r = copies?.get(t);
  if (!r) { r = materializeTensor(t, what); copies?.set(t, r); }
  return r;
}

/** Every distinct tensor reachable from `v` through dicts, lists, tuples and sets, each container walked once. */
function reachableTensors(v: unknown): PyTensor[] {
  const seen = new Set<unknown>();
  const found = new Set<PyTensor>();
  const stack = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x instanceof PyTensor) { found.add(x); continue; }
    if (x === null || typeof x !== 'object' || seen.has(x)) continue;
    seen.add(x);
    if (Array.isArray(x) || x instanceof Set) for (const y of x) stack.push(y);
    else if (x instanceof PyDict) for (const [, y] of x) stack.push(y);
  }
  return [...found];
}

/**
 * Checks, before anything is copied, what the file's non-contiguous views will take once copied out of their
 * storages (`views`: each tensor with its name for messages). A permuted view (e.g. channels_last) copies at
 * most its storage, so the total may be the storages' size plus GATHER_FLOOR_BYTES for views that repeat
 * elements (stride 0, as expand() saves). Each view alone is limited by materializeStrided, but a few-KB file
 * of many expanded views would still allocate gigabytes.
 */
function checkGatheredTotal(views: Array<[string, PyTensor]>, source: string): void {
  const storages = new Set<PyStorage>();
  let need = 0;
  for (const [what, t] of views) {
    storages.add(t.storage);
    const bytes = gatheredBytes(what, t.dtype, t.shape, t.stride);
    if (bytes > 0) checkGatherSize(what, bytes, t.storage.data?.length ?? 0);
    need += bytes;
  }
  let held = 0;
  for (const st of storages) held += st.data?.length ?? 0;
  if (need > held + GATHER_FLOOR_BYTES) {
    throw new Error(`${source}: non-contiguous tensor views would take ${need} bytes once copied, from storages of ${held} bytes: too large to materialize`);
  }
}

function plain(v: unknown, what: string, depth: number, active: Set<unknown>, budget: PlainBudget): unknown {
  if (depth > 64) throw new Error(`${what}: nested too deeply`);
  if (++budget.nodes > MAX_PLAIN_NODES) throw new Error(`${what}: more than ${MAX_PLAIN_NODES} values`);
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v;
  if (v instanceof Uint8Array) return v;
  if (v instanceof PyTensor) return materializeOnce(v, what, budget.copies);
  if (v instanceof PyGlobal) return v.path;
  if (active.has(v)) throw new Error(`${what}: contains a reference cycle`);
  active.add(v);
  try {
    if (Array.isArray(v)) return v.map((x, i) => plain(x, `${what}[${i}]`, depth + 1, active, budget));
    if (v instanceof Set) return [...v].map((x, i) => plain(x, `${what}{${i}}`, depth + 1, active, budget));
    if (v instanceof PyDict) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of v) o[String(k)] = plain(x, `${what}[${JSON.stringify(String(k))}]`, depth + 1, active, budget);
      return o;
    }
  } finally { active.delete(v); }
  return describe(v);
}

function readMetadataAttribute(d: PyDict, source: string): Record<string, unknown> {
  const raw = d.attributes.get(METADATA_ATTRIBUTE);
  if (raw === undefined) return {};
  if (typeof raw !== 'string') throw new Error(`${source}: ${METADATA_ATTRIBUTE} must be a JSON string`);
  try {
    const m = JSON.parse(raw);
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new Error('not an object');
    return m as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${source}: ${METADATA_ATTRIBUTE} is not a JSON object (${(e as Error).message})`);
  }
}

/**
 * Finds the state_dict in an unpickled checkpoint: the root itself when it maps names to tensors, else
 * the entry of a wrapping dict ('state_dict', 'model_state_dict', 'model', ...) that does.
 */
export function extractStateDict(root: unknown, source = '<checkpoint>'): StateDictResult {
  if (!(root instanceof PyDict)) throw new Error(`${source}: the checkpoint holds ${describe(root)}, not a dict of tensors (state_dict)`);
  let sd: PyDict | undefined;
  let stateDictKey: string | null = null;
  if (tensorDict(root)) sd = root as PyDict;
  else {
    for (const k of WRAPPER_KEYS) if (tensorDict(root.get(k))) { sd = root.get(k) as PyDict; stateDictKey = k; break; }
    if (!sd) {
      const candidates = [...root].filter(([k, v]) => typeof k === 'string' && tensorDict(v));
      if (candidates.length === 1) { sd = candidates[0][1] as PyDict; stateDictKey = candidates[0][0] as string; }
    }
  }
  const extra: Record<string, unknown> = {};
  const budget: PlainBudget = { nodes: 0, copies: new Map() };
  if (!sd) {
    // A dict mixing tensors and other values at the top: keep the tensors, report the rest.
    const tensorKeys = [...root].filter(([k, v]) => typeof k === 'string' && v instanceof PyTensor);
    if (tensorKeys.length === 0) {
      const keys = [...root.keys()].map((k) => JSON.stringify(String(k))).slice(0, 20).join(', ');
      throw new Error(`${source}: no state_dict found: the top-level dict has keys ${keys || '(none)'} and none maps names to tensors`);
    }
    sd = root;
  }
  // Every view the file holds, the state_dict's by name, is accounted for before any is copied.
  const named = new Map<PyTensor, string>();
  for (const [k, v] of sd) if (v instanceof PyTensor && typeof k === 'string' && !named.has(v)) named.set(v, `${source}: tensor '${k}'`);
  for (const t of reachableTensors(root)) if (!named.has(t)) named.set(t, `${source}: a tensor outside the state_dict`);
  checkGatheredTotal([...named].map(([t, what]) => [what, t]), source);
  const tensors: StateDictRecords = new Map();
  for (const [k, v] of sd) {
    if (v instanceof PyTensor && typeof k === 'string') tensors.set(k, materializeOnce(v, `${source}: tensor '${k}'`, budget.copies));
    else extra[String(k)] = toPlain(v, `${source}: entry '${String(k)}'`, budget);
  }
  if (sd !== root) {
    for (const [k, v] of root) if (v !== sd) extra[String(k)] = toPlain(v, `${source}: entry '${String(k)}'`, budget);
  }
  const metadata = readMetadataAttribute(sd, source);
  return { tensors, metadata, extra, stateDictKey };
}

/** Reads a .pth/.pt/.bin file and extracts its state_dict (see extractStateDict). */
export function readPth(file: string, opts: PthReadOptions = {}): StateDictResult {
  const buf = fs.readFileSync(file);
  return extractStateDict(parsePth(buf, file, opts).root, file);
}
