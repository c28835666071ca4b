// Where the files of the browser page come from: the page itself (web-page/ in the package: index.html, app.js,
// resize.js, style.css, copied as they are, no build step) and onnxruntime-web's WebAssembly build (an optional dependency).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The page's own files, in web-page/ at the package root (resize.js: the weights of resize.onnx). */
export const PAGE_FILES = ['index.html', 'app.js', 'resize.js', 'style.css', 'favicon.svg'] as const;

/**
 * onnxruntime-web's files the page needs, from its dist/: the WASM-only ES module app.js imports, and the
 * one WebAssembly build it loads (SIMD; threaded, though it runs on one thread unless the page is
 * cross-origin isolated). The other builds (WebGPU/JSEP, JSPI, asyncify, WebGL) are not copied.
 */
export const ORT_WEB_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'] as const;

export const ORT_WEB_INSTALL_HINT = 'install it next to tlearn with `npm install onnxruntime-web` (about 140 MB; only the WebAssembly files the page needs are copied)';

/** web-page/ of the tlearn package this module belongs to (found upwards from src/ or dist/src/). */
export function pageSourceDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'web-page');
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
  }
  throw new Error(`the browser page's files (web-page/index.html) are missing from tlearn's package above ${here}: reinstall tlearn`);
}

/**
 * onnxruntime-web's dist/ folder as resolved from `from` (default: this module, i.e. next to tlearn), or an
 * Error saying how to install it (or which of its files is missing).
 */
export function ortWebDir(from: string = import.meta.url): string {
  let entry: string;
  try {
    entry = createRequire(from).resolve('onnxruntime-web/wasm');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(`the web page needs onnxruntime-web, which is not installed: ${ORT_WEB_INSTALL_HINT}`);
    }
    throw new Error(`onnxruntime-web could not be found (${(e as Error).message}); reinstall it: ${ORT_WEB_INSTALL_HINT}`);
  }
  const dir = path.dirname(entry);
  const missing = ORT_WEB_FILES.filter((f) => !fs.existsSync(path.join(dir, f)));
  if (missing.length) {
    throw new Error(`onnxruntime-web in ${dir} lacks ${missing.join(', ')} (a different or damaged version); reinstall it: ${ORT_WEB_INSTALL_HINT}`);
  }
  return dir;
}
