// Forged safetensors files: every field of the header lies in turn (its length, the offsets, the shapes, the
// dtype, the JSON itself). Each is refused while the header is read, before a byte of tensor data is used or
// anything is allocated from a declared size, with exit 2 and a message naming the file and the field.
import fs from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './case.js';
import { f32, safetensorsBytes } from '../helpers/hostile-bytes.js';
import { readingModel, wroteNothing, type ModelCommand } from '../helpers/hostile-commands.js';

/** A case: `bytes` saved as model.safetensors and given to `command`; the message must name the file. */
function forged(name: string, command: ModelCommand, bytes: () => Buffer, gist: RegExp): HostileCase {
  return {
    name: `${name}, to ${command}`,
    async setup(dir) {
      fs.writeFileSync(path.join(dir, 'model.safetensors'), bytes());
      return readingModel(dir, command, 'model.safetensors');
    },
    code: 2,
    message: new RegExp(`model\\.safetensors: not a valid safetensors file: .*${gist.source}`),
    after: wroteNothing,
  };
}

const w = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

export const cases: HostileCase[] = [
  forged('a header length past the end of the file', 'predict',
    () => safetensorsBytes({ w: w(0, 16) }, f32(4), 5000n), /header length 5000 runs past the end of the \d+-byte file/),
  forged('a header length of 2^64 - 1', 'evaluate',
    () => safetensorsBytes({ w: w(0, 16) }, f32(4), 2n ** 64n - 1n), /header length 18446744073709551615 exceeds the limit of 100000000 bytes/),
  forged('a header length just under the limit (99,999,999) in a small file', 'export',
    () => safetensorsBytes({ w: w(0, 16) }, f32(4), 99_999_999n), /header length 99999999 runs past the end/),
  forged('data_offsets past the end of the data', 'predict',
    () => safetensorsBytes({ w: w(0, 4000) }, f32(4)), /tensor "w": data_offsets end 4000 is past the end of the 16-byte data block/),
  forged('a tensor declaring 4 PB of data', 'train --weights',
    () => safetensorsBytes({ w: w(0, 4e15, [1e15]) }, f32(4)), /tensor "w": data_offsets end 4000000000000000 is past the end/),
  forged('reversed data_offsets', 'export',
    () => safetensorsBytes({ w: { dtype: 'F32', shape: [4], data_offsets: [16, 0] } }, f32(4)), /data_offsets \[16, 0\] are reversed/),
  forged('negative data_offsets', 'predict',
    () => safetensorsBytes({ w: { dtype: 'F32', shape: [4], data_offsets: [-16, 0] } }, f32(4)), /"data_offsets" must be two non-negative integers/),
  forged('two tensors whose data overlap', 'evaluate',
    () => safetensorsBytes({ a: w(0, 16), b: w(8, 24) }, f32(6)), /tensor "b": data \[8, 24\) overlaps the previous tensor/),
  forged('two tensors sharing the same bytes', 'predict',
    () => safetensorsBytes({ a: w(0, 16), b: w(0, 16) }, f32(4)), /overlaps the previous tensor/),
  forged('a hole between two tensors', 'export',
    () => safetensorsBytes({ a: w(0, 16), b: w(32, 48) }, f32(12)), /hole in the data block between 16 and 32/),
  forged('bytes after the last tensor', 'predict',
    () => safetensorsBytes({ a: w(0, 16) }, f32(8)), /data block is 32 bytes but tensors cover 16/),
  forged('a shape whose size is not the bytes given (F32[3, 3] in 16 bytes)', 'evaluate',
    () => safetensorsBytes({ w: w(0, 16, [3, 3]) }, f32(4)), /tensor "w": 16 bytes in data_offsets, but F32\[3, 3\] needs 36/),
  forged('a shape whose element count overflows', 'predict',
    () => safetensorsBytes({ w: w(0, 16, [2 ** 40, 2 ** 40]) }, f32(4)), /element count overflows/),
  forged('a negative dimension', 'export',
    () => safetensorsBytes({ w: w(0, 16, [-4]) }, f32(4)), /dimension -4 is not a non-negative integer/),
  forged('an unknown dtype', 'predict',
    () => safetensorsBytes({ w: { dtype: 'Q7', shape: [4], data_offsets: [0, 16] } }, f32(4)), /tensor "w": unknown dtype "Q7" \(supported: F32, /),
  forged('a dtype tlearn does not support (F8_E4M3)', 'train --weights',
    () => safetensorsBytes({ w: { dtype: 'F8_E4M3', shape: [16], data_offsets: [0, 16] } }, f32(4)), /unsupported dtype "F8_E4M3"/),
  forged('a header that is not JSON', 'predict',
    () => safetensorsBytes('{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]', f32(4)), /header: invalid JSON at offset \d+/),
  forged('a header that is a JSON array', 'export',
    () => safetensorsBytes('[1, 2, 3]', f32(4)), /header does not start with '\{'/),
  forged('a header that is not UTF-8', 'predict',
    () => Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])]),
    /header is not valid UTF-8/),
  forged('__metadata__ holding a number instead of strings', 'evaluate',
    () => safetensorsBytes({ __metadata__: { classes: 2 }, w: w(0, 16) }, f32(4)), /__metadata__\["classes"\] must be a string, got number/),
  forged('a tensor entry that is not an object', 'predict',
    () => safetensorsBytes({ w: 'F32' }, f32(4)), /tensor "w": entry must be an object/),
];
