// SVG is refused from the file's first bytes, before sharp sees them: asking sharp for the header of an SVG
// makes librsvg parse the whole document (9 MB of shapes: 6 s), and a drawing declared 100000×100000 then
// came back as "exceeds pixel limit" instead of "SVG is not an image format tlearn reads".
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'node:test';
import {
  decodeCount, decodeFull, decodeResized, imageSize, probeFile, verifyDecodes,
} from '../src/data/index.js';
import { markupKind } from '../src/data/sniff.js';
import { makeThumbnail } from '../src/report/thumbnails.js';
import { tempDir, touch, writePng } from './data-fixtures.js';

const SVG_MESSAGE = /^SVG \(a vector drawing\) is not an image format tlearn reads \(JPEG, PNG/;

/** A drawing declared 100000×100000 with `shapes` rectangles (about 30 bytes each) to parse. */
function hugeSvg(shapes: number, prefix = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- a comment -->\n'): string {
  return `${prefix}<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000">` +
    `${'<rect width="10" height="10"/>'.repeat(shapes)}</svg>\n`;
}

test('markupKind: SVG after a BOM, whitespace, an XML declaration, comments or a doctype; gzip (svgz)', async () => {
  const svg = (s: string) => markupKind(Buffer.from(s));
  assert.equal(svg('<svg width="1" height="1"/>'), 'svg');
  assert.equal(svg('\ufeff  \n\t<svg/>'), 'svg');
  assert.equal(svg('<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n<!-- c -->\n<SVG>'), 'svg');
  assert.equal(svg(`<!--${' '.repeat(3000)}-->\n<svg>`), 'svg', 'a long comment before the root');
  assert.equal(svg('<?xml version="1.0"?>\n<html><body/></html>'), 'markup');
  assert.equal(svg('<!DOCTYPE html><html>'), 'markup');
  // libvips' own test: the first 24 bytes are text and "<svg" comes within 1000 bytes, even after other text.
  assert.equal(svg(`hello, this is some text then <svg width="5" height="5"/>`), 'svg');
  assert.equal(markupKind(zlib.gzipSync(Buffer.from('<svg/>'))), 'gzip');
  assert.equal(svg('hello, not an image\n'), undefined);
  assert.equal(svg(''), undefined);
  const dir = tempDir();
  for (const ext of ['png', 'jpg', 'webp', 'gif', 'tiff'] as const) {
    const file = await writePng(path.join(dir, `x.${ext}`), 12, 10);
    const sharp = (await import('sharp')).default;
    await sharp(fs.readFileSync(file)).toFormat(ext).toFile(path.join(dir, `y.${ext}`));
    assert.equal(markupKind(fs.readFileSync(path.join(dir, `y.${ext}`))), undefined, ext);
  }
});

test('an SVG declared 100000×100000 and named .png is refused as SVG in well under a second, on every decode path', async () => {
  const dir = tempDir();
  // About 3 MB of shapes: librsvg took seconds to parse them for the header alone.
  const file = touch(path.join(dir, 'drawing.png'), hugeSvg(100_000));
  const before = decodeCount();
  const paths: Array<[string, () => Promise<unknown>]> = [
    ['imageSize', () => imageSize(file)],
    ['imageSize (bytes)', () => imageSize(fs.readFileSync(file))],
    ['verifyDecodes', () => verifyDecodes(file)],
    ['decodeResized', () => decodeResized(file, 32, 'squash')],
    ['decodeResized (bytes)', () => decodeResized(fs.readFileSync(file), 32, 'crop')],
    ['decodeFull', () => decodeFull(file, 64)],
    ['makeThumbnail', () => makeThumbnail(file)],
  ];
  for (const [what, run] of paths) {
    const t0 = performance.now();
    await assert.rejects(run(), (e: Error) => { assert.match(e.message, SVG_MESSAGE, what); return true; });
    assert.ok(performance.now() - t0 < 500, `${what}: ${Math.round(performance.now() - t0)} ms`);
  }
  for (const decode of [undefined, { imageSize: 32, resize: 'squash' as const }]) {
    const t0 = performance.now();
    assert.match((await probeFile(file, decode)).error!, SVG_MESSAGE);
    assert.ok(performance.now() - t0 < 500, `probeFile: ${Math.round(performance.now() - t0)} ms`);
  }
  assert.equal(decodeCount(), before, 'no pixels were made');
});

test('SVG behind a BOM, in UTF-16, gzip-compressed (.svgz) or behind a long comment is refused before sharp', async () => {
  const dir = tempDir();
  const variants: Array<[string, Buffer, RegExp]> = [
    ['bom.png', Buffer.from(`\ufeff${hugeSvg(10)}`), SVG_MESSAGE],
    ['comment.jpg', Buffer.from(hugeSvg(10, `<!--${'-x'.repeat(1500)}-->\n`)), SVG_MESSAGE],
    ['utf16.png', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(hugeSvg(10), 'utf16le')]), SVG_MESSAGE],
    ['zipped.png', zlib.gzipSync(Buffer.from(hugeSvg(10))), /^gzip-compressed data \(an \.svgz drawing\?\) is not an image format tlearn reads/],
    ['page.png', Buffer.from('<!DOCTYPE html>\n<html><body><img src="x.png"></body></html>\n'), /^XML or HTML text is not an image format tlearn reads/],
  ];
  for (const [name, bytes, message] of variants) {
    const file = touch(path.join(dir, name), bytes);
    assert.match((await probeFile(file)).error!, message, name);
    await assert.rejects(decodeResized(file, 32, 'squash'), (e: Error) => { assert.match(e.message, message, name); return true; });
  }
});
