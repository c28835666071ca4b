// A minimal protocol-2 pickle writer, limited to the opcodes that torch 1.13's weights_only unpickler
// understands (no SHORT_BINUNICODE, no BINFLOAT: they came later), so files load on every torch ≥ 1.13.
// Globals and repeated strings are memoized with BINPUT/BINGET like Python's pickler, to keep files small.

const enc = new TextEncoder();

export class Pickler {
  private parts: Uint8Array[] = [];
  private memo = new Map<string, number>();

  constructor() { this.op(0x80, 2); } // PROTO 2

  private op(...b: number[]): void { this.parts.push(Uint8Array.from(b)); }
  private raw(b: Uint8Array): void { this.parts.push(b); }

  private u32(n: number): Uint8Array {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    return b;
  }

  /** Pushes from the memo if `key` was stored before; otherwise emits and stores it. */
  private memoized(key: string, emit: () => void): void {
    const i = this.memo.get(key);
    if (i !== undefined) {
      if (i < 256) this.op(0x68, i); else { this.op(0x6a); this.raw(this.u32(i)); }
      return;
    }
    emit();
    const id = this.memo.size;
    this.memo.set(key, id);
    if (id < 256) this.op(0x71, id); else { this.op(0x72); this.raw(this.u32(id)); }
  }

  global(module: string, name: string): this {
    this.memoized(`g:${module}\n${name}`, () => { this.op(0x63); this.raw(enc.encode(`${module}\n${name}\n`)); });
    return this;
  }

  str(s: string): this {
    // Short strings that repeat (dtype keys, 'storage', 'cpu') are memoized; names are written inline.
    const emit = () => { const b = enc.encode(s); this.op(0x58); this.raw(this.u32(b.length)); this.raw(b); };
    if (s.length <= 16) this.memoized(`s:${s}`, emit); else emit();
    return this;
  }

  int(n: number | bigint): this {
    if (typeof n === 'number' && !Number.isSafeInteger(n)) throw new Error(`pickler: ${n} is not an integer`);
    const v = BigInt(n);
    if (v >= 0n && v < 256n) this.op(0x4b, Number(v));
    else if (v >= 0n && v < 65536n) this.op(0x4d, Number(v) & 0xff, Number(v) >> 8);
    else if (v >= -(2n ** 31n) && v < 2n ** 31n) {
      const b = new Uint8Array(5); b[0] = 0x4a; new DataView(b.buffer).setInt32(1, Number(v), true); this.raw(b);
    } else {
      // LONG1: little-endian two's complement, as few bytes as keep the sign.
      const out: number[] = [];
      let x = v;
      for (;;) {
        out.push(Number(x & 0xffn));
        x >>= 8n;
        if ((x === 0n && !(out[out.length - 1] & 0x80)) || (x === -1n && (out[out.length - 1] & 0x80))) break;
      }
      this.op(0x8a, out.length, ...out);
    }
    return this;
  }

  bool(b: boolean): this { this.op(b ? 0x88 : 0x89); return this; }
  none(): this { this.op(0x4e); return this; }
  mark(): this { this.op(0x28); return this; }
  tuple(): this { this.op(0x74); return this; }
  emptyTuple(): this { this.op(0x29); return this; }
  emptyDict(): this { this.op(0x7d); return this; }
  reduce(): this { this.op(0x52); return this; }
  build(): this { this.op(0x62); return this; }
  binpersid(): this { this.op(0x51); return this; }
  setitem(): this { this.op(0x73); return this; }
  setitems(): this { this.op(0x75); return this; }

  /** Tuple of small ints (a size or stride). */
  intTuple(xs: readonly number[]): this {
    if (xs.length === 0) return this.emptyTuple();
    this.mark();
    for (const x of xs) this.int(x);
    return this.tuple();
  }

  /** `collections.OrderedDict()`. */
  orderedDict(): this { return this.global('collections', 'OrderedDict').emptyTuple().reduce(); }

  /** STOP, and the whole pickle as one buffer. */
  finish(): Uint8Array {
    this.op(0x2e);
    const total = this.parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}
