// Byte builders for the hostile-input corpus (test/hostile/*.ts): safetensors files with forged headers,
// pickles spelled opcode by opcode, zip archives whose directories lie, PNG and JPEG headers that declare
// huge images. Each builder writes exactly the bytes it is asked for and checks nothing: the point is to
// give tlearn what a careless or malicious writer would. Nothing here ever unpickles or decodes.
import fs from 'node:fs';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { saveCheckpoint } from '../../src/io/checkpoint.js';
import { buildZip } from '../../src/io/zip.js';

const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
const u64 = (n: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(n); return b; };

/** n float32 zeros as bytes. */
export const f32 = (n: number) => new Uint8Array(4 * n);

/**
 * A safetensors file: the 8-byte header length, the header (an object is JSON-encoded, a string is taken as
 * is), then `data`. `declaredLength` replaces the true header length in the first 8 bytes.
 */
export function safetensorsBytes(header: unknown, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  return Buffer.concat([u64(declaredLength ?? BigInt(json.length)), json, data]);
}

/** Pickle opcodes, each as bytes (see CPython's Lib/pickletools.py for their meaning). */
export const pk = {
  proto: (v: number) => Buffer.from([0x80, v]),
  /** FRAME (protocol 4): a length hint for what follows. */
  frame: (n: number) => Buffer.concat([Buffer.from([0x95]), u64(BigInt(n))]),
  /** GLOBAL: pushes module.name, resolved by the unpickler (Python imports the module). */
  global: (module: string, name: string) => Buffer.from(`c${module}\n${name}\n`, 'utf8'),
  /** INST: calls module.name with the items above the mark (protocol 0 object creation). */
  inst: (module: string, name: string) => Buffer.from(`i${module}\n${name}\n`, 'utf8'),
  /** BINUNICODE: a str. */
  str: (s: string) => { const b = Buffer.from(s, 'utf8'); return Buffer.concat([Buffer.from([0x58]), u32(b.length), b]); },
  /** An int: BININT1, BININT, or LONG1 (8 bytes) beyond 32 bits. */
  int: (n: number) => {
    if (n >= 0 && n < 256) return Buffer.from([0x4b, n]);
    if (n >= -(2 ** 31) && n < 2 ** 31) { const b = Buffer.alloc(5); b[0] = 0x4a; b.writeInt32LE(n, 1); return b; }
    const b = Buffer.alloc(10); b[0] = 0x8a; b[1] = 8; b.writeBigInt64LE(BigInt(n), 2); return b;
  },
  /** EXT1: object number n of the copyreg extension registry. */
  ext1: (n: number) => Buffer.from([0x82, n]),
  mark: Buffer.from('('),
  tuple: Buffer.from('t'),
  tuple1: Buffer.from([0x85]),
  tuple2: Buffer.from([0x86]),
  emptyTuple: Buffer.from(')'),
  emptyList: Buffer.from(']'),
  emptyDict: Buffer.from('}'),
  setitem: Buffer.from('s'),
  setitems: Buffer.from('u'),
  dup: Buffer.from('2'),
  reduce: Buffer.from('R'),
  build: Buffer.from('b'),
  obj: Buffer.from('o'),
  stackGlobal: Buffer.from([0x93]),
  memoize: Buffer.from([0x94]),
  binpersid: Buffer.from('Q'),
  false: Buffer.from([0x89]),
  stop: Buffer.from('.'),
};

export const pickle = (...ops: Uint8Array[]): Buffer => Buffer.concat(ops);

/**
 * `torch._utils._rebuild_tensor_v2(<storage `key` of n elements>, 0, shape, stride, False, OrderedDict())`,
 * as torch.save pickles a tensor (a float tensor unless another storage class is named).
 */
export function pickledTensor(key: string, n: number, shape: number[], stride: number[], storageClass = 'FloatStorage'): Buffer {
  const ints = (xs: number[]) => pickle(pk.mark, ...xs.map(pk.int), pk.tuple);
  return pickle(
    pk.global('torch._utils', '_rebuild_tensor_v2'), pk.mark,
    pk.mark, pk.str('storage'), pk.global('torch', storageClass), pk.str(key), pk.str('cpu'), pk.int(n), pk.tuple, pk.binpersid,
    pk.int(0), ints(shape), ints(stride), pk.false, pk.global('collections', 'OrderedDict'), pk.emptyTuple, pk.reduce,
    pk.tuple, pk.reduce,
  );
}

/** A torch.save-style zip archive: archive/data.pkl, archive/data/<key> for each storage, version and byteorder. */
export function torchZip(pkl: Uint8Array, storages: Record<string, Uint8Array> = {}): Buffer {
  const records = [
    { name: 'archive/data.pkl', data: pkl },
    ...Object.entries(storages).map(([k, data]) => ({ name: `archive/data/${k}`, data })),
    { name: 'archive/version', data: Buffer.from('3\n') },
    { name: 'archive/byteorder', data: Buffer.from('little') },
  ];
  return Buffer.concat(buildZip(records));
}

export interface RawZipEntry {
  name: string;
  /** The bytes stored in the archive (already compressed when `method` is 8). */
  data: Uint8Array;
  /** 0 stored, 8 deflate. */
  method?: number;
  /** The uncompressed size the headers declare (default data.length). */
  declaredSize?: number;
  /** The compressed size the headers declare (default data.length). */
  declaredCompressedSize?: number;
  /** General purpose flags (bit 0: encrypted). */
  flags?: number;
}

/**
 * A zip archive written field by field, so that its headers may lie: the declared uncompressed size is
 * whatever the entry says, the CRC is that of the data as stored. `count` replaces the entry count in the
 * end-of-central-directory record.
 */
export function rawZip(entries: RawZipEntry[], count = entries.length): Buffer {
  const locals: Uint8Array[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const crc = zlib.crc32(e.data) >>> 0;
    const fields = (h: Buffer, at: number) => {
      h.writeUInt16LE(e.flags ?? 0, at - 2);
      h.writeUInt16LE(e.method ?? 0, at);
      h.writeUInt32LE(crc, at + 6);
      h.writeUInt32LE(e.declaredCompressedSize ?? e.data.length, at + 10);
      h.writeUInt32LE(e.declaredSize ?? e.data.length, at + 14);
      h.writeUInt16LE(name.length, at + 18);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    fields(local, 8);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    fields(c, 10);
    c.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    central.push(c, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(count, 8);
  eocd.writeUInt16LE(count, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(td) >>> 0);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, td, crc]);
}

/**
 * A grey 8-bit PNG that declares width × height pixels but holds only the first `rows` rows of zeros (a
 * valid zlib stream, a few KB): what a decompression bomb looks like to a decoder reading its header.
 */
export function pngDeclaring(width: number, height: number, rows = 16): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const idat = zlib.deflateSync(Buffer.alloc(rows * (width + 1)), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A real 16×16 JPEG whose start-of-frame header is rewritten to declare width × height. */
export async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const jpg = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#3366cc' } }).jpeg({ quality: 90 }).toBuffer();
  for (let i = 2; i + 9 < jpg.length; i++) {
    // SOF0 / SOF2 (baseline, progressive): FF Cx, length, precision, height, width.
    if (jpg[i] === 0xff && (jpg[i + 1] === 0xc0 || jpg[i + 1] === 0xc2)) {
      jpg.writeUInt16BE(height, i + 5);
      jpg.writeUInt16BE(width, i + 7);
      return jpg;
    }
  }
  throw new Error('no start-of-frame marker in the JPEG that sharp wrote');
}

/** A small real PNG (a gradient, so it does not compress to nothing), for cutting short. */
export async function smallPng(size = 64): Promise<Buffer> {
  const raw = Buffer.alloc(size * size * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) & 0xff;
  return sharp(raw, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
}

/**
 * A small checkpoint as tlearn writes one (the head's tensors and tlearn metadata) in the format of `file`'s
 * extension, as bytes: the starting point of the damaged and truncated ones.
 */
export function smallCheckpoint(file: string): Buffer {
  const t = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)).fill(7) });
  const tensors = new Map([['fc.1.weight', t([1, 512])], ['fc.1.bias', t([1])], ['bn1.running_mean', t([64])]]);
  saveCheckpoint(file, tensors, { kind: 'tlearn.binary-classifier', arch: 'resnet18', classes: ['cat', 'dog'], imageSize: 32 });
  return fs.readFileSync(file);
}
