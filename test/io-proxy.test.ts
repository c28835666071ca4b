// The weights download through an HTTP proxy (HTTP_PROXY / HTTPS_PROXY / NO_PROXY), against a proxy and
// servers the test runs itself: plain http asked in absolute form, https through a CONNECT tunnel with the
// server's certificate checked end to end, a proxy that refuses the tunnel.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchWeights, findWeights, type WeightsEntry } from '../src/io/weights.js';
import { bypassesProxy, proxyFor } from '../src/io/proxy.js';
import { tempDir } from './io-helpers.js';

const root = tempDir('proxy');
after(() => fs.rmSync(root, { recursive: true, force: true }));

// Large enough to arrive in many chunks, so that the tunnel must stay open until the body has ended.
const payload = crypto.randomBytes(8_000_000);
const sha = crypto.createHash('sha256').update(payload).digest('hex');
const entry: WeightsEntry = { ...findWeights('imagenet'), name: 'test', aliases: [], filename: `fake-${sha.slice(0, 8)}.pth` };
const serve = (req: http.IncomingMessage, res: http.ServerResponse) => {
  if (req.url === `/models/${entry.filename}`) {
    res.writeHead(200, { 'content-length': payload.length });
    res.end(payload);
  } else {
    res.writeHead(404);
    res.end();
  }
};
const listen = (s: net.Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

/** A forward proxy: absolute-form GETs are relayed, CONNECT opens a tunnel unless `refuse`; all is logged. */
function startProxy(refuse = false) {
  const log: string[] = [];
  const proxy = http.createServer((req, res) => {
    log.push(`${req.method} ${req.url} ${req.headers['proxy-authorization'] ?? ''}`.trim());
    const up = http.get(req.url!, (r) => { res.writeHead(r.statusCode!, r.headers); r.pipe(res); });
    up.on('error', () => res.destroy());
  });
  proxy.on('connect', (req, socket: net.Socket, head) => {
    log.push(`CONNECT ${req.url}`);
    if (refuse) { socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n'); return; }
    const [host, port] = req.url!.split(':');
    const up = net.connect(Number(port), host === 'localhost' ? '127.0.0.1' : host!, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket).pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  return { proxy, log, port: listen(proxy) };
}

test('proxy settings: lower case first, per scheme, all_proxy, NO_PROXY suffixes and ports', () => {
  const u = new URL('https://download.pytorch.org/models/x.pth');
  assert.equal(proxyFor(u, {}), undefined);
  assert.equal(proxyFor(u, { HTTPS_PROXY: 'http://p:3128' })?.host, 'p:3128');
  assert.equal(proxyFor(u, { https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2' })?.host, 'a:1');
  assert.equal(proxyFor(u, { HTTP_PROXY: 'http://p:3128' }), undefined, 'http_proxy is for http URLs');
  assert.equal(proxyFor(new URL('http://h/x'), { HTTP_PROXY: 'p:8080' })?.href, 'http://p:8080/');
  assert.equal(proxyFor(u, { ALL_PROXY: 'http://all:1' })?.host, 'all:1');
  assert.equal(proxyFor(u, { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'pytorch.org' }), undefined);
  assert.equal(proxyFor(u, { HTTPS_PROXY: 'http://p:1', no_proxy: 'example.com, .pytorch.org' }), undefined);
  assert.equal(proxyFor(u, { HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }), undefined);
  assert.ok(proxyFor(u, { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'torch.org' }), 'a suffix must match a whole label');
  assert.ok(bypassesProxy(u, { NO_PROXY: 'download.pytorch.org:443' }));
  assert.ok(!bypassesProxy(u, { NO_PROXY: 'download.pytorch.org:8443' }));
  assert.throws(() => proxyFor(u, { HTTPS_PROXY: 'socks5://p:1080' }), /only http:\/\/ proxies are supported/);
});

test('weights download over http through HTTP_PROXY (credentials sent), and direct when NO_PROXY names the host', async () => {
  const origin = http.createServer(serve);
  const originPort = await listen(origin);
  const { proxy, log, port } = startProxy();
  const proxyPort = await port;
  try {
    const base = `http://127.0.0.1:${originPort}/models/`;
    const env = { HOME: path.join(root, 'h1'), HTTP_PROXY: `http://user:p%40ss@127.0.0.1:${proxyPort}` };
    const file = await fetchWeights(entry, { env, baseUrl: base });
    assert.ok(fs.readFileSync(file).equals(payload));
    assert.deepEqual(log, [`GET ${base}${entry.filename} Basic ${Buffer.from('user:p@ss').toString('base64')}`]);
    log.length = 0;
    const direct = await fetchWeights(entry, { env: { ...env, HOME: path.join(root, 'h2'), NO_PROXY: '127.0.0.1' }, baseUrl: base });
    assert.ok(fs.readFileSync(direct).equals(payload));
    assert.deepEqual(log, [], 'NO_PROXY host went direct');
  } finally {
    origin.close();
    proxy.close();
  }
});

test('weights download over https through an HTTPS_PROXY tunnel; a refused tunnel names the proxy', async () => {
  const dir = path.join(root, 'tls');
  fs.mkdirSync(dir);
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  const origin = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, serve);
  const originPort = await listen(origin);
  const open = startProxy();
  const refusing = startProxy(true);
  const weights = fileURLToPath(new URL('../src/io/weights.js', import.meta.url));
  // Run from source (node --import tsx), the child needs the same loader to import the .ts module.
  const loaderArgs = () => process.execArgv.flatMap((a, i, all) => (a === '--import' ? [a, all[i + 1]] : a.startsWith('--import=') ? [a] : []));
  // NODE_EXTRA_CA_CERTS is read at start-up, so the download runs in a child process that trusts the test's certificate.
  const fetchIn = (proxyPort: number, home: string) => new Promise<{ status: number | null; out: string; err: string }>((resolve) => {
    const script = `import { fetchWeights } from ${JSON.stringify(weights)};
      const file = await fetchWeights(${JSON.stringify(entry)}, { baseUrl: 'https://localhost:${originPort}/models/', timeoutMs: 10000 });
      console.log(file);`;
    // spawnSync would block the proxy and origin servers that run in this process.
    const child = spawn(process.execPath, [...loaderArgs(), '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, HOME: path.join(root, home), NODE_EXTRA_CA_CERTS: cert, HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { err += d; });
    child.on('close', (status: number | null) => resolve({ status, out, err }));
  });
  try {
    const ok = await fetchIn(await open.port, 'h3');
    assert.equal(ok.status, 0, ok.err);
    assert.ok(fs.readFileSync(ok.out.trim()).equals(payload));
    assert.deepEqual(open.log, [`CONNECT localhost:${originPort}`]);
    const refused = await fetchIn(await refusing.port, 'h4');
    assert.notEqual(refused.status, 0);
    assert.match(refused.err, new RegExp(`proxy 127\\.0\\.0\\.1:${await refusing.port} refused the tunnel to localhost:${originPort}: HTTP 407`));
    assert.deepEqual(fs.readdirSync(path.join(root, 'h4', '.cache', 'tlearn', 'weights')), [], 'no partial file');
  } finally {
    origin.close();
    open.proxy.close();
    refusing.proxy.close();
  }
});
