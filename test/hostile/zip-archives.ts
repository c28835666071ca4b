// .pth files whose zip container lies: zip bombs (a member that would inflate to 4 GiB, sizes past the end of
// the file, an entry count no directory can hold, 20 000 real entries), a central directory that points
// outside the file or at garbage, duplicate or encrypted entries, a damaged record. torch.save stores its
// records uncompressed, so tlearn never inflates anything; every size and offset is checked against the file
// before use. Each is refused with exit 2 and a message naming the file and the entry.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { HostileCase } from './case.js';
import { pickle, pk, rawZip, smallCheckpoint } from '../helpers/hostile-bytes.js';
import { readingModel, wroteNothing, type ModelCommand } from '../helpers/hostile-commands.js';
import { buildZip } from '../../src/io/zip.js';

/** An empty OrderedDict: the smallest data.pkl. */
const emptyStateDict = pickle(pk.proto(2), pk.global('collections', 'OrderedDict'), pk.emptyTuple, pk.reduce, pk.stop);

function archive(name: string, command: ModelCommand, bytes: (dir: string) => Buffer, gist: RegExp, after: HostileCase['after'] = wroteNothing): HostileCase {
  return {
    name: `${name}, to ${command}`,
    async setup(dir) {
      fs.writeFileSync(path.join(dir, 'model.pth'), bytes(dir));
      return readingModel(dir, command, 'model.pth');
    },
    code: 2,
    message: new RegExp(`model\\.pth: ${gist.source}`),
    after,
  };
}

const corrupt = (gist: RegExp) => new RegExp(`corrupt or truncated zip archive: ${gist.source}`);

/** Offsets of a zip's end record and central directory (no archive comment). */
function directory(zip: Buffer): { eocd: number; cd: number } {
  const eocd = zip.length - 22;
  return { eocd, cd: zip.readUInt32LE(eocd + 16) };
}

/** A valid small tlearn .pth (written in `dir`), then changed by `edit`. */
const edited = (edit: (zip: Buffer) => void) => (dir: string) => {
  const zip = smallCheckpoint(path.join(dir, 'model.pth'));
  edit(zip);
  return zip;
};

export const cases: HostileCase[] = [
  archive('a data.pkl deflated from 10 MB of zeros and declared 4 GiB', 'predict',
    () => rawZip([{ name: 'archive/data.pkl', data: zlib.deflateRawSync(Buffer.alloc(10_000_000)), method: 8, declaredSize: 0xfffffff0 }]),
    corrupt(/entry 'archive\/data\.pkl' is compressed \(method 8\); torch\.save archives store records uncompressed/)),
  archive('a stored member whose sizes both claim 4 GiB', 'evaluate',
    () => rawZip([{ name: 'archive/data.pkl', data: emptyStateDict, declaredSize: 0xfffffff0, declaredCompressedSize: 0xfffffff0 }]),
    corrupt(/data of 'archive\/data\.pkl' \[\d+, \d+\) runs past the end of the \d+-byte file/)),
  archive('an end record claiming 65 534 entries', 'export',
    () => rawZip([{ name: 'archive/data.pkl', data: emptyStateDict }], 65_534),
    corrupt(/65534 entries cannot fit in a \d+-byte central directory/)),
  archive('a ZIP64 end record claiming 2^40 entries', 'predict',
    () => {
      const zip = Buffer.concat(buildZip([{ name: 'archive/data.pkl', data: emptyStateDict }], { forceZip64: true }));
      const z64 = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]));
      zip.writeBigUInt64LE(2n ** 40n, z64 + 24);
      zip.writeBigUInt64LE(2n ** 40n, z64 + 32);
      return zip;
    },
    corrupt(/1099511627776 entries cannot fit in a \d+-byte central directory/)),
  archive('20 000 real entries beside an empty state_dict', 'predict',
    () => rawZip([
      { name: 'archive/data.pkl', data: emptyStateDict },
      ...Array.from({ length: 20_000 }, (_, i) => ({ name: `archive/data/${i}`, data: new Uint8Array(0) })),
    ]),
    /no state_dict found: the top-level dict has keys \(none\)/),
  archive('a central directory that starts past the end of the file', 'evaluate',
    edited((zip) => zip.writeUInt32LE(zip.length + 1000, directory(zip).eocd + 16)),
    corrupt(/central directory \[\d+, \d+\) is outside the \d+-byte file/)),
  archive('a central directory entry that is garbage', 'predict',
    edited((zip) => zip.fill(0x41, directory(zip).cd, directory(zip).cd + 4)),
    corrupt(/bad central directory signature for entry 0/)),
  archive('a local header offset past the end of the file', 'export',
    edited((zip) => zip.writeUInt32LE(0x7fffffff, directory(zip).cd + 42)),
    corrupt(/local header of '.*data\.pkl' is outside the file/)),
  archive('no end of central directory at all', 'predict',
    edited((zip) => zip.fill(0, zip.length - 22)),
    corrupt(/end of central directory not found/)),
  archive('two entries named data.pkl (readers may pick either)', 'evaluate',
    (dir) => rawZip([
      { name: 'archive/data.pkl', data: emptyStateDict },
      { name: 'archive/data.pkl', data: pickle(pk.proto(2), pk.global('os', 'system'), pk.str(`touch ${path.join(dir, 'PWNED')}`), pk.tuple1, pk.reduce, pk.stop) },
    ]),
    corrupt(/duplicate entry 'archive\/data\.pkl'/)),
  archive('an encrypted entry', 'predict',
    () => rawZip([{ name: 'archive/data.pkl', data: emptyStateDict, flags: 1 }]),
    corrupt(/entry 'archive\/data\.pkl' is encrypted/)),
  archive('an entry name that is not UTF-8', 'export',
    () => { const zip = rawZip([{ name: 'archive/data.pkl', data: emptyStateDict }]); return zip.fill(0xff, directory(zip).cd + 46, directory(zip).cd + 47); },
    corrupt(/entry 0 has a name that is not UTF-8/)),
  archive('a tensor record whose bytes were changed (CRC-32 mismatch)', 'train --weights',
    edited((zip) => { const at = zip.indexOf(Buffer.from('data/0')); zip[zip.indexOf(7, at)] ^= 0x55; }),
    /corrupt zip archive: CRC-32 mismatch in 'model\/data\/0' \(the file is damaged\)/,
    (dir, r) => { wroteNothing(dir); assert.doesNotMatch(r.err, /pickle data rejected/, 'a damaged storage record is not a bad pickle'); }),
  archive('a zip whose records are not in a folder', 'predict',
    () => Buffer.concat(buildZip([{ name: 'data.pkl', data: emptyStateDict }])),
    /zip records are not in a folder; not a torch\.save file/),
  archive('a zip without data.pkl (an ordinary archive named .pth)', 'evaluate',
    () => Buffer.concat(buildZip([{ name: 'archive/weights.bin', data: emptyStateDict }, { name: 'archive/version', data: Buffer.from('3\n') }])),
    /zip archive has no .*data\.pkl; not a torch\.save file/),
];
