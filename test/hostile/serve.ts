// tlearn serve's startup refusals: a model it cannot serve (missing, corrupt, NaN weights, a corrupt .onnx, an .onnx
// with --engine libtorch, --engine onnx with a checkpoint), a port in use, a host that is not this machine's, an unusable --api-key-file or --cors, and
// limits that contradict each other. Each is one line and exit code 2, and no server is left listening.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { HostileCase } from './case.js';
import { forgeModelFile } from '../helpers/forged-models.js';
import { tinyModelFile } from '../helpers/model-files.js';

const servers = new Map<string, net.Server>();

/** A case that starts `tlearn serve` on a free port with extra arguments after the model. */
function refused(name: string, setup: (dir: string) => string[] | Promise<string[]>, message: RegExp): HostileCase {
  return { name: `${name}, to serve`, setup, code: 2, message };
}

const model = (dir: string) => tinyModelFile(dir);

export const cases: HostileCase[] = [
  refused('a model file that does not exist', (dir) => ['serve', path.join(dir, 'nope.safetensors'), '--port', '0'], /nope\.safetensors does not exist/),
  refused('random bytes named .safetensors', (dir) => {
    fs.writeFileSync(path.join(dir, 'm.safetensors'), Buffer.alloc(5000, 0x41));
    return ['serve', 'm.safetensors', '--port', '0'];
  }, /m\.safetensors/),
  refused('a checkpoint with a NaN weight', (dir) => {
    forgeModelFile(model(dir), path.join(dir, 'nan.safetensors'), { tensors: { 'fc.1.weight': (v) => { v[0] = Number.NaN; } } });
    return ['serve', 'nan.safetensors', '--port', '0'];
  }, /nan\.safetensors: weights contain NaN: fc\.1\.weight/),
  refused('--engine onnx with a checkpoint', (dir) => ['serve', model(dir), '--engine', 'onnx', '--port', '0'],
    /--engine onnx serves \.onnx files and .*model\.safetensors is a checkpoint: export it first with `tlearn export .*model\.safetensors --out model\.onnx`/),
  refused('--engine libtorch with an .onnx file', (dir) => {
    fs.writeFileSync(path.join(dir, 'm.onnx'), Buffer.alloc(100));
    return ['serve', 'm.onnx', '--engine', 'libtorch', '--port', '0'];
  }, /m\.onnx is an ONNX file: serve it with --engine onnx/),
  refused('an .onnx file of zeros', (dir) => {
    fs.writeFileSync(path.join(dir, 'm.onnx'), Buffer.alloc(100));
    return ['serve', 'm.onnx', '--port', '0'];
  }, /m\.onnx.*a \.onnx model file is expected/),
  refused('a PNG renamed .onnx', (dir) => {
    fs.writeFileSync(path.join(dir, 'm.onnx'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(60, 1)]));
    return ['serve', 'm.onnx', '--port', '0'];
  }, /m\.onnx.*its content is a PNG image/),
  {
    name: 'a port that is in use, to serve',
    async setup(dir) {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      servers.set(dir, blocker);
      return ['serve', model(dir), '--port', String((blocker.address() as net.AddressInfo).port)];
    },
    code: 2,
    message: /port \d+ is in use on 127\.0\.0\.1: stop what listens there or give another --port/,
    after: async (dir) => { await new Promise((r) => servers.get(dir)?.close(r)); },
  },
  refused('a host that is not an address of this machine', (dir) => ['serve', model(dir), '--host', '192.0.2.1', '--port', '0'],
    /cannot listen on 192\.0\.2\.1:0: --host is not an address of this machine/),
  refused('a missing --api-key-file', (dir) => ['serve', model(dir), '--api-key-file', 'key.txt'], /--api-key-file .*key\.txt cannot be read: ENOENT/),
  refused('an --api-key-file with a short key', (dir) => {
    fs.writeFileSync(path.join(dir, 'key.txt'), 'secret\n');
    return ['serve', model(dir), '--api-key-file', 'key.txt'];
  }, /the key \(its first line\) must have at least 16 characters, it has 6/),
  refused('--cors that is not an origin', (dir) => ['serve', model(dir), '--cors', 'https://app.example.org/path'], /--cors "https:\/\/app\.example\.org\/path": expected an origin/),
  refused('--max-images over --max-queue', (dir) => ['serve', model(dir), '--max-images', '10', '--max-queue', '4'],
    /--max-images 10 is more than --max-queue 4: such a request could never be admitted/),
  refused('a port out of range', (dir) => ['serve', model(dir), '--port', '70000'], /--port.*expected an integer from 0 to 65535/),
];
