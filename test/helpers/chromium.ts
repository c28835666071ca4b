// Headless Chromium for report tests, driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: Chromium reads commands on fd 3 and writes replies on fd 4, NUL-separated JSON).
// It loads a page (a file, or an http:// URL) and reports console messages, uncaught exceptions, log entries
// (CSP violations, failed loads), every network request, and a PNG screenshot; `act` can drive the loaded page
// first (evaluate script, set the files of an <input type=file>, wait for a condition).
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** Path of a Chromium binary (TLEARN_CHROMIUM overrides), or null when none is installed. */
export function findChromium(): string | null {
  const env = process.env.TLEARN_CHROMIUM;
  if (env) return isExecutable(env) ? env : null;
  for (const name of CANDIDATES) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir && isExecutable(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export interface PageInspection {
  /** console.* calls of type error/assert/warning, and log entries of level error/warning. */
  problems: string[];
  /** Every console message and log entry, for diagnostics. */
  messages: string[];
  /** Uncaught exceptions. */
  exceptions: string[];
  /** URLs of every request the page made, the page itself included. */
  requests: string[];
  screenshot: Buffer;
  /** Document title as the browser parsed it. */
  title: string;
  /** document.body.innerText length and the number of <svg> and <img> elements, as loaded. */
  textLength: number;
  svgCount: number;
  imgCount: number;
  imagesComplete: boolean;
}

/** What `act` can do with the loaded page. */
export interface PageDriver {
  /** The value of a JS expression in the page (promises awaited; the value must be JSON-serialisable). */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Sets the files of the <input type=file> matched by selector, as if the user picked them (fires change). */
  setFiles(selector: string, files: string[]): Promise<void>;
  /** Polls a JS expression until it is truthy; throws after timeoutMs. */
  waitFor(expression: string, timeoutMs?: number): Promise<void>;
}

export interface InspectOptions {
  width?: number;
  height?: number;
  timeoutMs?: number;
  /** Runs after the load event, before the probe and the screenshot. */
  act?: (page: PageDriver) => Promise<void>;
}

/** Loads `target` (a file path, or an http:// or https:// URL) in headless Chromium and inspects it. */
export async function inspectPage(target: string, opts: InspectOptions = {}): Promise<PageInspection> {
  const exe = findChromium();
  if (!exe) throw new Error('chromium not found: install it (apt-get install -y chromium) or set TLEARN_CHROMIUM');
  const width = opts.width ?? 1200;
  const height = opts.height ?? 2000;
  const profile = mkdtempSync(join(tmpdir(), 'tlearn-chromium-'));
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-extensions', '--disable-default-apps', '--no-first-run',
    '--no-default-browser-check', '--mute-audio', '--hide-scrollbars', `--user-data-dir=${profile}`,
    '--remote-debugging-pipe', 'about:blank',
  ];
  const child = spawn(exe, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;

  let nextId = 1;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; method: string }>();
  const listeners: ((msg: any) => void)[] = [];
  let buf = '';
  fromBrowser.setEncoding('utf8');
  fromBrowser.on('data', (chunk: string) => {
    buf += chunk;
    let at: number;
    while ((at = buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buf.slice(0, at));
      buf = buf.slice(at + 1);
      if (msg.id !== undefined && pending.has(msg.id)) {
        const p = pending.get(msg.id)!;
        pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result);
      } else {
        for (const l of listeners) l(msg);
      }
    }
  });
  const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`chromium exited (${code}) early:\n${stderr}`))));
  exited.catch(() => {});
  const send = (method: string, params: object = {}, sessionId?: string): Promise<any> => {
    const id = nextId++;
    const p = new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
    toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    return Promise.race([p, exited]);
  };

  const timeoutMs = opts.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`chromium did not finish within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
  });

  const run = async (): Promise<PageInspection> => {
    const problems: string[] = [];
    const messages: string[] = [];
    const exceptions: string[] = [];
    const requests: string[] = [];
    let loaded!: () => void;
    const loadFired = new Promise<void>((r) => { loaded = r; });
    listeners.push((msg) => {
      const p = msg.params ?? {};
      switch (msg.method) {
        case 'Runtime.consoleAPICalled': {
          const text = `console.${p.type}: ${(p.args ?? []).map((a: any) => a.value ?? a.description ?? '').join(' ')}`;
          messages.push(text);
          if (['error', 'assert', 'warning'].includes(p.type)) problems.push(text);
          break;
        }
        case 'Runtime.exceptionThrown':
          exceptions.push(p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text ?? 'exception');
          break;
        case 'Log.entryAdded': {
          const text = `log ${p.entry.level} (${p.entry.source}): ${p.entry.text} ${p.entry.url ?? ''}`.trim();
          messages.push(text);
          if (p.entry.level === 'error' || p.entry.level === 'warning') problems.push(text);
          break;
        }
        case 'Network.requestWillBeSent':
          requests.push(p.request.url);
          break;
        case 'Page.loadEventFired':
          loaded();
          break;
      }
    });
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await send(`${domain}.enable`, {}, sessionId);
    await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
    const url = /^https?:\/\//.test(target) ? target : pathToFileURL(target).href;
    const nav = await send('Page.navigate', { url }, sessionId);
    if (nav.errorText) throw new Error(`navigation failed: ${nav.errorText}`);
    await loadFired;
    if (opts.act) await opts.act(driver(send, sessionId));
    const probe = await send('Runtime.evaluate', {
      expression: `JSON.stringify({ title: document.title, text: document.body.innerText.length,
        svg: document.querySelectorAll('svg').length, img: document.images.length,
        complete: [...document.images].every((i) => i.complete && i.naturalWidth > 0) })`,
      returnByValue: true,
    }, sessionId);
    const info = JSON.parse(probe.result.value);
    const shot = await send('Page.captureScreenshot', { format: 'png' }, sessionId);
    await send('Browser.close').catch(() => {});
    return {
      problems, messages, exceptions, requests,
      screenshot: Buffer.from(shot.data, 'base64'),
      title: info.title, textLength: info.text, svgCount: info.svg, imgCount: info.img, imagesComplete: info.complete,
    };
  };

  try {
    return await Promise.race([run(), timeout]);
  } finally {
    clearTimeout(timer);
    // Browser.close asked it to quit; give it a moment, then make sure our own child is gone.
    if (child.exitCode === null) await new Promise((r) => { const t = setTimeout(r, 5000); child.once('exit', () => { clearTimeout(t); r(null); }); });
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(profile, { recursive: true, force: true });
  }
}

type Send = (method: string, params?: object, sessionId?: string) => Promise<any>;

function driver(send: Send, sessionId: string): PageDriver {
  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
    if (r.exceptionDetails) throw new Error(`page script failed: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  };
  return {
    evaluate,
    async setFiles(selector, files) {
      const r = await send('Runtime.evaluate', { expression: `document.querySelector(${JSON.stringify(selector)})` }, sessionId);
      if (!r.result.objectId) throw new Error(`no element matches ${selector}`);
      await send('DOM.setFileInputFiles', { files, objectId: r.result.objectId }, sessionId);
    },
    async waitFor(expression, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (!(await evaluate<boolean>(`Boolean(${expression})`))) {
        if (Date.now() > until) throw new Error(`the page did not reach ${expression} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
