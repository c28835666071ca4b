// HTTP(S) proxies for the weights download, read from the environment the way curl and Python's urllib
// read it: https_proxy / HTTPS_PROXY for https URLs, http_proxy / HTTP_PROXY for http URLs, all_proxy /
// ALL_PROXY for either, no_proxy / NO_PROXY a comma-separated list of hosts that go direct. Node's http
// modules ignore these variables, so without this a download behind a corporate proxy simply times out.
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';

type Env = Record<string, string | undefined>;

const pick = (env: Env, ...names: string[]): string | undefined => names.map((n) => env[n]?.trim()).find((v) => v);

/** Whether NO_PROXY names `host` (exact or domain suffix, optional port, `*` for everything). */
export function bypassesProxy(url: URL, env: Env): boolean {
  const list = pick(env, 'no_proxy', 'NO_PROXY');
  if (!list) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return list.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean).some((rule) => {
    if (rule === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(rule.replace(/^\[|\]$/g, ''))!;
    const name = m[1]!.replace(/^\*?\./, '');
    if (m[2] && m[2] !== port) return false;
    return host === name || host.endsWith(`.${name}`);
  });
}

/** The proxy for `url` from `env`, or undefined to connect directly. */
export function proxyFor(url: URL, env: Env): URL | undefined {
  const raw = url.protocol === 'https:' ? pick(env, 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY')
    : pick(env, 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY');
  if (!raw || bypassesProxy(url, env)) return undefined;
  let proxy: URL;
  try {
    proxy = new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    throw new Error(`the proxy setting '${raw}' is not a URL (expected http://host:port)`);
  }
  if (proxy.protocol !== 'http:') throw new Error(`proxy ${proxy.origin}: only http:// proxies are supported (got ${proxy.protocol}//)`);
  return proxy;
}

function proxyHeaders(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const user = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(user).toString('base64')}` };
}

/**
 * Starts a GET of `url` through `proxy`: an http URL is asked of the proxy in absolute form; an https URL
 * goes through a CONNECT tunnel, with TLS (and certificate checks) end to end with the real server.
 */
export function getViaProxy(url: URL, proxy: URL, headers: Record<string, string>, timeoutMs: number,
  onResponse: (res: http.IncomingMessage) => void, onError: (e: Error) => void): void {
  const port = Number(proxy.port || 80);
  if (url.protocol === 'http:') {
    const req = http.get({ host: proxy.hostname, port, path: url.href, headers: { ...headers, host: url.host, ...proxyHeaders(proxy) } }, onResponse);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response for ${timeoutMs / 1000} s`)));
    req.on('error', (e) => onError(new Error(`via proxy ${proxy.host}: ${e.message}`)));
    return;
  }
  const target = `${url.hostname}:${url.port || 443}`;
  const connect = http.request({ host: proxy.hostname, port, method: 'CONNECT', path: target, headers: { host: target, ...proxyHeaders(proxy) } });
  connect.setTimeout(timeoutMs, () => connect.destroy(new Error(`no answer to CONNECT for ${timeoutMs / 1000} s`)));
  connect.on('error', (e) => onError(new Error(`via proxy ${proxy.host}: ${e.message}`)));
  connect.on('connect', (res, socket) => {
    connect.setTimeout(0);
    if (res.statusCode !== 200) {
      socket.destroy();
      onError(new Error(`proxy ${proxy.host} refused the tunnel to ${target}: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
      return;
    }
    const secure = () => tls.connect({ socket, servername: url.hostname });
    const req = https.get(url, { headers, agent: false, createConnection: secure }, onResponse);
    // The tunnel's own socket would otherwise stay open (and keep the process alive) after the exchange.
    req.on('close', () => socket.destroy());
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response for ${timeoutMs / 1000} s`)));
    req.on('error', onError);
  });
  connect.end();
}
