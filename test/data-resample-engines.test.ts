// The resample arithmetic gives the same bytes in libtorch and in onnxruntime (src/data/resample-*.ts), on
// random images, sizes and spans: prediction without libtorch decodes exactly as training does.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { resampleEngine, resampleSpan, setResampleEngine, sourceWindow, type Span } from '../src/data/resample.js';
import { onnxResampleEngine } from '../src/data/resample-onnx.js';
import { torchResampleEngine } from '../src/data/resample-torch.js';
import { Rng } from '../src/data/rng.js';
import type { RawImage } from '../src/data/raw-image.js';

after(() => setResampleEngine(null));

function randomImage(rng: Rng, width: number, height: number): RawImage {
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rng.next() * 256)) };
}

async function both(img: RawImage, axis: 'width' | 'height', span: Span): Promise<[RawImage, RawImage]> {
  setResampleEngine(torchResampleEngine);
  const a = await resampleSpan(img, axis, span);
  setResampleEngine(onnxResampleEngine);
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
  setResampleEngine(onnxResampleEngine);
  assert.equal(resampleEngine().name, 'onnxruntime');
  setResampleEngine(null);
  assert.equal(resampleEngine().name, 'libtorch');
});
