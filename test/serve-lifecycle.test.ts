// tlearn serve as a process: SIGTERM lets the request in flight finish and ends with exit code 0; SIGINT with
// --drain-timeout-s 0 cuts it and still exits 0. New connections are refused once draining starts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { tempDir } from './helpers/temp.js';
import { get, modelFile, postJson, TLEARN, testImage } from './helpers/serve.js';

const dir = tempDir('tlearn-serve-life-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const model = modelFile(dir, 'r50', 'resnet50', 224);
const many = { images: await Promise.all(Array.from({ length: 6 }, (_, i) => testImage(i).then((b) => b.toString('base64')))) };

interface Child { proc: ChildProcess; url: string; err: () => string; exit: Promise<number | null> }

/** `tlearn serve MODEL --port 0 ARGS` as a child; resolves once it prints its URL (bounded: 120 s). */
function startChild(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Child> {
  const proc = spawn(process.execPath, [TLEARN, 'serve', model, '--port', '0', '--threads', '1', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '', err = '';
  proc.stderr!.on('data', (d) => { err += d; });
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`no URL after 120 s: ${err}`)); }, 120_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const url = /listening on (\S+)/.exec(out)?.[1];
      if (url) { clearTimeout(timer); resolve({ proc, url, err: () => err, exit }); }
    });
    void exit.then((code) => { clearTimeout(timer); reject(new Error(`tlearn serve exited ${code} before listening: ${err}`)); });
  });
}

const refusedConnection = (url: string) => get(`${url}/healthz`).then(() => false, () => true);

test('SIGTERM: the request in flight completes, new connections are refused, exit code 0; nothing written to TMPDIR', { timeout: 240_000 }, async () => {
  // onnxruntime (decoding) writes a telemetry id file '.ses' into TMPDIR unless ORT_DISABLE_TELEMETRY is in the
  // process's environment before it loads, also when it loads in a worker thread.
  const tmp = fs.mkdtempSync(`${dir}/tmp-`);
  const c = await startChild([], { TMPDIR: tmp });
  try {
    assert.equal((await get(`${c.url}/healthz`)).status, 200);
    const inFlight = postJson(`${c.url}/v1/predict`, many);
    await new Promise((r) => setTimeout(r, 300));
    c.proc.kill('SIGTERM');
    const r = await inFlight;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.predictions.length, 6);
    assert.equal(await c.exit, 0, c.err());
    assert.ok(await refusedConnection(c.url));
    assert.match(c.err(), /SIGTERM: draining \(up to 30 s\)\n.*stopped\n$/s);
    assert.deepEqual(fs.readdirSync(tmp), []);
  } finally {
    c.proc.kill('SIGKILL');
  }
});

test('SIGINT with --drain-timeout-s 0: the request in flight is cut, and the exit code is still 0', { timeout: 240_000 }, async () => {
  const c = await startChild(['--drain-timeout-s', '0']);
  try {
    const inFlight = postJson(`${c.url}/v1/predict`, many).then((r) => r.status, () => 'cut');
    await new Promise((r) => setTimeout(r, 300));
    c.proc.kill('SIGINT');
    assert.equal(await inFlight, 'cut');
    assert.equal(await c.exit, 0, c.err());
    assert.match(c.err(), /requests still running after 0 s were cut/);
  } finally {
    c.proc.kill('SIGKILL');
  }
});
