// Decoding with sharp: every format and quirk the pipeline promises, corrupt files, and the eval
// transform against torchvision (PIL Resize + ToTensor + Normalize in the oracle Python).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import {
  decodeFull, decodeResized, evalGeometry, probeFile, resizeRaw, roundHalfEven, type RawImage,
} from '../src/data/index.js';
import { rawSharp, smoothRgb, solidRgb, tempDir } from './data-fixtures.js';
import { runPython } from './helpers/python.js';

const dir = tempDir('tlearn-decode-');
const f = (name: string) => path.join(dir, name);

function pixel(img: RawImage, x: number, y: number): [number, number, number] {
  const i = 3 * (y * img.width + x);
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

function near(a: number[], b: number[], tol: number, what: string): void {
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `${what}: got [${a}] expected [${b}] (±${tol})`);
}

test('EXIF-rotated JPEG ends up upright', async () => {
  // Upright image: 8 wide, 16 tall; top half red, bottom half blue.
  const up = Buffer.concat([solidRgb(8, 8, [255, 0, 0]), solidRgb(8, 8, [0, 0, 255])]);
  // Stored rotated 90° counter-clockwise, tagged orientation 6 ("rotate 90° clockwise to display").
  const stored = await rawSharp(up, 8, 16).rotate(-90).raw().toBuffer({ resolveWithObject: true });
  assert.equal(stored.info.width, 16);
  await sharp(stored.data, { raw: { width: 16, height: 8, channels: 3 } }).jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 }).toFile(f('rot.jpg'));
  assert.equal((await sharp(f('rot.jpg')).metadata()).orientation, 6);
  const img = await decodeFull(f('rot.jpg'));
  assert.deepEqual([img.width, img.height], [8, 16]);
  near(pixel(img, 4, 2), [255, 0, 0], 40, 'top is red');
  near(pixel(img, 4, 13), [0, 0, 255], 40, 'bottom is blue');
  const probe = await probeFile(f('rot.jpg'));
  assert.deepEqual([probe.width, probe.height], [8, 16]);
});

test('CMYK JPEG is converted to sRGB', async () => {
  await rawSharp(solidRgb(10, 10, [200, 60, 40]), 10, 10).toColourspace('cmyk').jpeg().toFile(f('cmyk.jpg'));
  const meta = await sharp(f('cmyk.jpg')).metadata();
  assert.equal(meta.space, 'cmyk');
  const img = await decodeFull(f('cmyk.jpg'));
  assert.equal(img.data.length, 10 * 10 * 3);
  near(pixel(img, 5, 5), [200, 60, 40], 30, 'CMYK colour back in sRGB');
});

test('palette PNG expands to its colours', async () => {
  const buf = Buffer.concat([solidRgb(8, 4, [255, 0, 0]), solidRgb(8, 4, [0, 128, 0])]);
  await rawSharp(buf, 8, 8).png({ palette: true, colours: 4, dither: 0 }).toFile(f('pal.png'));
  assert.equal((await sharp(f('pal.png')).metadata()).isPalette, true);
  const img = await decodeFull(f('pal.png'));
  assert.deepEqual(pixel(img, 1, 1), [255, 0, 0]);
  assert.deepEqual(pixel(img, 1, 6), [0, 128, 0]);
});

test('alpha is composited on white', async () => {
  const rgba = Buffer.alloc(4 * 4 * 4);
  for (let i = 0; i < 16; i++) { rgba[4 * i] = 255; rgba[4 * i + 1] = 0; rgba[4 * i + 2] = 0; rgba[4 * i + 3] = i < 8 ? 0 : 255; }
  await rawSharp(rgba, 4, 4, 4).png().toFile(f('rgba.png'));
  const img = await decodeFull(f('rgba.png'));
  assert.deepEqual(pixel(img, 1, 0), [255, 255, 255], 'fully transparent -> white background');
  assert.deepEqual(pixel(img, 1, 3), [255, 0, 0], 'opaque red stays red');
  // Grey + alpha too.
  const ga = Buffer.alloc(4 * 4 * 2);
  for (let i = 0; i < 16; i++) { ga[2 * i] = 0; ga[2 * i + 1] = 128; }
  await rawSharp(ga, 4, 4, 2).toColourspace('b-w').png().toFile(f('ga.png'));
  const g = await decodeFull(f('ga.png'));
  near(pixel(g, 0, 0), [127, 127, 127], 2, 'half-transparent black over white');
});

test('16-bit PNG is scaled to 8 bits', async () => {
  const buf = smoothRgb(9, 7);
  await rawSharp(buf, 9, 7).toColourspace('rgb16').png().toFile(f('p16.png'));
  assert.equal((await sharp(f('p16.png')).metadata()).depth, 'ushort');
  const img = await decodeFull(f('p16.png'));
  assert.deepEqual(Array.from(img.data), Array.from(buf));
});

test('grayscale PNG and JPEG are expanded to RGB', async () => {
  await rawSharp(Buffer.alloc(6 * 5, 77), 6, 5, 1).toColourspace('b-w').png().toFile(f('g.png'));
  await rawSharp(Buffer.alloc(6 * 5, 77), 6, 5, 1).toColourspace('b-w').jpeg().toFile(f('g.jpg'));
  for (const name of ['g.png', 'g.jpg']) {
    assert.equal((await sharp(f(name)).metadata()).channels, 1, name);
    const img = await decodeFull(f(name));
    assert.equal(img.data.length, 6 * 5 * 3);
    near(pixel(img, 2, 2), [77, 77, 77], 1, name);
  }
});

test('WebP, TIFF and the first frame of an animated GIF decode', async () => {
  const buf = smoothRgb(10, 8);
  await rawSharp(buf, 10, 8).webp({ lossless: true }).toFile(f('a.webp'));
  await rawSharp(buf, 10, 8).tiff({ compression: 'lzw' }).toFile(f('a.tif'));
  for (const name of ['a.webp', 'a.tif']) assert.deepEqual(Array.from((await decodeFull(f(name))).data), Array.from(buf), name);
  // Two frames: red, then blue.
  const frames = Buffer.alloc(6 * 12 * 4);
  for (let i = 0; i < 6 * 12; i++) {
    const first = i < 36;
    frames[4 * i] = first ? 255 : 0; frames[4 * i + 2] = first ? 0 : 255; frames[4 * i + 3] = 255;
  }
  await sharp(frames, { raw: { width: 6, height: 12, channels: 4, pageHeight: 6 } }).gif().toFile(f('anim.gif'));
  assert.equal((await sharp(f('anim.gif')).metadata()).pages, 2);
  const gif = await decodeFull(f('anim.gif'));
  assert.deepEqual([gif.width, gif.height], [6, 6]);
  assert.deepEqual(pixel(gif, 3, 3), [255, 0, 0]);
});

test('corrupt, empty, truncated and non-image files are reported, never thrown', async () => {
  await rawSharp(smoothRgb(64, 64), 64, 64).jpeg().toFile(f('full.jpg'));
  const bytes = fs.readFileSync(f('full.jpg'));
  fs.writeFileSync(f('trunc.jpg'), bytes.subarray(0, Math.floor(bytes.length / 2)));
  fs.writeFileSync(f('empty.png'), '');
  fs.writeFileSync(f('text.jpg'), 'this is not an image\n');
  fs.writeFileSync(f('noise.png'), Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256)));
  for (const name of ['trunc.jpg', 'empty.png', 'text.jpg', 'noise.png']) {
    const p = await probeFile(f(name));
    assert.ok(p.error, `${name} should be reported unreadable`);
    assert.ok(!p.error.includes('\n'));
    await assert.rejects(decodeResized(f(name), 8, 'squash'), Error, name);
  }
  assert.match((await probeFile(f('empty.png'))).error!, /empty/);
  // A truncated PNG is refused too.
  await rawSharp(smoothRgb(64, 64), 64, 64).png().toFile(f('full.png'));
  const png = fs.readFileSync(f('full.png'));
  fs.writeFileSync(f('trunc.png'), png.subarray(0, Math.floor(png.length * 0.6)));
  assert.ok((await probeFile(f('trunc.png'))).error);
  // Damaged entropy-coded data only makes libjpeg warn ("Corrupt JPEG data"): decoded, as PIL does.
  const damaged = Buffer.from(bytes);
  const sos = damaged.indexOf(Buffer.from([0xff, 0xda]));
  damaged[sos + 40] ^= 0x55; damaged[sos + 60] ^= 0x33;
  fs.writeFileSync(f('extra.jpg'), damaged);
  await assert.rejects(sharp(f('extra.jpg'), { failOn: 'warning' }).raw().toBuffer(), /Corrupt JPEG data/, 'the fixture does trigger a warning');
  assert.equal((await probeFile(f('extra.jpg'))).error, undefined);
  const ok = runPython<number[]>(`
from PIL import Image
im = Image.open(inp); im.load(); out(list(im.size))`, f('extra.jpg'));
  assert.deepEqual(ok, [64, 64]);
  const missing = await probeFile(f('nope.png'));
  assert.match(missing.error!, /does not exist/);
  assert.equal((await probeFile(f('full.jpg'))).error, undefined);
});

test('eval geometry follows torchvision Resize(int) + CenterCrop arithmetic', () => {
  assert.deepEqual(evalGeometry(640, 480, 224, 'crop'), { resizeWidth: 341, resizeHeight: 256, left: 58, top: 16 });
  assert.deepEqual(evalGeometry(480, 640, 224, 'crop'), { resizeWidth: 256, resizeHeight: 341, left: 16, top: 58 });
  assert.deepEqual(evalGeometry(100, 300, 224, 'squash'), { resizeWidth: 224, resizeHeight: 224, left: 0, top: 0 });
  assert.equal(roundHalfEven(16.5), 16);
  assert.equal(roundHalfEven(17.5), 18);
  assert.equal(roundHalfEven(2.4), 2);
  // Cross-check sizes and offsets against torchvision for a few odd shapes.
  const shapes = [[301, 200], [200, 301], [257, 999], [50, 51]];
  const ref = runPython<number[][]>(`
import torchvision.transforms.functional as F
from PIL import Image
res = []
for w, h in inp:
    im = F.resize(Image.new('RGB', (w, h)), 73)
    W, H = im.size
    res.append([W, H, int(round((W - 64) / 2.0)), int(round((H - 64) / 2.0))])
out(res)`, shapes);
  shapes.forEach(([w, h], i) => {
    const g = evalGeometry(w!, h!, 64, 'crop');
    assert.deepEqual([g.resizeWidth, g.resizeHeight, g.left, g.top], ref[i], `${w}x${h}`);
  });
});

test('eval transform matches torchvision Resize + ToTensor + Normalize', async (t) => {
  await rawSharp(smoothRgb(300, 200), 300, 200).png().toFile(f('smooth.png'));
  await rawSharp(smoothRgb(28, 28), 28, 28).png().toFile(f('small.png'));
  const cases = [
    { file: 'smooth.png', size: 64, mode: 'squash' }, // both axes shrink: libvips
    { file: 'smooth.png', size: 64, mode: 'crop' },
    { file: 'smooth.png', size: 224, mode: 'squash' }, // width shrinks (libvips), height grows (PIL loop)
    { file: 'small.png', size: 56, mode: 'squash' }, // pure upsampling: exact
  ] as const;
  const ref = runPython<number[][]>(`
from PIL import Image
import torch, torchvision.transforms as T
res = []
for c in inp:
    rs = T.Resize((c['size'], c['size'])) if c['mode'] == 'squash' else T.Compose([T.Resize(round(c['size'] / 0.875)), T.CenterCrop(c['size'])])
    t = T.Compose([rs, T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    x = t(Image.open(c['path']).convert('RGB'))
    res.append(x.flatten().tolist())
out(res)`, cases.map((c) => ({ ...c, path: f(c.file) })));
  const { IMAGENET_MEAN, IMAGENET_STD } = await import('../src/data/index.js');
  const { imagesTensor } = await import('../src/data/tensor.js');
  const { scope } = await import('../src/torch/index.js');
  for (const [i, c] of cases.entries()) {
    const img = await decodeResized(f(c.file), c.size, c.mode);
    const x = scope(() => imagesTensor({
      pixels: img.data, shape: [1, 3, c.size, c.size], layout: 'nchw', views: [{ flip: false }], jitter: [null], mean: IMAGENET_MEAN, std: IMAGENET_STD,
    }).toFloat32Array());
    let sum = 0, max = 0;
    ref[i]!.forEach((v, k) => { const d = Math.abs(v - x[k]!); sum += d; if (d > max) max = d; });
    const mean = sum / x.length;
    t.diagnostic(`${c.file} ${c.mode} ${c.size}: mean |diff| ${mean.toExponential(2)}, max |diff| ${max.toFixed(4)} (normalised units)`);
    assert.ok(mean < 0.02, `mean abs diff ${mean} too large for ${c.file} ${c.mode} ${c.size}`);
    assert.ok(max < 0.15, `max abs diff ${max} too large`);
    if (c.file === 'small.png') assert.ok(max < 1e-6, `pure upsampling should match PIL exactly, max diff ${max}`);
  }
});

test('resizeRaw upsamples exactly like PIL bilinear, in both axes', async () => {
  const w = 7, h = 5;
  const img = { data: new Uint8Array(smoothRgb(w, h, 3)), width: w, height: h };
  const out = await resizeRaw(img, 23, 17);
  const ref = runPython<number[]>(`
from PIL import Image
import numpy as np
a = np.array(inp['data'], dtype=np.uint8).reshape(inp['h'], inp['w'], 3)
out(np.asarray(Image.fromarray(a).resize((23, 17), Image.BILINEAR)).ravel().tolist())`, { data: Array.from(img.data), w, h });
  assert.deepEqual(Array.from(out.data), ref);
});

/** Sharp-edged rectangles of varied colour (a photo's edges, not a smooth ramp): sub-pixel shifts show on them. */
function patchesRgb(width: number, height: number): Buffer {
  const buf = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const cell = Math.floor(x / 9) * 131 + Math.floor(y / 7) * 71;
      for (let c = 0; c < 3; c++) buf[3 * (y * width + x) + c] = (cell * (37 + 22 * c) + 11 * c) % 251;
    }
  }
  return buf;
}

test('a JPEG of awkward size is resized from its full decode, as torchvision does (no shrink-on-load shift)', async (t) => {
  // 203×151 is no multiple of 2, 4 or 8: libjpeg's scaled decode (sharp's shrink-on-load) shifted it by a
  // fraction of a pixel. The PNG holds the JPEG's own decoded pixels, so both must give the same input.
  const w = 203, h = 151;
  await rawSharp(patchesRgb(w, h), w, h).jpeg({ quality: 95 }).toFile(f('awkward.jpg'));
  const full = await decodeFull(f('awkward.jpg'));
  await rawSharp(Buffer.from(full.data), w, h).png().toFile(f('awkward.png'));
  const cases = [
    { size: 32, mode: 'squash' }, // shrink 4.7-6.3×: sharp picked libjpeg's 1/4 decode
    { size: 56, mode: 'crop' }, // to 85×64, then crop: sharp picked 1/2
  ] as const;
  const ref = runPython<number[][]>(`
from PIL import Image
import torchvision.transforms as T
res = []
for c in inp['cases']:
    rs = T.Resize((c['size'], c['size'])) if c['mode'] == 'squash' else T.Compose([T.Resize(round(c['size'] / 0.875)), T.CenterCrop(c['size'])])
    t = T.Compose([rs, T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    for p in inp['paths']:
        res.append(t(Image.open(p).convert('RGB')).permute(1, 2, 0).flatten().tolist())
out(res)`, { cases, paths: [f('awkward.jpg'), f('awkward.png')] });
  const { IMAGENET_MEAN, IMAGENET_STD } = await import('../src/data/index.js');
  const normalised = (v: number, k: number) => (v / 255 - IMAGENET_MEAN[k % 3]!) / IMAGENET_STD[k % 3]!;
  for (const [i, c] of cases.entries()) {
    const jpg = await decodeResized(f('awkward.jpg'), c.size, c.mode);
    const png = await decodeResized(f('awkward.png'), c.size, c.mode);
    const stats = [jpg, png].map((img, j) => {
      let sum = 0, max = 0;
      ref[2 * i + j]!.forEach((v, k) => { const d = Math.abs(v - normalised(img.data[k]!, k)); sum += d; if (d > max) max = d; });
      return { mean: sum / img.data.length, max };
    });
    const [sj, sp] = stats as [{ mean: number; max: number }, { mean: number; max: number }];
    t.diagnostic(`${c.mode} ${c.size}: JPEG mean ${sj.mean.toFixed(4)} max ${sj.max.toFixed(3)}; PNG mean ${sp.mean.toFixed(4)} max ${sp.max.toFixed(3)} (normalised units)`);
    let differ = 0;
    for (let k = 0; k < jpg.data.length; k++) if (jpg.data[k] !== png.data[k]) differ++;
    assert.equal(differ, 0, `${c.mode} ${c.size}: JPEG and PNG of the same pixels differ in ${differ} of ${jpg.data.length} values`);
    // The tolerance of libvips' own resize against PIL on this pattern (what a PNG gets), with a little room.
    assert.ok(sj.mean <= sp.mean * 1.05 + 1e-4 && sj.mean < 0.03, `${c.mode} ${c.size}: JPEG mean |diff| ${sj.mean} against PNG's ${sp.mean}`);
    assert.ok(sj.max <= sp.max + 0.02 && sj.max < 0.5, `${c.mode} ${c.size}: JPEG max |diff| ${sj.max} against PNG's ${sp.max}`);
  }
});

test('crop mode on long, thin images computes only the centre crop: torchvision\'s bytes, bounded memory', async () => {
  // QA 7a F1: 1×5000 in crop mode was resized whole (256 × 1,280,000 at 224 px, 37 × 185,000 at 32) in
  // float64 before the centre was cut: tens of GB and an OOM kill. Only the kept rows and columns are made now.
  const shapes = [[1, 5000], [5000, 1], [3, 2000], [2000, 7]] as const;
  for (const [w, h] of shapes) await rawSharp(patchesRgb(w, h), w, h).png().toFile(f(`thin_${w}x${h}.png`));
  const cases = shapes.map(([w, h]) => ({ path: f(`thin_${w}x${h}.png`), size: 32 }));
  const ref = runPython<number[][]>(`
from PIL import Image
import numpy as np, torchvision.transforms as T
res = []
for c in inp:
    t = T.Compose([T.Resize(round(c['size'] / 0.875)), T.CenterCrop(c['size'])])
    res.append(np.asarray(t(Image.open(c['path']).convert('RGB'))).ravel().tolist())
out(res)`, cases);
  for (const [i, c] of cases.entries()) {
    const img = await decodeResized(c.path, c.size, 'crop');
    assert.deepEqual([img.width, img.height], [32, 32]);
    assert.deepEqual(Array.from(img.data), ref[i], `${path.basename(c.path)} crop 32`);
  }
  // 224 px: PIL's full resize (983 MB) is too heavy for a test; the width is 1 → 256, a plain copy of the
  // column, so the oracle is PIL's resize of the column alone to its full height, centre rows.
  const g = evalGeometry(1, 5000, 224, 'crop');
  assert.equal(g.resizeHeight, 1_280_000);
  const img = await decodeResized(f('thin_1x5000.png'), 224, 'crop');
  const col = runPython<number[]>(`
from PIL import Image
import numpy as np
a = np.asarray(Image.open(inp['path']).convert('RGB').resize((1, inp['h']), Image.BILINEAR))
out(a[inp['top']:inp['top'] + 224, 0].ravel().tolist())`, { path: f('thin_1x5000.png'), h: g.resizeHeight, top: g.top });
  for (let y = 0; y < 224; y++) {
    for (let x = 0; x < 224; x += 37) assert.deepEqual(pixel(img, x, y), col.slice(3 * y, 3 * y + 3), `1x5000 at 224: pixel ${x},${y}`);
  }
  // Beyond what a C int can hold (no torchvision equivalent): refused with the aspect ratio named, a
  // decode error the loader and the probe report as for any unreadable file.
  assert.throws(() => evalGeometry(1, 9_000_000, 224, 'crop'), /aspect ratio 1:9000000 \(1x9000000\) is too extreme for the crop resize/);
  assert.throws(() => evalGeometry(9_000_000, 1, 224, 'crop'), /aspect ratio 9000000:1 /);
  assert.equal(evalGeometry(9_000_000, 2, 224, 'crop').resizeWidth, 1_152_000_000);
  assert.equal(evalGeometry(1, 9_000_000, 224, 'squash').resizeHeight, 224);
});
