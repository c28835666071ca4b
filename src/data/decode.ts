// Image decoding with sharp/libvips. Every path through here yields 8-bit sRGB, 3 channels, HWC:
//  - EXIF orientation is applied at load (`autoOrient`), so geometry below works on the upright image;
//  - CMYK and other colour spaces (and embedded ICC profiles) are converted to sRGB;
//  - palette, grey and grey+alpha images are expanded to RGB;
//  - alpha is composited over a fixed WHITE background (what a viewer shows for a transparent PNG;
//    torchvision's `convert('RGB')` would instead drop alpha and keep whatever colour hides under it);
//  - 16-bit images are scaled to 8-bit;
//  - multi-frame GIF/WebP/TIFF: only the first frame/page is read.
// Truncated or corrupt data is an error (sharp's failOn 'error'; PIL also refuses truncated files by
// default); mere decoder warnings (e.g. extraneous bytes between JPEG markers) are tolerated, as PIL
// tolerates them. Callers skip and report files that fail.
// DICOM files (dicom.ts) are turned into 8-bit grey or RGB pixels first, which then take the same path.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { DICOM_SNIFF_BYTES, dicomRaster, isDicom, readDicom, type DicomWindow } from './dicom.js';
import { unopenableReason } from '../io/regular-file.js';
import { READABLE_FORMATS_TEXT } from './names.js';
import { resampleHeight, resampleSpan, resampleWidth, sourceWindow, type Span } from './resample.js';
import type { RawImage } from './raw-image.js';
import { explainUnreadable, firstBytes, notReadableFormat, refuseByContent } from './sniff.js';
import type { ResizeMode } from './types.js';

export type { RawImage };

/** Background used to composite transparent pixels. */
export const ALPHA_BACKGROUND = { r: 255, g: 255, b: 255 } as const;

/**
 * Resampling kernel. libvips' 'linear' is an antialiased triangle filter scaled to the reduction,
 * which is what PIL's BILINEAR (torchvision's default for Resize) does as well.
 */
export const RESIZE_KERNEL = 'linear' as const;

/** Longest side the crop resize may scale an image to (a C int, as Pillow's and libvips' sizes are). */
export const MAX_RESIZED_SIDE = 0x7fffffff;

/** Image files larger than this many pixels are refused before decoding (decompression bombs). */
export const MAX_INPUT_PIXELS = 0x3fff * 0x3fff;

export type ImageInput = string | Buffer;

/** A sharp pipeline over an encoded image (any format but DICOM). */
function openEncoded(input: ImageInput): sharp.Sharp {
  return sharp(input, { autoOrient: true, failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS, pages: 1 });
}

/** The whole bytes of a DICOM file or buffer; undefined for every other input. `head`: its first bytes, if read already. */
async function dicomBytes(input: ImageInput, head?: Uint8Array): Promise<Uint8Array | undefined> {
  head ??= await firstBytes(input, DICOM_SNIFF_BYTES);
  if (!head || !isDicom(head)) return undefined;
  return typeof input === 'string' ? readFile(input) : input;
}

/** How files are read beyond their own format: the DICOM windows of a model (null: each file's own). */
export interface DecodeOptions { dicomWindows?: readonly DicomWindow[] | null }

/**
 * A sharp pipeline over the image's pixels: upright (EXIF orientation applied), a DICOM file's after its window
 * (dicom.ts). Refusing markup and oversized images is imageSize's work; callers that skip it must do their own.
 * `format`: imageSize's answer, when the caller has it (then the file's first bytes are not read again).
 */
export async function openImage(input: ImageInput, opts: DecodeOptions = {}, format?: string): Promise<sharp.Sharp> {
  const dicom = format === undefined || format === 'dicom' ? await dicomBytes(input) : undefined;
  if (!dicom) return openEncoded(input);
  const { data, width, height, channels } = await dicomRaster(dicom, opts.dicomWindows);
  return sharp(data, { raw: { width, height, channels }, limitInputPixels: MAX_INPUT_PIXELS });
}

const megapixels = (n: number) => Math.round(n / 1e6);

/**
 * Why an image over MAX_INPUT_PIXELS is refused, with the size its header declares (libvips alone says "Input
 * image exceeds pixel limit"). The second look reads the header only, without the limit; nothing is decoded.
 */
async function overPixelLimit(input: ImageInput): Promise<string> {
  const dicom = await dicomBytes(input);
  const m = dicom ? readDicom(dicom) : await sharp(input, { limitInputPixels: false }).metadata().catch(() => undefined);
  const size = m?.width && m.height ? `${m.width}×${m.height} pixels (${megapixels(m.width * m.height)} megapixels)` : 'more pixels';
  return `the image declares ${size}, more than the ${megapixels(MAX_INPUT_PIXELS)} megapixels tlearn decodes ` +
    '(a decompression bomb, or an image to shrink first)';
}

let decodes = 0;

/**
 * How many times this process has decoded an image file's pixels (header reads do not count). Every pixel
 * decode ends in finish(); tests and benchmarks use this to check that work is not done twice.
 */
export function decodeCount(): number {
  return decodes;
}

/** Ends a pipeline: flatten alpha, sRGB, 8-bit, raw HWC; checks what came back. */
async function finish(pipe: sharp.Sharp, what: string): Promise<RawImage> {
  decodes++;
  const { data, info } = await pipe
    .flatten({ background: ALPHA_BACKGROUND })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return toRgb(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, info.channels, what);
}

/** Normalises whatever channel count libvips returned to RGB (defensive: sRGB output should already be 3). */
function toRgb(data: Uint8Array, width: number, height: number, channels: number, what: string): RawImage {
  const n = width * height;
  if (data.length !== n * channels) throw new Error(`${what}: decoder returned ${data.length} bytes for ${width}x${height}x${channels}`);
  if (channels === 3) return { data, width, height };
  const out = new Uint8Array(n * 3);
  if (channels === 1 || channels === 2) {
    for (let i = 0; i < n; i++) { const v = data[i * channels]!; out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v; }
  } else if (channels === 4) {
    for (let i = 0; i < n; i++) { out[3 * i] = data[4 * i]!; out[3 * i + 1] = data[4 * i + 1]!; out[3 * i + 2] = data[4 * i + 2]!; }
  } else {
    throw new Error(`${what}: unsupported channel count ${channels}`);
  }
  return { data: out, width, height };
}

function label(input: ImageInput): string {
  return typeof input === 'string' ? input : '<buffer>';
}

/**
 * sharp's names of the formats tlearn decodes: raster images. sharp would also render SVG (librsvg: a
 * 120-byte file declaring 16000×16000 costs seconds and half a GB) and read libvips' own .v files; those
 * are refused by their header, before any pixel is made, whatever their file name says (PIL refuses SVG).
 */
export const RASTER_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

const FORMAT_NAMES: Record<string, string> = { svg: 'SVG (a vector drawing)', vips: "libvips' .v format", pdf: 'PDF', magick: 'ImageMagick' };

/**
 * Refuses a path that is not a regular file before libvips opens it: opening a FIFO waits for a writer for
 * ever (in a thread of libuv's pool, so the process never ends), a device such as /dev/zero never ends.
 */
async function regularFileOnly(input: ImageInput): Promise<void> {
  if (typeof input !== 'string') return;
  const why = await unopenableReason(input);
  if (why) throw new Error(why);
}

/**
 * Upright dimensions of an image, from its header only. Every decode starts here, so this is where files
 * tlearn cannot read are refused: SVG, other markup and gzip by their first bytes before sharp sees them (its
 * header read of an SVG parses the whole document), formats other than RASTER_FORMATS, and (with a reason from
 * their bytes) empty files and BMP/PNM files, which sharp only calls an "unsupported image format".
 */
export async function imageSize(input: ImageInput): Promise<{ width: number; height: number; format: string }> {
  await regularFileOnly(input);
  const head = await refuseByContent(input);
  const dicom = await dicomBytes(input, head);
  if (dicom) {
    const { width, height } = readDicom(dicom);
    if (width * height > MAX_INPUT_PIXELS) throw new Error(await overPixelLimit(input));
    return { width, height, format: 'dicom' };
  }
  let m: sharp.Metadata;
  try {
    m = await openEncoded(input).metadata();
  } catch (e) {
    const message = (e as Error).message;
    if (/exceeds pixel limit/i.test(message)) throw new Error(await overPixelLimit(input));
    const why = await explainUnreadable(input);
    if (why) throw new Error(why);
    // sharp's words for "no loader recognised these bytes" (a text file, random data, an unknown format).
    if (/unsupported image format/i.test(message)) throw new Error(`not an image tlearn can read (it reads ${READABLE_FORMATS_TEXT})`);
    throw e;
  }
  if (!m.format || !RASTER_FORMATS.has(m.format)) {
    const name = FORMAT_NAMES[m.format ?? ''] ?? `format '${m.format ?? 'unknown'}'`;
    throw new Error(notReadableFormat(name));
  }
  const w = m.autoOrient?.width ?? m.width;
  const h = m.autoOrient?.height ?? m.height;
  if (!w || !h) throw new Error(`${label(input)}: image has no dimensions`);
  return { width: w, height: h, format: m.format ?? 'unknown' };
}

/**
 * Python's round(): halves go to the even neighbour. torchvision's CenterCrop uses it, so crops of odd
 * margins must round the same way to land on the same pixels.
 */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Geometry of the eval transform on a width×height image:
 *  - 'squash': straight to size×size (torchvision `Resize((s, s))`);
 *  - 'crop': shorter side to round(size / 0.875) (256 for 224, the ImageNet convention), the longer side
 *    scaled with truncation as torchvision's `Resize(int)` does, then a centred size×size crop
 *    (torchvision `CenterCrop`, offsets rounded half-to-even).
 */
export function evalGeometry(width: number, height: number, size: number, mode: ResizeMode):
  { resizeWidth: number; resizeHeight: number; left: number; top: number } {
  if (mode === 'squash') return { resizeWidth: size, resizeHeight: size, left: 0, top: 0 };
  const short = Math.max(size, Math.round(size / 0.875));
  let rw: number, rh: number;
  if (width <= height) { rw = short; rh = Math.max(short, Math.floor((short * height) / width)); }
  else { rh = short; rw = Math.max(short, Math.floor((short * width) / height)); }
  if (Math.max(rw, rh) > MAX_RESIZED_SIDE) {
    // Only the crop is computed (decodeTo), so memory is no longer the limit; but no C int (Pillow's,
    // libvips') can hold this side, so torchvision could not make this input either.
    const ratio = Math.max(width, height) / Math.min(width, height);
    const r = Number.isInteger(ratio) ? String(ratio) : ratio.toFixed(1);
    throw new Error(`aspect ratio ${width >= height ? `${r}:1` : `1:${r}`} (${width}x${height}) is too extreme for the crop resize at ` +
      `${size} px: the longer side would be scaled to ${Math.max(rw, rh)} pixels; use the squash resize for such images`);
  }
  return { resizeWidth: rw, resizeHeight: rh, left: roundHalfEven((rw - size) / 2), top: roundHalfEven((rh - size) / 2) };
}

/**
 * Decodes and resizes to exactly tw×th, of which only the box `keep` is made and returned (the crop
 * resize's centre; default all of it), with the same bytes as cutting it from the whole result (planAxis).
 * Axes that shrink are resized by libvips inside the decode pipeline, from the fully decoded image; axes
 * that grow are resampled afterwards by the PIL-compatible loop (see resample.ts).
 *
 * Why no JPEG shrink-on-load: libjpeg's scaled IDCT (sharp's default when shrinking by 2× or more) is not
 * the box average PIL's full-size decode + resize sees, and when the size is not a multiple of the factor
 * its partial edge blocks shift the picture by a fraction of a pixel. Against torchvision that cost up to
 * 1.7 (about 100/255) on single pixels at 224 px and 0.11 mean at 32 px; sharp's `fastShrinkOnLoad: false`
 * only halves it, and shrinking by exact multiples alone still doubles the PNG error (a 1000×750 JPEG at
 * 224: max 0.19 against 0.07). Decoding at full size makes a JPEG come out exactly as the same picture
 * saved as PNG (libjpeg-turbo decodes bit for bit as PIL's does), for about 1.4× the CPU time on large
 * JPEGs (2000×1500 → 224: 32 ms instead of 23 ms), still well under a PNG's decode. sharp offers no switch
 * for this: a pre-resize extract of the whole image is what turns shrink-on-load off (pipeline.cc's
 * `shouldPreShrink`), and libvips' crop of the full frame copies nothing.
 */
async function decodeTo(input: ImageInput, width: number, height: number, tw: number, th: number, what: string,
  keep: Box = { left: 0, top: 0, width: tw, height: th }, opts: DecodeOptions = {}, format?: string): Promise<RawImage> {
  const x = planAxis(width, tw, keep.left, keep.width), y = planAxis(height, th, keep.top, keep.height);
  let pipe = await openImage(input, opts, format);
  const pre = { left: x.preLo, top: y.preLo, width: x.preLen, height: y.preLen };
  if (x.shrinks || y.shrinks) {
    // The pre-extract is there even when it is the whole frame: it is what turns shrink-on-load off.
    pipe = pipe.extract(pre).resize(x.vipsLen, y.vipsLen, { fit: 'fill', kernel: RESIZE_KERNEL });
    if (x.keptLen !== x.vipsLen || y.keptLen !== y.vipsLen) {
      pipe = pipe.extract({ left: x.postLo, top: y.postLo, width: x.keptLen, height: y.keptLen });
    }
  } else if (x.preLen !== width || y.preLen !== height) {
    pipe = pipe.extract(pre);
  }
  let img = await finish(pipe, what);
  if (img.width !== x.keptLen || img.height !== y.keptLen) {
    throw new Error(`${what}: decoded to ${img.width}x${img.height}, expected ${x.keptLen}x${y.keptLen}`);
  }
  if (x.span) img = await resampleSpan(img, 'width', x.span);
  if (y.span) img = await resampleSpan(img, 'height', y.span);
  return img;
}

/**
 * How one axis (source length n, resized to t, of which [from, from + len) is kept) is decoded:
 *  - shrinking (t < n): libvips resizes the whole axis, then the kept part is cut out (libvips computes
 *    only the pixels asked for, and each output pixel depends only on its own filter window);
 *  - growing or equal: libvips reads only the source pixels the kept outputs need (`sourceWindow`), and the
 *    PIL-exact loop computes just the kept outputs from them.
 * So the work and memory follow the kept part, never the full resized axis, which for a long, thin image in
 * crop mode is enormous (1×5000 at 224 px resizes to 256 × 1,280,000 before its 224×224 centre is cut).
 */
function planAxis(n: number, t: number, from: number, len: number):
  { shrinks: boolean; preLo: number; preLen: number; vipsLen: number; postLo: number; keptLen: number; span: Span | null } {
  if (t < n) return { shrinks: true, preLo: 0, preLen: n, vipsLen: t, postLo: from, keptLen: len, span: null };
  const { lo, hi } = sourceWindow(n, t, from, from + len);
  const span = t === n ? null : { fullIn: n, fullOut: t, inOffset: lo, from, to: from + len };
  return { shrinks: false, preLo: lo, preLen: hi - lo, vipsLen: hi - lo, postLo: 0, keptLen: hi - lo, span };
}

/** Resizes a decoded image to exactly tw×th (libvips for shrinking axes, PIL-compatible loop for growing ones). */
export async function resizeRaw(img: RawImage, tw: number, th: number): Promise<RawImage> {
  if (!(tw >= 1 && th >= 1)) throw new Error(`resize target ${tw}x${th} is invalid`);
  let out = img;
  const dw = Math.min(tw, img.width), dh = Math.min(th, img.height);
  if (dw !== img.width || dh !== img.height) {
    const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .resize(dw, dh, { fit: 'fill', kernel: RESIZE_KERNEL })
      .raw()
      .toBuffer({ resolveWithObject: true });
    out = toRgb(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, info.channels, 'resize');
  }
  out = await resampleWidth(out, tw);
  return resampleHeight(out, th);
}

/** A crop box in pixels of the source image. */
export interface Box { left: number; top: number; width: number; height: number }

/** Copies a box out of a decoded image. */
export function extractRaw(img: RawImage, box: Box): RawImage {
  const { left, top, width, height } = box;
  if (!Number.isInteger(left) || !Number.isInteger(top) || !Number.isInteger(width) || !Number.isInteger(height) ||
      left < 0 || top < 0 || width < 1 || height < 1 || left + width > img.width || top + height > img.height) {
    throw new Error(`crop box ${JSON.stringify(box)} outside ${img.width}x${img.height} image`);
  }
  if (left === 0 && top === 0 && width === img.width && height === img.height) return img;
  const out = new Uint8Array(width * height * 3);
  const rowBytes = width * 3;
  for (let y = 0; y < height; y++) {
    const src = ((top + y) * img.width + left) * 3;
    out.set(img.data.subarray(src, src + rowBytes), y * rowBytes);
  }
  return { data: out, width, height };
}

/**
 * Decodes a file (or encoded bytes) straight to the eval transform's size×size RGB image. `upright`: its
 * imageSize(), when the caller has it already.
 */
export async function decodeResized(input: ImageInput, size: number, mode: ResizeMode,
  upright?: { width: number; height: number; format?: string }, opts: DecodeOptions = {}): Promise<RawImage> {
  // A path is opened twice (header, then pixels) rather than read into memory: cheaper than copying the file.
  const what = label(input);
  if (upright) await regularFileOnly(input);
  const { width, height, format } = upright ?? await imageSize(input);
  const g = evalGeometry(width, height, size, mode);
  return decodeTo(input, width, height, g.resizeWidth, g.resizeHeight, what, { left: g.left, top: g.top, width: size, height: size }, opts, format);
}

/**
 * Decodes to full-resolution RGB (or, with maxShortSide, downscaled so the shorter side is at most that,
 * keeping the aspect ratio). Used as the base image for random-resized-crop augmentation.
 */
export async function decodeFull(input: ImageInput, maxShortSide?: number, opts: DecodeOptions = {}): Promise<RawImage> {
  const what = label(input);
  const { width, height, format } = await imageSize(input);
  let tw = width, th = height;
  const short = Math.min(width, height);
  if (maxShortSide !== undefined && short > maxShortSide) {
    const s = maxShortSide / short;
    tw = Math.max(1, Math.round(width * s)); th = Math.max(1, Math.round(height * s));
  }
  return decodeTo(input, width, height, tw, th, what, undefined, opts, format);
}

/** Crops `box` out of a decoded image and resizes it to size×size (torchvision's resized_crop). */
export async function cropResize(img: RawImage, box: Box, size: number): Promise<RawImage> {
  return resizeRaw(extractRaw(img, box), size, size);
}

/**
 * Decodes the whole image (at a small output size, so memory stays low) to prove the data is complete
 * and valid; throws with the decoder's reason otherwise. Returns the upright size, the format and the
 * pixel range of that small image.
 */
export async function verifyDecodes(bytes: ImageInput, opts: DecodeOptions = {}): Promise<{ width: number; height: number; format: string; range: PixelRange }> {
  if (typeof bytes !== 'string' && bytes.byteLength === 0) throw new Error('empty file (0 bytes)');
  const info = await imageSize(bytes);
  const small = await finish((await openImage(bytes, opts, info.format)).resize(32, 32, { fit: 'inside', withoutEnlargement: true, kernel: RESIZE_KERNEL }), label(bytes));
  return { ...info, range: await pixelRange(small) };
}

/** What the pixels of a decoded image span: its brightest value (any channel), and whether it is one colour. */
export interface PixelRange { brightest: number; uniform: boolean }

/** The PixelRange of an image (computed by libvips, per channel). */
export async function pixelRange(image: RawImage): Promise<PixelRange> {
  const { channels } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).stats();
  return { brightest: Math.max(...channels.map((c) => c.max)), uniform: channels.every((c) => c.min === c.max) };
}
