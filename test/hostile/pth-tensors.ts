// .pth files whose pickle uses only allowed globals but whose tensors lie: a view reaching past its storage, a
// storage record of the wrong size, a bad storage key, and views with stride 0 (what expand() saves) that
// describe far more elements than their storage holds, alone, many of them, or one referenced a million
// times. Each is refused (exit 2, naming the file and the tensor) before the lie is acted on: nothing is
// read outside a storage and no huge copy is allocated.
import fs from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './case.js';
import { f32, pickle, pickledTensor, pk, torchZip } from '../helpers/hostile-bytes.js';
import { readingModel, wroteNothing, type ModelCommand } from '../helpers/hostile-commands.js';

const MiB = 1024 * 1024;

/** An OrderedDict state_dict pickle of these (name, pickled value) entries. */
function stateDict(entries: Array<[string, Buffer]>): Buffer {
  return pickle(pk.proto(2), pk.global('collections', 'OrderedDict'), pk.emptyTuple, pk.reduce, pk.mark,
    ...entries.flatMap(([k, v]) => [pk.str(k), v]), pk.setitems, pk.stop);
}

function lying(
  name: string, command: ModelCommand, pkl: () => Buffer, storages: Record<string, Uint8Array>, gist: RegExp, timeoutMs?: number,
): HostileCase {
  return {
    name: `${name}, to ${command}`,
    async setup(dir) {
      fs.writeFileSync(path.join(dir, 'model.pth'), torchZip(pkl(), storages));
      return readingModel(dir, command, 'model.pth');
    },
    code: 2,
    message: new RegExp(`model\\.pth.*: ${gist.source}`),
    after: wroteNothing,
    timeoutMs,
  };
}

/** Sixteen stride-0 views of 64 MiB each over one float (storage '0'): 1 GiB once copied, from a file of 2 KB. */
const expandedViews = Array.from({ length: 16 }, (_, i): [string, Buffer] => [`layer${i}.weight`, pickledTensor('0', 1, [16 * MiB], [0])]);

/** Doubles `x` (pickled) `levels` times: a tuple holding the level below twice. */
const doubled = (x: Buffer, levels: number) => pickle(x, ...Array.from({ length: levels }, () => pickle(pk.dup, pk.tuple2)));

export const cases: HostileCase[] = [
  lying('a tensor view reaching past the end of its storage', 'predict',
    () => stateDict([['fc.1.weight', pickledTensor('0', 4, [1, 2048], [2048, 1])]]), { '0': f32(4) },
    /tensor 'fc\.1\.weight': view \(offset 0, size \[1, 2048\], stride \[2048, 1\]\) reaches element 2047, outside its storage of 4 elements/),
  lying('a stride-0 view of 10^12 floats over a single float', 'evaluate',
    () => stateDict([['fc.1.weight', pickledTensor('0', 1, [1e12], [0])]]), { '0': f32(1) },
    /tensor 'fc\.1\.weight': non-contiguous view of 4000000000000 bytes over a 4-byte storage is too large to materialize/),
  lying('sixteen stride-0 views of 64 MiB over one float (1 GiB from 2 KB)', 'export',
    () => stateDict(expandedViews), { '0': f32(1) },
    /non-contiguous tensor views would take 1073741824 bytes once copied, from storages of 4 bytes: too large to materialize/, 10_000),
  lying('sixteen stride-0 views of 64 MiB in an entry beside the state_dict (an "optimizer")', 'predict',
    () => pickle(pk.proto(2), pk.emptyDict, pk.mark,
      pk.str('model'), stateDict([['fc.1.bias', pickledTensor('0', 1, [1], [1])]]).subarray(2, -1),
      pk.str('optimizer'), pk.mark, ...expandedViews.map(([, v]) => v), pk.tuple,
      pk.setitems, pk.stop),
    { '0': f32(1) },
    /non-contiguous tensor views would take 1073741824 bytes once copied, from storages of 4 bytes: too large to materialize/, 10_000),
  lying('a 16 MiB stride-0 view referenced 2^30 times through shared tuples', 'predict',
    () => stateDict([['fc.1.bias', pickledTensor('0', 1, [1], [1])], ['history', doubled(pickledTensor('1', 1, [4 * MiB], [0]), 30)]]),
    { '0': f32(1), '1': f32(1) }, /entry 'history'.*: more than 1000000 values/, 10_000),
  lying('a storage record shorter than the pickle declares', 'train --weights',
    () => stateDict([['fc.1.bias', pickledTensor('0', 4, [4], [1])]]), { '0': f32(2) },
    /storage '0' is 8 bytes but the pickle declares 4 float32 elements \(16 bytes\)/),
  lying('a storage declaring 2^50 elements', 'predict',
    () => stateDict([['fc.1.bias', pickledTensor('0', 2 ** 50, [4], [1])]]), { '0': f32(4) },
    /storage '0' is 16 bytes but the pickle declares 1125899906842624 float32 elements/),
  lying('a storage key that is a path ("../../etc/passwd")', 'evaluate',
    () => stateDict([['fc.1.bias', pickledTensor('../../etc/passwd', 1, [1], [1])]]), { '0': f32(1) },
    /pickle data rejected at byte \d+: storage persistent id: bad storage key "\.\.\/\.\.\/etc\/passwd"/),
  lying('a storage type that torch does not have (torch.EvilStorage)', 'export',
    () => stateDict([['fc.1.bias', pickledTensor('0', 1, [1], [1], 'EvilStorage')]]),
    { '0': f32(1) }, /refusing global 'torch\.EvilStorage'/),
];
