// A restricted pickle virtual machine. It understands the opcodes that torch.save (protocol 2) and newer
// pickle protocols (3-5) produce for checkpoints, resolves GLOBALs only from an allowlist equal to
// torch.load(weights_only=True)'s, and builds plain data: loading never runs any code from the file.
// Every read is bounds-checked, so a truncated or corrupt pickle gives an Error, never a crash.
import { callGlobal, describe, newObject, resolveGlobal } from './pickle-globals.js';
import { isList, isTuple, PyDict, PyGlobal } from './pickle-types.js';

export class PickleError extends Error {
  constructor(message: string) { super(message); this.name = 'PickleError'; }
}

export interface UnpickleOptions {
  /** Where to start reading (default 0). */
  start?: number;
  /** Name of the file, for error messages. */
  source?: string;
  /** Resolves a persistent id (BINPERSID); its first element has already been checked to be 'storage'. */
  persistentLoad?: (pid: readonly unknown[]) => unknown;
}

export interface UnpickleResult {
  value: unknown;
  /** Offset just after the STOP opcode (several pickles may follow each other in one file). */
  end: number;
}

const LONG_LIMIT = 256; // bytes: a longer integer is no checkpoint's business

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Runs the restricted VM over one pickle in `buf`. Throws PickleError naming the file and byte offset. */
export function unpickle(buf: Uint8Array, opts: UnpickleOptions = {}): UnpickleResult {
  const source = opts.source ?? '<pickle>';
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const end = buf.length;
  let pos = opts.start ?? 0;
  let opPos = pos;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const fail = (msg: string): never => { throw new PickleError(`${source}: pickle data rejected at byte ${opPos}: ${msg}`); };
  const need = (n: number): void => { if (n < 0 || pos + n > end) fail('unexpected end of data (truncated file?)'); };
  const u8 = () => { need(1); return buf[pos++]; };
  const u16 = () => { need(2); const v = dv.getUint16(pos, true); pos += 2; return v; };
  const i32 = () => { need(4); const v = dv.getInt32(pos, true); pos += 4; return v; };
  const u32 = () => { need(4); const v = dv.getUint32(pos, true); pos += 4; return v; };
  const u64 = () => {
    need(8);
    const v = dv.getBigUint64(pos, true); pos += 8;
    if (v > BigInt(end - pos)) fail(`length ${v} exceeds the remaining data`);
    return Number(v);
  };
  const bytes = (n: number) => { need(n); const b = buf.subarray(pos, pos + n); pos += n; return b; };
  const text = (n: number) => {
    const b = bytes(n);
    try { return utf8.decode(b); } catch { return fail('string is not valid UTF-8'); }
  };
  const line = () => {
    let i = pos;
    while (i < end && buf[i] !== 0x0a) i++;
    if (i >= end) fail('unterminated line in GLOBAL');
    const s = text(i - pos);
    pos++; // newline
    return s;
  };
  const push = (v: unknown) => { stack.push(v); };
  const pop = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) fail('no MARK on the stack');
    stack = prev!;
    return items;
  };
  const get = (i: number) => { if (!memo.has(i)) fail(`memo key ${i} is not defined`); return memo.get(i); };
  const put = (i: number) => { memo.set(i, top()); };
  const dictKey = (k: unknown): unknown => {
    if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return k;
    return fail(`unsupported dict key type (${describe(k)})`);
  };
  const setItems = (d: unknown, items: unknown[]) => {
    if (!(d instanceof PyDict)) fail(`SETITEM target is ${describe(d)}, not a dict`);
    for (let i = 0; i + 1 < items.length; i += 2) (d as PyDict).set(dictKey(items[i]), items[i + 1]);
    if (items.length % 2) fail('odd number of items for SETITEMS');
  };
  const appendTo = (l: unknown, items: unknown[]) => {
    if (!isList(l)) fail(`APPEND target is ${describe(l)}, not a list`);
    for (const it of items) (l as unknown[]).push(it);
  };
  const guard = <T>(f: () => T): T => {
    try { return f(); } catch (e) {
      if (e instanceof PickleError) throw e;
      return fail((e as Error).message);
    }
  };

  for (;;) {
    opPos = pos;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) fail(`unsupported pickle protocol ${v}`);
        break;
      }
      case 0x95: u64(); break; // FRAME: a framing hint; the data follow inline
      case 0x2e: { // STOP
        const value = pop();
        if (marks.length) fail('STOP with an unclosed MARK');
        return { value, end: pos };
      }
      case 0x28: marks.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      // Constants
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4a: push(i32()); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x8a: { const n = u8(); push(decodeLong(bytes(n))); break; } // LONG1
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0 || n > LONG_LIMIT) fail(`LONG4 of ${n} bytes is not supported`);
        push(decodeLong(bytes(n)));
        break;
      }
      case 0x47: { need(8); push(dv.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      // Strings and bytes
      case 0x58: push(text(u32())); break; // BINUNICODE
      case 0x8c: push(text(u8())); break; // SHORT_BINUNICODE
      case 0x8d: push(text(u64())); break; // BINUNICODE8
      case 0x54: { const n = i32(); if (n < 0) fail('negative BINSTRING length'); push(text(n)); break; } // BINSTRING
      case 0x55: push(text(u8())); break; // SHORT_BINSTRING (Python 2 str; torch decodes it as text)
      case 0x42: push(bytes(u32())); break; // BINBYTES
      case 0x43: push(bytes(u8())); break; // SHORT_BINBYTES
      case 0x8e: push(bytes(u64())); break; // BINBYTES8
      case 0x96: push(bytes(u64()).slice()); break; // BYTEARRAY8
      // Containers
      case 0x29: push(Object.freeze([])); break; // EMPTY_TUPLE
      case 0x74: push(Object.freeze(popMark())); break; // TUPLE
      case 0x85: push(Object.freeze([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); push(Object.freeze([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(Object.freeze([a, b, c])); break; } // TUPLE3
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x6c: push(popMark()); break; // LIST
      case 0x61: { const v = pop(); appendTo(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendTo(top(), items); break; } // APPENDS
      case 0x7d: push(new PyDict('dict')); break; // EMPTY_DICT
      case 0x64: { const items = popMark(); const d = new PyDict('dict'); setItems(d, items); push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x8f: push(new Set()); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail(`ADDITEMS target is ${describe(s)}, not a set`);
        for (const it of items) (s as Set<unknown>).add(dictKey(it));
        break;
      }
      case 0x91: push(new Set(popMark().map(dictKey))); break; // FROZENSET
      // Memo
      case 0x71: put(u8()); break; // BINPUT
      case 0x72: put(u32()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: push(get(u8())); break; // BINGET
      case 0x6a: push(get(u32())); break; // LONG_BINGET
      // The risky ones: resolved against the allowlist, interpreted as data
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        push(guard(() => resolveGlobal(module, name)));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        push(guard(() => resolveGlobal(module as string, name as string)));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = top();
        if (!(fn instanceof PyGlobal)) fail(`REDUCE on ${describe(fn)}, which is not an allowed callable`);
        if (!isTuple(args)) fail(`REDUCE arguments are ${describe(args)}, not a tuple`);
        stack[stack.length - 1] = guard(() => callGlobal(fn as PyGlobal, args as readonly unknown[]));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!isTuple(args)) fail('NEWOBJ arguments are not a tuple');
        push(guard(() => newObject(cls, args as readonly unknown[])));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const inst = top();
        // torch allows BUILD only to set attributes of an OrderedDict (its `_metadata`).
        if (!(inst instanceof PyDict) || inst.kind !== 'OrderedDict') fail(`BUILD on ${describe(inst)} is not allowed`);
        if (!(state instanceof PyDict)) fail(`BUILD state for an OrderedDict must be a dict, got ${describe(state)}`);
        for (const [k, v] of state as PyDict) {
          if (typeof k !== 'string') fail('OrderedDict attribute names must be strings');
          (inst as PyDict).attributes.set(k as string, v);
        }
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!isTuple(pid) || pid.length === 0) fail(`persistent id must be a non-empty tuple, got ${describe(pid)}`);
        const tag = (pid as readonly unknown[])[0];
        const tagText = tag instanceof Uint8Array ? Buffer.from(tag).toString('latin1') : tag;
        if (tagText !== 'storage') fail(`only persistent ids of storages are allowed, got ${JSON.stringify(String(tagText))}`);
        if (!opts.persistentLoad) fail('persistent id found but this pickle may not reference storages');
        push(guard(() => opts.persistentLoad!(pid as readonly unknown[])));
        break;
      }
      case 0x50: fail('text persistent ids (PERSID) are not allowed'); break;
      case 0x69: case 0x6f: case 0x92: fail(`opcode 0x${op.toString(16)} (object instantiation) is not allowed`); break;
      case 0x82: case 0x83: case 0x84: fail('extension registry opcodes (EXT1/2/4) are not allowed'); break;
      case 0x97: case 0x98: fail('out-of-band buffers are not supported'); break;
      default:
        fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')}${op >= 0x20 && op < 0x7f ? ` ('${String.fromCharCode(op)}')` : ''}`);
    }
  }
}
