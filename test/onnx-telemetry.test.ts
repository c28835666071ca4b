// onnxruntime-node 1.31 has telemetry on by default: loading a session writes a device id file ('.ses') into
// the temp folder (and would try to upload events). tlearn turns it off when it loads onnxruntime, so running
// a model writes nothing outside what the user asked for and sends nothing anywhere.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers/temp.js';

const onnxEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/onnx/index.js');

test('running an ONNX session through onnxRuntime() leaves nothing in the temp folder (telemetry off)', () => {
  const tmp = tempDir();
  const script = `
const { onnxRuntime, GraphBuilder, encodeModel } = await import(${JSON.stringify(onnxEntry)});
const g = new GraphBuilder('t');
const x = g.input('input', 'float32', ['N', 2]);
g.output(g.node('Relu', [x], {}, 'y'), 'y', 'float32', ['N', 2]);
const ort = await onnxRuntime();
const s = await ort.InferenceSession.create(encodeModel(g.model({ producerVersion: '0' })));
const out = await s.run({ input: new ort.Tensor('float32', Float32Array.from([-1, 2]), [1, 2]) });
await s.release();
console.log(Array.from(out.y.data).join(','));
`;
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp };
  delete env.ORT_DISABLE_TELEMETRY;
  // And src/onnx runs where the libtorch addon cannot load.
  env.TLEARN_NATIVE = '/nonexistent';
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stdout.trim(), '0,2');
  assert.deepEqual(fs.readdirSync(tmp), [], 'files onnxruntime left in the temp folder');
  fs.rmSync(tmp, { recursive: true, force: true });
});
