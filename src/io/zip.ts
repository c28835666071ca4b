// The subset of ZIP that torch.save uses: stored (uncompressed) records, ZIP64 when large, record data
// aligned to 64 bytes by padding the local header's extra field. The reader validates every offset
// against the file before use; the writer produces chunks so large tensors are never concatenated.
import * as zlib from 'node:zlib';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

export interface ZipEntry {
  name: string;
  /** Absolute offset of the entry's data in the archive. */
  dataOffset: number;
  size: number;
  crc32: number;
}

export function crc32(data: Uint8Array): number {
  return zlib.crc32(data) >>> 0;
}

function u64(dv: DataView, at: number, what: string, bad: (w: string) => never): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(`${what} ${v} is out of range`);
  return Number(v);
}

/**
 * Lists the entries of a ZIP archive held in memory, validated: every record lies inside the file, only
 * stored (method 0), unencrypted entries, no duplicate names. `source` names the file in errors.
 */
export function readZipEntries(buf: Uint8Array, source = '<buffer>'): ZipEntry[] {
  const bad = (what: string): never => { throw new Error(`${source}: corrupt or truncated zip archive: ${what}`); };
  const len = buf.length;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (len < 22) bad(`file is only ${len} bytes`);

  // End of central directory: 22 bytes plus a comment of up to 65535 bytes, found from the end.
  let eocd = -1;
  for (let p = len - 22; p >= Math.max(0, len - 22 - U16_MAX); p--) {
    if (dv.getUint32(p, true) === SIG_EOCD && p + 22 + dv.getUint16(p + 20, true) <= len) { eocd = p; break; }
  }
  if (eocd < 0) bad('end of central directory not found');
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);

  // ZIP64: a locator right before the EOCD points at the ZIP64 EOCD record with 64-bit fields.
  if (eocd >= 20 && dv.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR) {
    const z = u64(dv, eocd - 12, 'ZIP64 end of central directory offset', bad);
    if (z + 56 > eocd - 20) bad(`ZIP64 end of central directory at ${z} is outside the file`);
    if (dv.getUint32(z, true) !== SIG_ZIP64_EOCD) bad('bad ZIP64 end of central directory signature');
    count = u64(dv, z + 32, 'entry count', bad);
    cdSize = u64(dv, z + 40, 'central directory size', bad);
    cdOffset = u64(dv, z + 48, 'central directory offset', bad);
  } else if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    bad('ZIP64 fields are used but the ZIP64 locator is missing');
  }
  if (cdOffset + cdSize > len) bad(`central directory [${cdOffset}, ${cdOffset + cdSize}) is outside the ${len}-byte file`);
  // Each central record is at least 46 bytes: bounds the loop before trusting `count`.
  if (count * 46 > cdSize) bad(`${count} entries cannot fit in a ${cdSize}-byte central directory`);

  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let p = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdEnd) bad(`central directory entry ${i} is truncated`);
    if (dv.getUint32(p, true) !== SIG_CENTRAL) bad(`bad central directory signature for entry ${i}`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let local = dv.getUint32(p + 42, true);
    const recEnd = p + 46 + nameLen + extraLen + commentLen;
    if (recEnd > cdEnd) bad(`central directory entry ${i} runs past the directory`);
    let name: string;
    try { name = utf8.decode(buf.subarray(p + 46, p + 46 + nameLen)); } catch { return bad(`entry ${i} has a name that is not UTF-8`); }
    // ZIP64 extended information: present fields follow in this order, only for those saturated above.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true);
      const sz = dv.getUint16(e + 2, true);
      if (e + 4 + sz > extraEnd) bad(`entry '${name}' has a malformed extra field`);
      if (id === 0x0001) {
        let q = e + 4;
        const take = (what: string): number => {
          if (q + 8 > e + 4 + sz) bad(`entry '${name}' has a short ZIP64 extra field`);
          const v = u64(dv, q, what, bad); q += 8; return v;
        };
        if (usize === U32_MAX) usize = take('uncompressed size');
        if (csize === U32_MAX) csize = take('compressed size');
        if (local === U32_MAX) local = take('local header offset');
      }
      e += 4 + sz;
    }
    if (flags & 1) bad(`entry '${name}' is encrypted`);
    if (method !== 0) bad(`entry '${name}' is compressed (method ${method}); torch.save archives store records uncompressed`);
    if (csize !== usize) bad(`entry '${name}' is stored but its sizes differ (${csize} vs ${usize})`);
    if (names.has(name)) bad(`duplicate entry '${name}'`);
    names.add(name);
    if (local + 30 > len) bad(`local header of '${name}' is outside the file`);
    if (dv.getUint32(local, true) !== SIG_LOCAL) bad(`bad local header signature for '${name}'`);
    const dataOffset = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (dataOffset + usize > len) bad(`data of '${name}' [${dataOffset}, ${dataOffset + usize}) runs past the end of the ${len}-byte file`);
    entries.push({ name, dataOffset, size: usize, crc32: crc });
    p = recEnd;
  }
  return entries;
}

/** The bytes of an entry (a view, no copy); checks the CRC-32 unless told not to. */
export function zipEntryData(buf: Uint8Array, entry: ZipEntry, source = '<buffer>', verifyCrc = true): Uint8Array {
  const data = buf.subarray(entry.dataOffset, entry.dataOffset + entry.size);
  if (verifyCrc && crc32(data) !== entry.crc32) {
    throw new Error(`${source}: corrupt zip archive: CRC-32 mismatch in '${entry.name}' (the file is damaged)`);
  }
  return data;
}

export interface ZipRecordIn {
  name: string;
  data: Uint8Array;
}

export interface ZipWriteOptions {
  /** Data alignment within the file (torch.save uses 64). */
  align?: number;
  /** Write ZIP64 structures even when not needed (they are always used when needed). */
  forceZip64?: boolean;
}

/**
 * Builds a stored ZIP archive as a list of chunks to write in order; record data are the given views.
 * Each local header's extra field is an "FB" block padded with 'Z' so the data start at a multiple of
 * `align`, like torch's writer.
 */
export function buildZip(records: ZipRecordIn[], opts: ZipWriteOptions = {}): Uint8Array[] {
  const align = opts.align ?? 64;
  const chunks: Uint8Array[] = [];
  const central: Buffer[] = [];
  const enc = new TextEncoder();
  let offset = 0;
  const seen = new Set<string>();
  for (const r of records) {
    if (seen.has(r.name)) throw new Error(`zip: duplicate record name '${r.name}'`);
    seen.add(r.name);
    const name = enc.encode(r.name);
    if (name.length > U16_MAX) throw new Error(`zip: record name too long: ${r.name.slice(0, 80)}...`);
    const size = r.data.length;
    const crc = crc32(r.data);
    const zip64 = opts.forceZip64 || size >= U32_MAX || offset >= U32_MAX;
    // Local ZIP64 extra carries both sizes; the local header's 32-bit fields are then saturated.
    const z64Local = zip64 ? 20 : 0;
    const base = offset + 30 + name.length + z64Local;
    const pad = (align - ((base + 4) % align)) % align;
    const extraLen = z64Local + 4 + pad;
    if (extraLen > U16_MAX) throw new Error('zip: extra field too long');
    const local = Buffer.alloc(30 + name.length + extraLen);
    local.writeUInt32LE(SIG_LOCAL, 0);
    local.writeUInt16LE(zip64 ? 45 : 20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10); // time/date: fixed for reproducible files
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(zip64 ? U32_MAX : size, 18);
    local.writeUInt32LE(zip64 ? U32_MAX : size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extraLen, 28);
    local.set(name, 30);
    let q = 30 + name.length;
    if (zip64) {
      local.writeUInt16LE(0x0001, q); local.writeUInt16LE(16, q + 2);
      local.writeBigUInt64LE(BigInt(size), q + 4); local.writeBigUInt64LE(BigInt(size), q + 12);
      q += 20;
    }
    local.write('FB', q, 'latin1');
    local.writeUInt16LE(pad, q + 2);
    local.fill('Z', q + 4, q + 4 + pad);
    chunks.push(local, r.data);

    // Central record: ZIP64 extra holds sizes and the local offset when they are saturated.
    const cz = zip64 ? 28 : 0;
    const c = Buffer.alloc(46 + name.length + cz);
    c.writeUInt32LE(SIG_CENTRAL, 0);
    c.writeUInt16LE(zip64 ? 45 : 20, 4); // version made by
    c.writeUInt16LE(zip64 ? 45 : 20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(0, 10);
    c.writeUInt32LE(0, 12);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(zip64 ? U32_MAX : size, 20);
    c.writeUInt32LE(zip64 ? U32_MAX : size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(cz, 30);
    c.writeUInt32LE(zip64 ? U32_MAX : offset, 42);
    c.set(name, 46);
    if (zip64) {
      const z = 46 + name.length;
      c.writeUInt16LE(0x0001, z); c.writeUInt16LE(24, z + 2);
      c.writeBigUInt64LE(BigInt(size), z + 4); c.writeBigUInt64LE(BigInt(size), z + 12);
      c.writeBigUInt64LE(BigInt(offset), z + 20);
    }
    central.push(c);
    offset += local.length + size;
  }
  const cdOffset = offset;
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  chunks.push(...central);
  const count = records.length;
  const zip64 = opts.forceZip64 || count >= U16_MAX || cdOffset + cdSize >= U32_MAX || cdOffset >= U32_MAX;
  if (zip64) {
    const z = Buffer.alloc(56 + 20);
    z.writeUInt32LE(SIG_ZIP64_EOCD, 0);
    z.writeBigUInt64LE(44n, 4); // size of the remaining record
    z.writeUInt16LE(45, 12); z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(count), 24);
    z.writeBigUInt64LE(BigInt(count), 32);
    z.writeBigUInt64LE(BigInt(cdSize), 40);
    z.writeBigUInt64LE(BigInt(cdOffset), 48);
    z.writeUInt32LE(SIG_ZIP64_LOCATOR, 56);
    z.writeBigUInt64LE(BigInt(cdOffset + cdSize), 64);
    z.writeUInt32LE(1, 72); // total disks
    chunks.push(z);
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(SIG_EOCD, 0);
  e.writeUInt16LE(zip64 ? U16_MAX : count, 8);
  e.writeUInt16LE(zip64 ? U16_MAX : count, 10);
  e.writeUInt32LE(zip64 ? U32_MAX : cdSize, 12);
  e.writeUInt32LE(zip64 ? U32_MAX : cdOffset, 16);
  chunks.push(e);
  return chunks;
}
