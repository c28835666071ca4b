// The web page folder of `tlearn export --format web` (src/export/web): what it holds, that an existing folder
// is only replaced on request (and only when it is an earlier page), that a failure leaves nothing behind, and
// that a missing onnxruntime-web is named with how to install it. The page in a browser: export-web-chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ORT_WEB_FILES, ortWebDir, WEB_PAGE_KIND, writeWebPage } from '../src/export/web/index.js';
import { seedMetadata } from '../src/models/metadata.js';
import { tempDir } from './helpers/temp.js';

const BYTES = new Uint8Array([8, 8, 18, 6, 116, 108, 101, 97, 114, 110]); // any bytes: the writer only copies them
const META = { ...seedMetadata('resnet18'), imageSize: 32, classes: ['cat', 'dog'], positiveClass: 'dog', threshold: 0.4 };

test('writeWebPage writes the page, model.json, model.onnx and only the onnxruntime-web files the page loads', () => {
  const parent = tempDir();
  const dir = path.join(parent, 'nested', 'page');
  const written = writeWebPage(dir, { modelBytes: BYTES, metadata: META });
  assert.equal(written.dir, dir);
  const all = fs.readdirSync(dir, { recursive: true }).map(String).sort();
  assert.deepEqual(all, ['app.js', 'favicon.svg', 'index.html', 'model.json', 'model.onnx', 'ort', ...ORT_WEB_FILES.map((f) => `ort/${f}`), 'style.css'].sort());
  assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx'))), BYTES);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  assert.equal(json.kind, WEB_PAGE_KIND);
  assert.equal(json.input, 'uint8-nhwc');
  assert.deepEqual([json.metadata.task, json.metadata.classes, json.metadata.imageSize, json.metadata.resize, json.metadata.threshold], ['binary', ['cat', 'dog'], 32, 'squash', 0.4]);
  for (const f of ORT_WEB_FILES) assert.ok(fs.readFileSync(path.join(dir, 'ort', f)).equals(fs.readFileSync(path.join(ortWebDir(), f))), f);
  assert.equal(written.bytes, written.files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0));
  // No request leaves the folder: index.html names no http(s) resource and app.js imports only ./ paths.
  const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /(src|href)="https?:/);
  assert.match(html, /Content-Security-Policy" content="default-src 'self'/);
  const app = fs.readFileSync(path.join(dir, 'app.js'), 'utf8');
  assert.deepEqual([...app.matchAll(/from '([^']+)'/g)].map((m) => m[1]), ['./ort/ort.wasm.min.mjs']);
  assert.deepEqual(fs.readdirSync(path.join(parent, 'nested')), ['page'], 'no staging folder left');
});

test('an existing non-empty folder is refused without force; force replaces an earlier page but never another folder', () => {
  const parent = tempDir();
  const dir = path.join(parent, 'page');
  writeWebPage(dir, { modelBytes: BYTES, metadata: META });
  assert.throws(() => writeWebPage(dir, { modelBytes: new Uint8Array([1]), metadata: META }), /page already exists and is not empty;.*--force/);
  assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx'))), BYTES, 'kept');
  writeWebPage(dir, { modelBytes: new Uint8Array([1, 2]), metadata: { ...META, threshold: 0.7 }, force: true });
  assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx'))), new Uint8Array([1, 2]));
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).metadata.threshold, 0.7);
  assert.deepEqual(fs.readdirSync(parent), ['page'], 'the old page and the staging folder are gone');

  const mine = path.join(parent, 'mine');
  fs.mkdirSync(mine);
  fs.writeFileSync(path.join(mine, 'thesis.tex'), 'keep me');
  assert.throws(() => writeWebPage(mine, { modelBytes: BYTES, metadata: META, force: true }), /is not a page written by tlearn export --format web/);
  assert.deepEqual(fs.readdirSync(mine), ['thesis.tex']);
  const file = path.join(parent, 'a-file');
  fs.writeFileSync(file, 'x');
  assert.throws(() => writeWebPage(file, { modelBytes: BYTES, metadata: META, force: true }), /exists and is not a folder/);
  const empty = path.join(parent, 'empty');
  fs.mkdirSync(empty);
  writeWebPage(empty, { modelBytes: BYTES, metadata: META });
  assert.ok(fs.existsSync(path.join(empty, 'index.html')), 'an empty folder is taken as it is');
});

test('a failure while writing leaves no folder and no staging folder; an earlier page stays whole', () => {
  const parent = tempDir();
  const brokenOrt = tempDir(); // no onnxruntime-web files in it: the copy fails after the page files are written
  assert.throws(() => writeWebPage(path.join(parent, 'made', 'page'), { modelBytes: BYTES, metadata: META, ortDir: brokenOrt }), /ENOENT/);
  assert.deepEqual(fs.readdirSync(parent), [], 'neither the page, its staging folder nor the parent made for it');
  const dir = path.join(parent, 'page');
  writeWebPage(dir, { modelBytes: BYTES, metadata: META });
  assert.throws(() => writeWebPage(dir, { modelBytes: new Uint8Array([9]), metadata: META, force: true, ortDir: brokenOrt }), /ENOENT/);
  assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx'))), BYTES);
  assert.deepEqual(fs.readdirSync(parent), ['page']);
});

test('without onnxruntime-web the message names it and how to install it', () => {
  const elsewhere = tempDir(); // no node_modules above it
  assert.throws(() => ortWebDir(pathToFileURL(path.join(elsewhere, 'x.js')).href), /needs onnxruntime-web, which is not installed: .*npm install onnxruntime-web/);
});
