// Files tlearn does not read get a reason a user can act on (QA 7a F3, F6): empty files say so, BMP/PNM
// files (which torchvision's ImageFolder reads) are named with what to do, and SVG or other non-raster
// content is refused from its header, before anything is rendered, whatever the file is called.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  auditWarnings, decodeResized, formatAuditSummary, loadSource, prepareData, probeDataset, probeFile,
} from '../src/data/index.js';
import { tempDir, touch, writePng } from './data-fixtures.js';
import { runPython } from './helpers/python.js';

/** Real BMP and PPM files, written by PIL (sharp cannot write either). */
function pilImages(files: string[]): void {
  for (const f of files) fs.mkdirSync(path.dirname(f), { recursive: true });
  runPython(`
from PIL import Image
for i, p in enumerate(inp):
    Image.new('RGB', (9, 7), (10 * i, 80, 160)).save(p)
out(len(inp))`, files);
}

test('an empty file is reported as empty, also after the probe re-diagnoses failures', async () => {
  const root = tempDir();
  for (let i = 0; i < 3; i++) await writePng(path.join(root, 'a', `a${i}.png`), 16, 12, i);
  for (let i = 0; i < 3; i++) await writePng(path.join(root, 'b', `b${i}.png`), 16, 12, 10 + i);
  touch(path.join(root, 'a', 'zero.png'), '');
  touch(path.join(root, 'b', 'zero.jpg'), '');
  const ds = await loadSource(root);
  const probes = await probeDataset(ds, { concurrency: 2 });
  const reasons = ds.items.map((it, i) => [path.basename(it.path), probes[i]!.error]).filter(([, e]) => e);
  assert.deepEqual(reasons, [['zero.png', 'empty file (0 bytes)'], ['zero.jpg', 'empty file (0 bytes)']]);
  await assert.rejects(decodeResized(path.join(root, 'a', 'zero.png'), 8, 'squash'), /^Error: empty file \(0 bytes\)$/);
});

test('BMP and PPM files are named, in the class-count error, the audit summary, the warnings and a probe', async () => {
  // A class folder of BMPs only: not "a folder without images" without a word about them.
  const only = tempDir();
  await writePng(path.join(only, 'a', 'ok.png'), 16, 12, 1);
  pilImages([0, 1, 2, 3].map((i) => path.join(only, 'b', `x${i}.bmp`)));
  await assert.rejects(loadSource(only), (e: Error) => {
    assert.match(e.message, /1 class found: a/);
    assert.match(e.message, /b\/ \(holds 4 \.bmp files\)/);
    assert.match(e.message, /4 \.bmp files ignored: tlearn cannot read BMP\/PNM images .*convert them to PNG/);
    return true;
  });

  // BMP and PPM next to readable images: counted by extension, warned about, in audit.json.
  const mixed = tempDir();
  for (let i = 0; i < 4; i++) await writePng(path.join(mixed, 'train', 'a', `a${i}.png`), 16, 12, i);
  for (let i = 0; i < 4; i++) await writePng(path.join(mixed, 'train', 'b', `b${i}.png`), 16, 12, 10 + i);
  pilImages([path.join(mixed, 'train', 'a', 'pic.bmp'), path.join(mixed, 'train', 'b', 'pic.ppm'), path.join(mixed, 'train', 'b', 'PIC2.PPM')]);
  touch(path.join(mixed, 'train', 'b', 'notes.txt'), 'text');
  const { audit } = await prepareData(mixed, { imageSize: 16, outDir: tempDir('tlearn-run-'), valFraction: 0, requireVal: false });
  assert.equal(audit.ignored.non_image, 4);
  assert.deepEqual(audit.ignored.unsupported_images, { '.bmp': 1, '.ppm': 2 });
  const expected = '1 .bmp and 2 .ppm files ignored: tlearn cannot read BMP/PNM images (it reads JPEG, PNG, WebP, GIF, TIFF, AVIF and DICOM); convert them to PNG';
  assert.ok(auditWarnings(audit).includes(expected), auditWarnings(audit).join('\n'));
  assert.ok(formatAuditSummary(audit).includes(expected));

  // Named explicitly (a CSV row, `predict x.bmp`): the probe and the decoder say what the file is.
  const bmp = path.join(mixed, 'train', 'a', 'pic.bmp'), ppm = path.join(mixed, 'train', 'b', 'pic.ppm');
  assert.match((await probeFile(bmp)).error!, /^BMP file: tlearn reads JPEG, PNG.*not BMP; convert it to PNG$/);
  assert.match((await probeFile(ppm)).error!, /^PNM \(PPM\/PGM\/PBM\) file: .*convert it to PNG$/);
  await assert.rejects(decodeResized(bmp, 8, 'crop'), /BMP file/);
  // A text file named .png: no loader recognises it.
  touch(path.join(mixed, 'text.png'), 'hello, not an image\n');
  assert.match((await probeFile(path.join(mixed, 'text.png'))).error!, /not an image tlearn can read \(it reads JPEG, PNG/);
});

test('SVG content is refused from its header, never rendered, whatever its extension', async () => {
  const dir = tempDir();
  // 120 bytes declaring 16000×16000: librsvg took 7 s and 540 MB to render it (QA 7a F6).
  const big = touch(path.join(dir, 'big.png'),
    '<svg xmlns="http://www.w3.org/2000/svg" width="16000" height="16000"><rect width="16000" height="16000" fill="red"/></svg>');
  const small = touch(path.join(dir, 'small.jpg'),
    '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><circle cx="10" cy="10" r="5"/></svg>');
  for (const f of [big, small]) {
    assert.match((await probeFile(f)).error!, /^SVG \(a vector drawing\) is not an image format tlearn reads/);
    assert.match((await probeFile(f, { imageSize: 16, resize: 'crop' })).error!, /^SVG/);
    await assert.rejects(decodeResized(f, 224, 'squash'), /SVG/);
  }
  // PIL refuses it too (the PyTorch side cannot read such a file either).
  const pil = runPython<string>(`
from PIL import Image
try:
    Image.open(inp); out('opened')
except Exception as e:
    out(type(e).__name__)`, small);
  assert.notEqual(pil, 'opened');
});
