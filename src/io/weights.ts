// The registry of pretrained weights (torchvision's official files, and timm's safetensors copies of some of them
// on the Hugging Face hub) and their cache: each file is downloaded once over HTTPS, checked (torchvision: the
// SHA-256 prefix in its name, torch.hub's convention; timm: see timm-weights.ts), and renamed into place only
// when complete and verified. Files already in PyTorch's (or, for timm's, Hugging Face's) hub cache are reused.
// HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured (proxy.ts).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { tempPathFor } from './atomic.js';
import { getViaProxy, proxyFor } from './proxy.js';
import { huggingFaceCachedFiles, huggingFaceHubCache, timmEntries, timmFileProblem, timmUrl } from './timm-weights.js';

export type ResNetArch = 'resnet18' | 'resnet34' | 'resnet50' | 'resnet101' | 'resnet152';
/** An architecture of the zoo (src/models/zoo.ts; src/io sits below src/models, so it is a plain string here). */
export type WeightsArch = string;

export interface WeightsEntry {
  /** Registry name (`tlearn weights fetch NAME`, `--weights NAME`). */
  name: string;
  aliases: string[];
  arch: WeightsArch;
  /** torchvision's enum member. */
  version: 'IMAGENET1K_V1' | 'IMAGENET1K_V2';
  filename: string;
  /** ImageNet-1k validation accuracy reported by torchvision. */
  acc1: number;
  acc5: number;
  numParams: number;
  /** torchvision's evaluation transform: resize the short side to resizeSize, center-crop cropSize. */
  resizeSize: number;
  cropSize: number;
  description: string;
  /** Who publishes the file: torchvision (download.pytorch.org) or timm (the Hugging Face hub, repository timm/<name>). */
  source: 'torchvision' | 'timm';
  /** The file's full SHA-256 where the name carries none (timm's files), when known; see expectedSha256. */
  sha256?: string;
}

export const DEFAULT_BASE_URL = 'https://download.pytorch.org/models/';

function entry(name: string, aliases: string[], arch: WeightsArch, version: WeightsEntry['version'], filename: string,
  acc1: number, acc5: number, numParams: number): WeightsEntry {
  const v2 = version === 'IMAGENET1K_V2';
  return {
    name, aliases, arch, version, filename, acc1, acc5, numParams, resizeSize: v2 ? 232 : 256, cropSize: 224,
    description: `torchvision ${arch} ${version} (ImageNet-1k top-1 ${acc1}%)`, source: 'torchvision',
  };
}

/** Weights of the other families: sizes from the weights' own eval transform (crop, resize). */
function zooEntry(name: string, aliases: string[], arch: WeightsArch, version: WeightsEntry['version'], filename: string,
  acc1: number, acc5: number, numParams: number, cropSize: number, resizeSize: number): WeightsEntry {
  return { name, aliases, arch, version, filename, acc1, acc5, numParams, resizeSize, cropSize, description: `torchvision ${arch} ${version} (ImageNet-1k top-1 ${acc1}%)`, source: 'torchvision' };
}

/** torchvision 0.14's weights (file names, metrics and transforms checked against torchvision/models/*.py). */
const TORCHVISION_WEIGHTS: readonly WeightsEntry[] = [
  entry('imagenet', ['resnet50', 'resnet50-v2', 'imagenet-v2'], 'resnet50', 'IMAGENET1K_V2', 'resnet50-11ad3fa6.pth', 80.858, 95.434, 25557032),
  entry('imagenet-v1', ['resnet50-v1'], 'resnet50', 'IMAGENET1K_V1', 'resnet50-0676ba61.pth', 76.13, 92.862, 25557032),
  entry('resnet18', ['resnet18-v1'], 'resnet18', 'IMAGENET1K_V1', 'resnet18-f37072fd.pth', 69.758, 89.078, 11689512),
  entry('resnet34', ['resnet34-v1'], 'resnet34', 'IMAGENET1K_V1', 'resnet34-b627a593.pth', 73.314, 91.42, 21797672),
  entry('resnet101', ['resnet101-v2'], 'resnet101', 'IMAGENET1K_V2', 'resnet101-cd907fc2.pth', 81.886, 95.78, 44549160),
  entry('resnet101-v1', [], 'resnet101', 'IMAGENET1K_V1', 'resnet101-63fe2227.pth', 77.374, 93.546, 44549160),
  entry('resnet152', ['resnet152-v2'], 'resnet152', 'IMAGENET1K_V2', 'resnet152-f82ba261.pth', 82.284, 96.002, 60192808),
  entry('resnet152-v1', [], 'resnet152', 'IMAGENET1K_V1', 'resnet152-394f9c45.pth', 78.312, 94.046, 60192808),
  zooEntry('efficientnet_b0', [], 'efficientnet_b0', 'IMAGENET1K_V1', 'efficientnet_b0_rwightman-3dd342df.pth', 77.692, 93.532, 5288548, 224, 256),
  zooEntry('efficientnet_b1', ['efficientnet_b1-v2'], 'efficientnet_b1', 'IMAGENET1K_V2', 'efficientnet_b1-c27df63c.pth', 79.838, 94.934, 7794184, 240, 255),
  zooEntry('efficientnet_b1-v1', [], 'efficientnet_b1', 'IMAGENET1K_V1', 'efficientnet_b1_rwightman-533bc792.pth', 78.642, 94.186, 7794184, 240, 256),
  zooEntry('efficientnet_b2', [], 'efficientnet_b2', 'IMAGENET1K_V1', 'efficientnet_b2_rwightman-bcdf34b7.pth', 80.608, 95.31, 9109994, 288, 288),
  zooEntry('efficientnet_b3', [], 'efficientnet_b3', 'IMAGENET1K_V1', 'efficientnet_b3_rwightman-cf984f9c.pth', 82.008, 96.054, 12233232, 300, 320),
  zooEntry('efficientnet_v2_s', [], 'efficientnet_v2_s', 'IMAGENET1K_V1', 'efficientnet_v2_s-dd5fe13b.pth', 84.228, 96.878, 21458488, 384, 384),
  zooEntry('mobilenet_v3_small', [], 'mobilenet_v3_small', 'IMAGENET1K_V1', 'mobilenet_v3_small-047dcff4.pth', 67.668, 87.402, 2542856, 224, 256),
  zooEntry('mobilenet_v3_large', ['mobilenet_v3_large-v2'], 'mobilenet_v3_large', 'IMAGENET1K_V2', 'mobilenet_v3_large-5c1a4163.pth', 75.274, 92.566, 5483032, 224, 232),
  zooEntry('mobilenet_v3_large-v1', [], 'mobilenet_v3_large', 'IMAGENET1K_V1', 'mobilenet_v3_large-8738ca79.pth', 74.042, 91.34, 5483032, 224, 256),
  zooEntry('convnext_tiny', [], 'convnext_tiny', 'IMAGENET1K_V1', 'convnext_tiny-983f1562.pth', 82.52, 96.146, 28589128, 224, 236),
  zooEntry('convnext_small', [], 'convnext_small', 'IMAGENET1K_V1', 'convnext_small-0c510722.pth', 83.616, 96.65, 50223688, 224, 230),
  zooEntry('regnet_y_400mf', ['regnet_y_400mf-v2'], 'regnet_y_400mf', 'IMAGENET1K_V2', 'regnet_y_400mf-e6988f5f.pth', 75.804, 92.742, 4344144, 224, 232),
  zooEntry('regnet_y_400mf-v1', [], 'regnet_y_400mf', 'IMAGENET1K_V1', 'regnet_y_400mf-c65dace8.pth', 74.046, 91.716, 4344144, 224, 256),
  zooEntry('regnet_y_1_6gf', ['regnet_y_1_6gf-v2'], 'regnet_y_1_6gf', 'IMAGENET1K_V2', 'regnet_y_1_6gf-0d7bc02a.pth', 80.876, 95.444, 11202430, 224, 232),
  zooEntry('regnet_y_1_6gf-v1', [], 'regnet_y_1_6gf', 'IMAGENET1K_V1', 'regnet_y_1_6gf-b11a554e.pth', 77.95, 93.966, 11202430, 224, 256),
  zooEntry('regnet_y_3_2gf', ['regnet_y_3_2gf-v2'], 'regnet_y_3_2gf', 'IMAGENET1K_V2', 'regnet_y_3_2gf-9180c971.pth', 81.982, 95.972, 19436338, 224, 232),
  zooEntry('regnet_y_3_2gf-v1', [], 'regnet_y_3_2gf', 'IMAGENET1K_V1', 'regnet_y_3_2gf-b5a9779c.pth', 78.948, 94.576, 19436338, 224, 256),
  zooEntry('vit_b_16', [], 'vit_b_16', 'IMAGENET1K_V1', 'vit_b_16-c867db91.pth', 81.072, 95.318, 86567656, 224, 256),
];

/** torchvision's weights, then timm's names for the same tensors (timm-weights.ts). */
export const WEIGHTS: readonly WeightsEntry[] = Object.freeze([...TORCHVISION_WEIGHTS, ...timmEntries(TORCHVISION_WEIGHTS)]);

export function listWeights(): WeightsEntry[] { return [...WEIGHTS]; }

/**
 * Looks a name up. With `arch`, the generic names mean that architecture's weights: 'imagenet' its
 * default (V2 where torchvision has one), 'imagenet-v1' / 'imagenet-v2' the explicit versions.
 */
export function findWeights(name: string, arch?: string): WeightsEntry {
  const n = name.trim().toLowerCase();
  if (arch && arch !== 'resnet50' && ['imagenet', 'imagenet-v1', 'imagenet-v2'].includes(n)) {
    // The generic names mean torchvision's files (timm's copies are asked for by their own names).
    const forArch = WEIGHTS.filter((w) => w.arch === arch && w.source === 'torchvision');
    if (forArch.length === 0) throw new Error(`no pretrained weights known for architecture '${arch}' (known: ${[...new Set(WEIGHTS.map((w) => w.arch))].join(', ')})`);
    const want = n === 'imagenet-v1' ? 'IMAGENET1K_V1' : n === 'imagenet-v2' ? 'IMAGENET1K_V2' : undefined;
    const hit = want ? forArch.find((w) => w.version === want) : (forArch.find((w) => w.version === 'IMAGENET1K_V2') ?? forArch[0]);
    if (!hit) throw new Error(`torchvision has no ${want} weights for ${arch} (available: ${forArch.map((w) => w.version).join(', ')})`);
    return hit;
  }
  const hit = WEIGHTS.find((w) => w.name === n || w.aliases.includes(n));
  if (!hit) throw new Error(`unknown weights '${name}'; known: ${WEIGHTS.filter((w) => w.source === 'torchvision').map((w) => w.name).join(', ')}, and timm's names for the same files (${WEIGHTS.filter((w) => w.source === 'timm').map((w) => w.name).join(', ')}) (or give a file path, or 'none')`);
  if (arch && hit.arch !== arch) throw new Error(`weights '${name}' are for ${hit.arch}, not ${arch}`);
  return hit;
}

/** The SHA-256 (or its prefix) a file must have: the entry's own, else the prefix in its name; undefined when unknown. */
export function expectedSha256(entry: WeightsEntry): string | undefined {
  if (entry.sha256) return entry.sha256;
  return entry.source === 'timm' ? undefined : hashPrefixOf(entry.filename);
}

/** The SHA-256 prefix that torch.hub encodes in a file name (`resnet50-11ad3fa6.pth` → `11ad3fa6`). */
export function hashPrefixOf(filename: string): string {
  const m = /-([0-9a-f]{6,64})\.[A-Za-z0-9]+$/.exec(filename);
  if (!m) throw new Error(`weights file name ${filename} carries no SHA-256 prefix`);
  return m[1];
}

type Env = Record<string, string | undefined>;

/** tlearn's cache root: TLEARN_HOME, else $XDG_CACHE_HOME/tlearn, else ~/.cache/tlearn. */
export function tlearnCacheDir(env: Env = process.env): string {
  if (env.TLEARN_HOME) return path.resolve(env.TLEARN_HOME);
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg ? path.resolve(xdg) : path.join(env.HOME ?? os.homedir(), '.cache'), 'tlearn');
}

/** Where downloaded weights go. */
export function weightsCacheDir(env: Env = process.env): string {
  return path.join(tlearnCacheDir(env), 'weights');
}

/** PyTorch hub's checkpoint folder(s), as torch.hub computes them ($TORCH_HOME, else XDG, else ~/.cache/torch). */
export function torchHubCheckpointDirs(env: Env = process.env): string[] {
  const home = env.HOME ?? os.homedir();
  const dirs = [];
  if (env.TORCH_HOME) dirs.push(path.join(env.TORCH_HOME, 'hub', 'checkpoints'));
  if (env.XDG_CACHE_HOME) dirs.push(path.join(env.XDG_CACHE_HOME, 'torch', 'hub', 'checkpoints'));
  dirs.push(path.join(home, '.cache', 'torch', 'hub', 'checkpoints'));
  return [...new Set(dirs.map((d) => path.resolve(d)))];
}

/** Hex SHA-256 of a file, streamed. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = crypto.createHash('sha256');
    fs.createReadStream(file).on('error', reject).on('data', (c) => h.update(c)).on('end', () => resolve(h.digest('hex')));
  });
}

export interface WeightsOptions {
  env?: Env;
  /** Overrides the cache folder (default weightsCacheDir(env)). */
  cacheDir?: string;
  /** Where torchvision's files are downloaded from (default TLEARN_WEIGHTS_URL, else download.pytorch.org/models/);
   *  timm's come from the Hugging Face hub (HF_ENDPOINT, else huggingface.co). */
  baseUrl?: string;
  /** Also look in PyTorch's hub cache (and for timm's files, Hugging Face's; default true). */
  useTorchHub?: boolean;
  /** Check the SHA-256 of a file found in a cache before using it (default true). */
  verify?: boolean;
  /** Called as bytes arrive; `total` is undefined when the server does not say. */
  onProgress?: (received: number, total: number | undefined) => void;
  /** Abort a download that stalls this long (ms, default 60 s). */
  timeoutMs?: number;
}

/** Where the file for `entry` is (or would be) in tlearn's cache. */
export function weightsCachePath(entry: WeightsEntry, opts: WeightsOptions = {}): string {
  return path.join(opts.cacheDir ?? weightsCacheDir(opts.env), entry.filename);
}

/** A verified copy of the weights already on disk (tlearn cache, then torch hub cache), or undefined. */
export async function locateWeights(entry: WeightsEntry, opts: WeightsOptions = {}): Promise<string | undefined> {
  const candidates = [weightsCachePath(entry, opts)];
  if (opts.useTorchHub ?? true) {
    candidates.push(...(entry.source === 'timm' ? huggingFaceCachedFiles(entry, opts.env ?? process.env)
      : torchHubCheckpointDirs(opts.env).map((d) => path.join(d, entry.filename))));
  }
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue;
    if ((opts.verify ?? true) && (await weightsFileProblem(entry, file)) !== undefined) continue; // damaged: ignore it
    return file;
  }
  return undefined;
}

/**
 * Why `file` is not `entry`'s file (undefined when it is): its SHA-256 does not start with the expected one, or, for
 * a timm file whose SHA-256 is unknown, it is not a complete safetensors file with the architecture's parameter count.
 */
export async function weightsFileProblem(entry: WeightsEntry, file: string, digest?: string): Promise<string | undefined> {
  const want = expectedSha256(entry);
  if (want === undefined) return timmFileProblem(entry, file);
  const got = digest ?? (await sha256File(file));
  return got.startsWith(want) ? undefined : `its SHA-256 ${got.slice(0, 16)}… does not start with ${want.slice(0, 16)}`;
}

/** Where `entry`'s file is downloaded from. */
export function weightsUrl(entry: WeightsEntry, opts: WeightsOptions = {}): string {
  const env = opts.env ?? process.env;
  if (entry.source === 'timm') return timmUrl(entry, env);
  const base = opts.baseUrl ?? env.TLEARN_WEIGHTS_URL ?? DEFAULT_BASE_URL;
  return base.endsWith('/') ? base + entry.filename : `${base}/${entry.filename}`;
}

/** Pretrained weights could not be downloaded (offline, proxy, HTTP error) or arrived damaged. */
export class WeightsDownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsDownloadError';
  }
}

function offlineHelp(entry: WeightsEntry, url: string, dest: string, reason: string, env?: Env): string {
  return `could not download ${entry.filename} from ${url}: ${reason}.\n` +
    `Without network access, download it elsewhere and place it at ${dest} ` +
    `(or in ${entry.source === 'timm'
      ? `Hugging Face's hub cache, as timm.create_model(pretrained=True) leaves it: ${path.join(huggingFaceHubCache(env ?? process.env), `models--timm--${entry.name}`, 'snapshots', '<revision>', 'model.safetensors')}`
      : `PyTorch's hub cache, ${torchHubCheckpointDirs(env)[0]}`}), ` +
    `or pass --weights PATH to use a local .pth/.safetensors file, or --weights none to start from random weights. ` +
    `Behind a proxy, set HTTPS_PROXY=http://host:port.`;
}

/** GET with redirects (through the environment's proxy, see proxy.ts); resolves once headers arrive. */
function get(url: string, timeoutMs: number, env: Env, redirects = 5): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let u: URL;
    let proxy: URL | undefined;
    try {
      u = new URL(url);
      proxy = proxyFor(u, env);
    } catch (e) { reject(e instanceof TypeError ? new Error(`bad URL ${url}`) : e); return; }
    const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
    if (!lib) { reject(new Error(`unsupported URL scheme ${u.protocol}`)); return; }
    const onResponse = (res: http.IncomingMessage): void => {
      const code = res.statusCode ?? 0;
      if (code >= 300 && code < 400 && res.headers.location) {
        res.resume();
        if (redirects <= 0) { reject(new Error('too many redirects')); return; }
        get(new URL(res.headers.location, u).toString(), timeoutMs, env, redirects - 1).then(resolve, reject);
        return;
      }
      if (code !== 200) { res.resume(); reject(new Error(`HTTP ${code} ${res.statusMessage ?? ''}`.trim())); return; }
      resolve(res);
    };
    const headers = { 'user-agent': 'tlearn' };
    if (proxy) { getViaProxy(u, proxy, headers, timeoutMs, onResponse, reject); return; }
    const req = lib.get(u, { headers }, onResponse);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response for ${timeoutMs / 1000} s`)));
    req.on('error', reject);
  });
}

/** Streams `url` into `tmp`, returning the SHA-256; rejects if the body ends short or stalls. */
async function download(url: string, tmp: string, opts: WeightsOptions): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const res = await get(url, timeoutMs, opts.env ?? process.env);
  const lenHeader = res.headers['content-length'];
  const total = lenHeader !== undefined && /^\d+$/.test(lenHeader) ? Number(lenHeader) : undefined;
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(tmp, 'w');
  let received = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      res.setTimeout(timeoutMs, () => res.destroy(new Error(`download stalled for ${timeoutMs / 1000} s`)));
      res.on('data', (chunk: Buffer) => {
        try {
          fs.writeSync(fd, chunk);
        } catch (e) { res.destroy(e as Error); return; }
        hash.update(chunk);
        received += chunk.length;
        opts.onProgress?.(received, total);
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('connection closed during the download')));
      res.on('close', () => {
        if (!res.complete) reject(new Error('connection closed during the download'));
      });
      res.on('end', () => resolve());
    });
    if (total !== undefined && received !== total) throw new Error(`download incomplete: ${received} of ${total} bytes`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Returns a local path to verified weights, downloading them into the cache if needed.
 * `which` is a registry name (see findWeights) or an entry.
 */
export async function fetchWeights(which: string | WeightsEntry, opts: WeightsOptions = {}): Promise<string> {
  const entry = typeof which === 'string' ? findWeights(which) : which;
  const found = await locateWeights(entry, opts);
  if (found) return found;
  const dest = weightsCachePath(entry, opts);
  const url = weightsUrl(entry, opts);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = tempPathFor(dest);
  try {
    let digest: string;
    try {
      digest = await download(url, tmp, opts);
    } catch (e) {
      throw new WeightsDownloadError(offlineHelp(entry, url, dest, (e as Error).message || String(e), opts.env));
    }
    const problem = await weightsFileProblem(entry, tmp, digest);
    if (problem !== undefined) {
      throw new WeightsDownloadError(`downloaded ${entry.filename} from ${url} but ${problem}: ` +
        `the file is corrupt or not the expected one; it was discarded`);
    }
    fs.renameSync(tmp, dest);
    return dest;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
