// Pickles that would run code when loaded by Python's pickle (or torch.load without weights_only): os.system
// and friends reached by GLOBAL or STACK_GLOBAL and called by REDUCE, builtins.eval/exec, object-creating
// opcodes, a __reduce__ payload pickled by Python itself and one hidden among the tensors of a torch.save
// file. tlearn's unpickler resolves globals against torch's weights_only allowlist and never imports or calls
// anything: each file is refused (exit 2, naming the file, the pickle and the refused global or opcode), and
// the payload, which would create the file PWNED, never ran. The payloads are only written, never unpickled.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './case.js';
import { f32, pickle, pickledTensor, pk, torchZip } from '../helpers/hostile-bytes.js';
import { readingModel, wroteNothing, type ModelCommand } from '../helpers/hostile-commands.js';
import { runPython } from '../helpers/python.js';

/** The shell command of every payload: it would create DIR/PWNED. */
const touch = (dir: string) => `touch ${path.join(dir, 'PWNED')}`;

function nothingRan(dir: string): void {
  assert.equal(fs.existsSync(path.join(dir, 'PWNED')), false, 'the payload ran');
  wroteNothing(dir);
}

/**
 * A case: the pickle made by `payload(dir)` saved as model.pth for `command`, in a torch.save zip with these
 * storages, or bare (the legacy format, a stream of pickles).
 */
function evil(
  name: string, command: ModelCommand, payload: (dir: string) => Buffer, gist: RegExp,
  archive: 'zip' | 'bare' = 'zip', storages: Record<string, Uint8Array> = {},
): HostileCase {
  const bare = archive === 'bare';
  return {
    name: `${name}, to ${command}`,
    async setup(dir) {
      const pkl = payload(dir);
      fs.writeFileSync(path.join(dir, 'model.pth'), bare ? pkl : torchZip(pkl, storages));
      return readingModel(dir, command, 'model.pth');
    },
    code: 2,
    message: new RegExp(`model\\.pth \\(${bare ? 'legacy torch\\.save format' : 'archive/data\\.pkl'}\\): pickle data rejected at byte \\d+: ${gist.source}`),
    after: nothingRan,
  };
}

const mayRunCode = /only the globals that torch\.load\(weights_only=True\) allows are accepted .*may try to run code on load/;
const refused = (global: string) => new RegExp(`refusing global '${global.replace(/\./g, '\\.')}': ${mayRunCode.source}`);

/** `module.name(arg)` the protocol-2 way: GLOBAL, the argument, TUPLE1, REDUCE. */
const call = (module: string, name: string, arg: string) => pickle(pk.proto(2), pk.global(module, name), pk.str(arg), pk.tuple1, pk.reduce, pk.stop);

/** The same the protocol-4 way: FRAME, the names as strings, STACK_GLOBAL, MEMOIZE. */
function stackCall(module: string, name: string, arg: string): Buffer {
  const body = pickle(pk.str(module), pk.memoize, pk.str(name), pk.memoize, pk.stackGlobal, pk.memoize, pk.str(arg), pk.tuple1, pk.reduce, pk.stop);
  return pickle(pk.proto(4), pk.frame(body.length), body);
}

export const cases: HostileCase[] = [
  evil('os.system called through GLOBAL and REDUCE', 'predict', (d) => call('os', 'system', touch(d)), refused('os.system')),
  evil('posix.system called through STACK_GLOBAL and REDUCE (protocol 4)', 'evaluate', (d) => stackCall('posix', 'system', touch(d)), refused('posix.system')),
  evil('builtins.eval of Python source (__builtin__, as protocol 2 spells it)', 'export',
    (d) => call('__builtin__', 'eval', `__import__('os').system(${JSON.stringify(touch(d))})`), refused('builtins.eval')),
  evil('builtins.exec through STACK_GLOBAL', 'train --weights',
    (d) => stackCall('builtins', 'exec', `import os; os.system(${JSON.stringify(touch(d))})`), refused('builtins.exec')),
  evil('subprocess.Popen with an argument list', 'predict',
    (d) => pickle(pk.proto(2), pk.global('subprocess', 'Popen'), pk.mark, pk.str('touch'), pk.str(path.join(d, 'PWNED')), pk.tuple, pk.tuple1, pk.reduce, pk.stop),
    refused('subprocess.Popen')),
  evil('builtins.getattr, the usual first step to reach any function', 'evaluate',
    (d) => pickle(pk.proto(2), pk.global('builtins', 'getattr'), pk.global('os', 'system'), pk.str('__call__'), pk.tuple2, pk.reduce, pk.str(touch(d)), pk.tuple1, pk.reduce, pk.stop),
    refused('builtins.getattr')),
  evil('os.system hidden after a real tensor of an OrderedDict state_dict', 'export',
    (d) => pickle(pk.proto(2), pk.global('collections', 'OrderedDict'), pk.emptyTuple, pk.reduce, pk.mark,
      pk.str('fc.1.bias'), pickledTensor('0', 1, [1], [1]),
      pk.str('fc.1.weight'), pk.global('os', 'system'), pk.str(touch(d)), pk.tuple1, pk.reduce,
      pk.setitems, pk.stop),
    refused('os.system'), 'zip', { '0': f32(1) }),
  evil('INST, which calls os.system with the items above a MARK (protocol 0)', 'predict',
    (d) => pickle(pk.mark, pk.str(touch(d)), pk.inst('os', 'system'), pk.stop), /opcode 0x69 \(object instantiation\) is not allowed/),
  evil('OBJ, which calls the class below the items of a MARK', 'train --weights',
    (d) => pickle(pk.proto(2), pk.mark, pk.global('collections', 'OrderedDict'), pk.str(touch(d)), pk.obj, pk.stop), /opcode 0x6f \(object instantiation\) is not allowed/),
  evil('EXT1, a global taken from the copyreg extension registry', 'predict',
    () => pickle(pk.proto(2), pk.ext1(1), pk.emptyTuple, pk.reduce, pk.stop), /extension registry opcodes \(EXT1\/2\/4\) are not allowed/),
  evil('BUILD (which calls __setstate__) on an object that is not an OrderedDict', 'evaluate',
    () => pickle(pk.proto(2), pk.global('collections', 'Counter'), pk.emptyTuple, pk.reduce, pk.emptyDict, pk.str('x'), pk.int(1), pk.setitem, pk.build, pk.stop),
    /BUILD on Counter is not allowed/),
  evil('os.system in a legacy (pre-zip) torch.save stream, where the magic number should be', 'predict',
    (d) => call('os', 'system', touch(d)), refused('os.system'), 'bare'),
  {
    name: 'a __reduce__ payload pickled by Python itself (protocol 4, posix.system), to predict',
    async setup(dir) {
      const hex = runPython<string>(`
import os, pickle
class Payload:
    def __reduce__(self):
        return (os.system, (inp,))
out(pickle.dumps(Payload(), protocol=4).hex())`, touch(dir));
      fs.writeFileSync(path.join(dir, 'model.pth'), torchZip(Buffer.from(hex, 'hex')));
      return readingModel(dir, 'predict', 'model.pth');
    },
    code: 2,
    message: new RegExp(`model\\.pth \\(archive/data\\.pkl\\): pickle data rejected at byte \\d+: ${refused('posix.system').source}`),
    after: nothingRan,
  },
  // Allowed globals only, but a structure that explodes: each level a tuple holding the level below twice.
  // Converting it to plain data would make 2^40 values; the conversion stops at a million.
  {
    name: 'a pickle whose shared references expand to 2^40 values (a "billion laughs" of tuples), to predict',
    setup(dir) {
      const bomb = [pk.emptyList];
      for (let i = 0; i < 40; i++) bomb.push(pk.dup, pk.tuple2);
      fs.writeFileSync(path.join(dir, 'model.pth'), torchZip(pickle(
        pk.proto(2), pk.global('collections', 'OrderedDict'), pk.emptyTuple, pk.reduce, pk.mark,
        pk.str('fc.1.bias'), pickledTensor('0', 1, [1], [1]), pk.str('laughs'), ...bomb, pk.setitems, pk.stop,
      ), { '0': f32(1) }));
      return readingModel(dir, 'predict', 'model.pth');
    },
    code: 2,
    message: /model\.pth: entry 'laughs'.*: more than 1000000 values/,
    after: wroteNothing,
  },
];
