// The demo without cached ImageNet weights: offline it prints one line (no "downloading" line for a download
// that never starts) and goes on from random weights; the "downloading" line comes once bytes arrive.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { demoWeights } from '../src/cli/commands/demo.js';
import type { CliIO } from '../src/cli/io.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';

const cacheDir = tempDir('tlearn-demo-weights-');
after(removeTempDirs);

function capture(): { io: CliIO; err: () => string } {
  let err = '';
  return { io: { out: () => undefined, err: (t) => { err += t; }, cwd: cacheDir }, err: () => err };
}

test('offline: one line, no download announced, random initialisation', async () => {
  const c = capture();
  // Port 1 on the loopback refuses the connection at once, as a machine without network does.
  const w = await demoWeights('imagenet', 'resnet18', c.io, { cacheDir, useTorchHub: false, baseUrl: 'http://127.0.0.1:1/', env: {} });
  assert.equal(w, 'none');
  const lines = c.err().trim().split('\n');
  assert.equal(lines.length, 1, c.err());
  assert.match(lines[0]!, /^demo: ImageNet weights \(resnet18-[0-9a-f]+\.pth\) are not cached and cannot be downloaded here; continuing from random initialisation$/);
});

test('a download that starts is announced; when its file is wrong, the demo says why and goes on', async () => {
  const server = http.createServer((_req, res) => { res.writeHead(200, { 'content-length': '1000' }); res.end(Buffer.alloc(1000, 7)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const c = capture();
    const { port } = server.address() as AddressInfo;
    const w = await demoWeights('imagenet', 'resnet18', c.io, { cacheDir, useTorchHub: false, baseUrl: `http://127.0.0.1:${port}/`, env: {} });
    assert.equal(w, 'none');
    const lines = c.err().trim().split('\n');
    assert.equal(lines.length, 2, c.err());
    assert.match(lines[0]!, /^demo: downloading the ImageNet weights resnet18-[0-9a-f]+\.pth \(once; cached for later runs\)$/);
    assert.match(lines[1]!, /^demo: the download of resnet18-[0-9a-f]+\.pth failed \(.*SHA-256.*\); continuing from random initialisation$/);
  } finally {
    server.close();
  }
});

test('weights other than the ImageNet names are passed through untouched', async () => {
  const c = capture();
  assert.equal(await demoWeights('none', 'resnet18', c.io, { cacheDir }), 'none');
  assert.equal(await demoWeights('/x/w.safetensors', 'resnet18', c.io, { cacheDir }), '/x/w.safetensors');
  assert.equal(c.err(), '');
});
