// The pixel arithmetic gives the same bytes in libtorch and in onnxruntime (src/data/pixels-*.ts): the resample on
// random images, sizes and spans; the extent and byte maps (affine, logistic, inverted) on random values, as numpy
// computes them. Prediction without libtorch decodes exactly as training does.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { pixelEngine, setPixelEngine } from '../src/data/pixel-engine.js';
import { resampleSpan, sourceWindow, type Span } from '../src/data/resample.js';
import { onnxPixelEngine } from '../src/data/pixels-onnx.js';
import { torchPixelEngine } from '../src/data/pixels-torch.js';
import { Rng } from '../src/data/rng.js';
import { runPython } from './helpers/python.js';
import type { RawImage } from '../src/data/raw-image.js';
import type { ByteMap } from '../src/data/pixel-engine.js';

after(() => setPixelEngine(null));

function randomImage(rng: Rng, width: number, height: number): RawImage {
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rng.next() * 256)) };
}

async function both(img: RawImage, axis: 'width' | 'height', span: Span): Promise<[RawImage, RawImage]> {
  setPixelEngine(torchPixelEngine);
  const a = await resampleSpan(img, axis, span);
  setPixelEngine(onnxPixelEngine);
  const b = await resampleSpan(img, axis, span);
  return [a, b];
}

test('libtorch and onnxruntime resample random images to the same bytes, whole axes and spans', async () => {
  const rng = new Rng(17);
  const int = (lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));
  let cases = 0;
  for (let k = 0; k < 24; k++) {
    const axis = k % 2 === 0 ? 'width' : 'height';
    const fullIn = int(1, 40), fullOut = fullIn + int(1, 200);
    // Every third case computes a span only, from the source window it needs (as decode.ts's crop does).
    const span = k % 3 === 0 ? (() => {
      const from = int(0, fullOut - 1), to = int(from + 1, fullOut);
      return { from, to, ...sourceWindow(fullIn, fullOut, from, to) };
    })() : { from: 0, to: fullOut, lo: 0, hi: fullIn };
    const other = int(1, 30);
    const img = axis === 'width' ? randomImage(rng, span.hi - span.lo, other) : randomImage(rng, other, span.hi - span.lo);
    const [a, b] = await both(img, axis, { fullIn, fullOut, inOffset: span.lo, from: span.from, to: span.to });
    assert.equal(a.width, b.width);
    assert.equal(a.height, b.height);
    assert.ok(Buffer.from(a.data).equals(Buffer.from(b.data)), `case ${k}: ${axis} ${fullIn} -> ${fullOut} [${span.from}, ${span.to})`);
    cases++;
  }
  assert.equal(cases, 24);
});

test('the default engine is libtorch, and a null choice returns to it', () => {
  setPixelEngine(onnxPixelEngine);
  assert.equal(pixelEngine().name, 'onnxruntime');
  setPixelEngine(null);
  assert.equal(pixelEngine().name, 'libtorch');
});

test('extent and byte maps: both engines give numpy\'s bytes (affine, logistic and inverted maps, round half to even, clip)', async () => {
  const rng = new Rng(5);
  // Integers and halves land on rounding ties; the range runs well past both ends of 0..255.
  const values = Float64Array.from({ length: 500 }, (_, i) => (i < 40 ? i / 2 : Math.round((rng.next() * 4000 - 2000) * 4) / 4));
  const maps: ByteMap[] = [
    { scale: 1, offset: 0, sigmoid: false, invert: false },
    { scale: 255 / 799, offset: 40.25, sigmoid: false, invert: true },
    { scale: 4 / 50, offset: -8, sigmoid: true, invert: false },
    { scale: -0.5, offset: 300, sigmoid: true, invert: true },
  ];
  const want = runPython<{ min: number; max: number; bytes: number[][] }>(`
import numpy as np
x = np.array(inp['values'], dtype=np.float64)
res = []
for m in inp['maps']:
    y = x * m['scale'] + m['offset']
    if m['sigmoid']: y = 255 / (1 + np.exp(-y))
    if m['invert']: y = 255 - y
    res.append(np.clip(np.round(y), 0, 255).astype(np.uint8).tolist())
out({'min': float(x.min()), 'max': float(x.max()), 'bytes': res})`, { values: Array.from(values), maps });
  for (const engine of [torchPixelEngine, onnxPixelEngine]) {
    assert.deepEqual(await engine.extent(values), { min: want.min, max: want.max }, engine.name);
    for (const [i, map] of maps.entries()) {
      assert.deepEqual(Array.from(await engine.toBytes(values, map)), want.bytes[i], `${engine.name}: ${JSON.stringify(map)}`);
    }
  }
});
