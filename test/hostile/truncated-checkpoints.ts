// Checkpoints cut short, as an interrupted copy or download leaves them: a small tlearn checkpoint in each
// format, cut at several points (nothing left, a few bytes, inside the header, inside the tensor data, one
// byte short). Each is refused with exit 2 and a message that names the file and says it is truncated or not
// a checkpoint; nothing is written.
import fs from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './case.js';
import { smallCheckpoint } from '../helpers/hostile-bytes.js';
import { readingModel, wroteNothing, type ModelCommand } from '../helpers/hostile-commands.js';

/** Where to cut a file of `n` bytes, by name. */
type Cut = [string, (n: number) => number];

function cutShort(file: string, [where, at]: Cut, command: ModelCommand, gist: RegExp): HostileCase {
  return {
    name: `${file} cut ${where}, to ${command}`,
    async setup(dir) {
      const whole = smallCheckpoint(path.join(dir, file));
      fs.writeFileSync(path.join(dir, file), whole.subarray(0, at(whole.length)));
      return readingModel(dir, command, file);
    },
    code: 2,
    message: new RegExp(`${file.replace('.', '\\.')}: ${gist.source}`),
    after: wroteNothing,
  };
}

const COMMANDS: ModelCommand[] = ['predict', 'evaluate', 'export', 'train --weights'];

const safetensorsCuts: Array<[Cut, RegExp]> = [
  [['to nothing', () => 0], /not a valid safetensors file: the file is empty \(0 bytes\)/],
  [['to 5 bytes', () => 5], /not a valid safetensors file: file is 5 bytes, shorter than the 8-byte header length/],
  [['inside the header', () => 60], /not a valid safetensors file: header length \d+ runs past the end of the 60-byte file \(truncated\?\)/],
  [['inside the tensor data', (n) => n - 1000], /not a valid safetensors file: tensor ".*": data_offsets end \d+ is past the end of the \d+-byte data block \(truncated\?\)/],
  [['one byte short', (n) => n - 1], /not a valid safetensors file: tensor ".*": data_offsets end \d+ is past the end .*\(truncated\?\)/],
];

const pthCuts: Array<[Cut, RegExp]> = [
  [['to nothing', () => 0], /the file is empty \(0 bytes\), not a PyTorch checkpoint/],
  [['to 3 bytes ("PK\\x03")', () => 3], /corrupt or truncated zip archive: file is only 3 bytes/],
  [['inside the first record', () => 100], /corrupt or truncated zip archive: end of central directory not found/],
  [['inside the tensor data', (n) => Math.floor(n / 2)], /corrupt or truncated zip archive: end of central directory not found/],
  [['one byte short', (n) => n - 1], /corrupt or truncated zip archive: end of central directory not found/],
];

export const cases: HostileCase[] = [
  ...safetensorsCuts.map(([cut, gist], i) => cutShort('model.safetensors', cut, COMMANDS[i % 4]!, gist)),
  ...pthCuts.map(([cut, gist], i) => cutShort('model.pth', cut, COMMANDS[(i + 1) % 4]!, gist)),
];
