// A static file server on 127.0.0.1 (random port) for browser tests: serves one folder with the MIME types a
// browser insists on (application/wasm for WebAssembly streaming, text/javascript for ES modules), records
// every path asked for, and refuses anything outside the folder.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.png': 'image/png', '.svg': 'image/svg+xml',
};

export interface StaticServer {
  /** http://127.0.0.1:PORT/ */
  url: string;
  /** Request paths in order (e.g. '/index.html'). */
  requests: string[];
  close(): Promise<void>;
}

/** Serves `root`; `headers` are added to every response (e.g. cross-origin isolation). */
export async function serveFolder(root: string, headers: Record<string, string> = {}): Promise<StaticServer> {
  const base = path.resolve(root);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(urlPath);
    const file = path.join(base, urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath);
    const inside = file === base || file.startsWith(base + path.sep);
    const st = inside ? fs.statSync(file, { throwIfNoEntry: false }) : undefined;
    if (!st?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain', ...headers }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream', 'content-length': st.size, ...headers });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
