// DICOM images (radiology's format: .dcm files from a scanner or a PACS export), read as pydicom reads them and
// shown as a viewer shows them, so that the rest of the pipeline sees 8-bit pixels as from any other image:
//  - the first frame of the pixel data, as stored (pydicom's pixel_array: the integer type BitsAllocated and
//    PixelRepresentation give, no masking of BitsStored);
//  - the modality rescale (RescaleSlope, RescaleIntercept: Hounsfield units for CT), then the file's first VOI
//    window (WindowCenter/WindowWidth with its VOI LUT Function: LINEAR, LINEAR_EXACT or SIGMOID, PS3.3 C.11.2) mapped
//    to 0..255 (pydicom's apply_modality_lut + apply_voi_lut, rescaled from its output range to bytes); without a
//    window, the image's own range, lowest value black and highest white;
//  - or, when the model was trained with its own windows (input.dicomWindows: one, or three that become the red, green
//    and blue channels, as CT models often take brain, subdural and bone windows), those, LINEAR, for every file;
//  - MONOCHROME1 (white is zero: some CR and DX) is inverted, so that every grey image reads the same way;
//  - RGB data (8 bits, interleaved or planar) as it is; JPEG Baseline frames are decoded by sharp (libjpeg-turbo,
//    as Pillow decodes them for pydicom).
// The other compressed transfer syntaxes (JPEG Lossless, JPEG-LS, JPEG 2000, RLE) are refused by name, with the
// command that decompresses them; so are palette colour, 1-bit and float pixel data, and LUT tables without a window.
// The pixel arithmetic runs in the pixel engine (libtorch or onnxruntime), not in JS.
import dicomParser, { type DataSet, type Element } from 'dicom-parser';
import sharp from 'sharp';
import { pixelEngine, type ByteMap } from './pixel-engine.js';

/** A VOI window (PS3.3 C.11.2.1.2: LINEAR) on the rescaled values, e.g. Hounsfield units: [centre, width]. */
export type DicomWindow = readonly [center: number, width: number];

/** Checks windows chosen for a model: one (grey), or three (one per channel); each width at least 1, as LINEAR needs. */
export function checkDicomWindows(windows: readonly DicomWindow[]): void {
  if (windows.length !== 1 && windows.length !== 3) {
    throw new Error(`DICOM windows: give one (a grey image) or three (red, green, blue), not ${windows.length}`);
  }
  for (const [center, width] of windows) {
    if (!Number.isFinite(center) || !Number.isFinite(width) || width < 1) {
      throw new Error(`DICOM window ${center},${width}: the centre must be a number and the width a number of at least 1`);
    }
  }
}

/** The windows as part of a cache key: '' for none (each file's own), so that keys without them stay as they were. */
export function dicomWindowsKey(windows?: readonly DicomWindow[] | null): string {
  return windows?.length ? `|dicom:${windows.map(([c, w]) => `${c},${w}`).join(';')}` : '';
}

/** A DICOM image as 8-bit pixels, HWC, grey (1 channel) or RGB. */
export interface DicomRaster { data: Uint8Array; width: number; height: number; channels: 1 | 3 }

/** A DICOM Part 10 file: a 128-byte preamble, then 'DICM'. */
export function isDicom(head: Uint8Array): boolean {
  return head.length >= 132 && Buffer.from(head.subarray(128, 132)).toString('latin1') === 'DICM';
}

/** Bytes of the head that isDicom needs. */
export const DICOM_SNIFF_BYTES = 132;

const UID = '1.2.840.10008.1.2';
const NATIVE: Record<string, string> = {
  [UID]: 'Implicit VR Little Endian', [`${UID}.1`]: 'Explicit VR Little Endian',
  [`${UID}.1.99`]: 'Deflated Explicit VR Little Endian', [`${UID}.2`]: 'Explicit VR Big Endian',
};
const JPEG_BASELINE = `${UID}.4.50`;
const COMPRESSED: Record<string, string> = {
  [`${UID}.4.51`]: 'JPEG Extended (12-bit)', [`${UID}.4.57`]: 'JPEG Lossless', [`${UID}.4.70`]: 'JPEG Lossless (first-order prediction)',
  [`${UID}.4.80`]: 'JPEG-LS Lossless', [`${UID}.4.81`]: 'JPEG-LS Near-Lossless', [`${UID}.4.90`]: 'JPEG 2000 Lossless',
  [`${UID}.4.91`]: 'JPEG 2000', [`${UID}.4.201`]: 'HTJ2K Lossless', [`${UID}.4.202`]: 'HTJ2K Lossless RPCL', [`${UID}.4.203`]: 'HTJ2K',
  [`${UID}.5`]: 'RLE Lossless',
};
const DECOMPRESS = 'decompress it first, e.g. `gdcmconv --raw in.dcm out.dcm` (GDCM) or `dcmdjpeg`/`dcmdrle`/`dcmdjpls` (DCMTK)';

const TAG = {
  syntax: 'x00020010', samples: 'x00280002', photometric: 'x00280004', planar: 'x00280006', frames: 'x00280008',
  rows: 'x00280010', columns: 'x00280011', bitsAllocated: 'x00280100', pixelRepresentation: 'x00280103',
  windowCenter: 'x00281050', windowWidth: 'x00281051', intercept: 'x00281052', slope: 'x00281053', voiFunction: 'x00281056',
  modalityLut: 'x00283000', voiLut: 'x00283010', floatPixels: 'x7fe00008', doublePixels: 'x7fe00009', pixels: 'x7fe00010',
} as const;

/** What the first frame of a DICOM file is, checked: everything dicomRaster needs before it reads a pixel. */
export interface DicomImage {
  width: number;
  height: number;
  channels: 1 | 3;
  syntax: string;
  photometric: string;
  bitsAllocated: 8 | 16 | 32;
  signed: boolean;
  planar: boolean;
  frameBytes: number;
  dataSet: DataSet;
  pixels: Element;
}

function parse(bytes: Uint8Array): DataSet {
  try {
    return dicomParser.parseDicom(bytes);
  } catch (e) {
    // dicom-parser throws strings, and on a damaged file an object with the part it read and an `exception` text.
    const why = typeof e === 'string' ? e : e instanceof Error ? e.message : String((e as { exception?: unknown })?.exception ?? e);
    if (/buffer overrun/.test(why)) throw new Error(`truncated DICOM file: an element runs past the end of its ${bytes.length} bytes`);
    throw new Error(`damaged DICOM file: ${why.replace(/^dicomParser[.:]\w+: /, '')}`);
  }
}

const need = (ds: DataSet, tag: string, name: string): number => {
  const v = ds.uint16(tag);
  if (v === undefined) throw new Error(`DICOM file without ${name} (${tag.slice(1, 5)},${tag.slice(5)}): not an image`);
  return v;
};

/** Reads and checks the header of a DICOM file's image; throws a message naming what tlearn cannot read. */
export function readDicom(bytes: Uint8Array): DicomImage {
  const ds = parse(bytes);
  const syntax = (ds.string(TAG.syntax) ?? '').replace(/\0/g, '');
  if (!NATIVE[syntax] && syntax !== JPEG_BASELINE) {
    const name = COMPRESSED[syntax];
    throw new Error(name ? `DICOM file compressed as ${name} (transfer syntax ${syntax}), which tlearn does not decode: ${DECOMPRESS}`
      : `DICOM transfer syntax '${syntax || 'none'}' is not one tlearn reads (native pixels, or JPEG Baseline)`);
  }
  const pixels = ds.elements[TAG.pixels];
  if (!pixels) {
    if (ds.elements[TAG.floatPixels] || ds.elements[TAG.doublePixels]) throw new Error('DICOM file with float pixel data, which tlearn does not read');
    throw new Error('DICOM file without pixel data (7FE0,0010): not an image (a report, a presentation state?)');
  }
  const width = need(ds, TAG.columns, 'Columns'), height = need(ds, TAG.rows, 'Rows');
  if (width < 1 || height < 1) throw new Error(`DICOM image of ${width}x${height} pixels`);
  const samples = ds.uint16(TAG.samples) ?? 1;
  const photometric = (ds.string(TAG.photometric) ?? '').trim().toUpperCase();
  const bitsAllocated = need(ds, TAG.bitsAllocated, 'Bits Allocated');
  const signed = (ds.uint16(TAG.pixelRepresentation) ?? 0) === 1;
  const grey = photometric === 'MONOCHROME1' || photometric === 'MONOCHROME2';
  const colour = syntax === JPEG_BASELINE ? ['RGB', 'YBR_FULL', 'YBR_FULL_422'] : ['RGB'];
  if (!(grey && samples === 1) && !(colour.includes(photometric) && samples === 3)) {
    throw new Error(`DICOM photometric interpretation ${photometric || 'none'} with ${samples} sample(s) per pixel is not one tlearn reads ` +
      `(MONOCHROME1/2 or RGB${photometric === 'PALETTE COLOR' ? '; palette colour would need its lookup tables applied first' : ''})`);
  }
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) {
    throw new Error(`DICOM pixels of ${bitsAllocated} bits allocated are not read by tlearn (it reads 8, 16 and 32)`);
  }
  if ((samples === 3 || syntax === JPEG_BASELINE) && bitsAllocated !== 8) {
    throw new Error(`DICOM ${syntax === JPEG_BASELINE ? 'JPEG Baseline' : 'RGB'} image with ${bitsAllocated}-bit samples: tlearn reads 8-bit ones`);
  }
  if (ds.elements[TAG.modalityLut]) throw new Error('DICOM file with a Modality LUT table, which tlearn does not apply; convert the image first');
  const frameBytes = width * height * samples * (bitsAllocated / 8);
  if (syntax !== JPEG_BASELINE) {
    // The sizes in the header are checked against the bytes that are there before anything is allocated.
    const stored = Math.min(pixels.length, ds.byteArray.length - pixels.dataOffset); // ds.byteArray: inflated if deflated
    if (pixels.encapsulatedPixelData || !(stored >= frameBytes)) {
      throw new Error(`DICOM pixel data holds ${Math.max(0, stored)} bytes, less than the ${frameBytes} of one ${width}x${height} ` +
        `frame of ${samples} × ${bitsAllocated}-bit samples (a truncated file?)`);
    }
  }
  return {
    width, height, channels: samples as 1 | 3, syntax, photometric, bitsAllocated, signed,
    planar: samples === 3 && (ds.uint16(TAG.planar) ?? 0) === 1, frameBytes, dataSet: ds, pixels,
  };
}

/** The first frame's stored values, as pydicom's pixel_array holds them, in float64 for the pixel engine. */
function storedValues(img: DicomImage): Float64Array {
  const { dataSet, pixels, frameBytes, bitsAllocated, signed } = img;
  const frame = Buffer.from(dataSet.byteArray.subarray(pixels.dataOffset, pixels.dataOffset + frameBytes)); // a copy, aligned
  if (img.syntax === `${UID}.2`) { if (bitsAllocated === 16) frame.swap16(); else if (bitsAllocated === 32) frame.swap32(); }
  const { buffer, byteOffset } = frame, n = frameBytes / (bitsAllocated / 8);
  const typed = bitsAllocated === 8 ? (signed ? new Int8Array(buffer, byteOffset, n) : new Uint8Array(buffer, byteOffset, n))
    : bitsAllocated === 16 ? (signed ? new Int16Array(buffer, byteOffset, n) : new Uint16Array(buffer, byteOffset, n))
      : (signed ? new Int32Array(buffer, byteOffset, n) : new Uint32Array(buffer, byteOffset, n));
  return new Float64Array(typed);
}

/** The first JPEG Baseline frame, decoded by sharp: 1 channel for grey data, 3 (sRGB) for colour. */
async function jpegFrame(img: DicomImage): Promise<Uint8Array> {
  const { dataSet, pixels } = img;
  const fragments = pixels.fragments ?? [];
  if (!pixels.encapsulatedPixelData || fragments.length === 0) throw new Error('DICOM JPEG Baseline file without encapsulated frames');
  const frame = fragments.length === 1 || (pixels.basicOffsetTable?.length ?? 0) === 0 && (dataSet.intString(TAG.frames) ?? 1) === 1
    ? dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, pixels, 0, fragments.length)
    : dicomParser.readEncapsulatedImageFrame(dataSet, pixels, 0,
      pixels.basicOffsetTable?.length ? pixels.basicOffsetTable : dicomParser.createJPEGBasicOffsetTable(dataSet, pixels));
  let pipe = sharp(Buffer.from(frame), { failOn: 'error' });
  pipe = img.channels === 1 ? pipe.extractChannel(0) : pipe.toColourspace('srgb');
  const { data, info } = await pipe.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== img.width || info.height !== img.height || info.channels !== img.channels) {
    throw new Error(`DICOM JPEG frame of ${info.width}x${info.height}x${info.channels} in a ${img.width}x${img.height}x${img.channels} image`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Planar RGB (all red, then green, then blue) interleaved by libvips. */
async function interleave(planes: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const n = width * height, raw = { width, height, channels: 1 as const };
  const plane = (c: number) => Buffer.from(planes.buffer, planes.byteOffset + c * n, n);
  const { data } = await sharp(plane(0), { raw }).joinChannel([plane(1), plane(2)], { raw }).raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const BIG = 2 ** 40;

/** The modality rescale (RescaleSlope, RescaleIntercept; identity without both). */
function rescaleOf(ds: DataSet): { slope: number; intercept: number } {
  const rescaled = ds.elements[TAG.slope] && ds.elements[TAG.intercept];
  const slope = rescaled ? ds.floatString(TAG.slope) ?? 1 : 1, intercept = rescaled ? ds.floatString(TAG.intercept) ?? 0 : 0;
  if (!Number.isFinite(slope) || !Number.isFinite(intercept)) throw new Error('DICOM rescale slope or intercept is not a number');
  return { slope, intercept };
}

/** A LINEAR window on the rescaled values: y = ((x − (c − ½)) / (w − 1) + ½) · 255, clipped; w = 1 is a threshold at c − ½. */
function linearWindow({ slope, intercept }: { slope: number; intercept: number }, center: number, width: number, invert: boolean): ByteMap {
  if (width < 1) throw new Error(`DICOM window width ${width} is below 1, which a LINEAR window needs`);
  const [c, w] = [center - 0.5, width - 1];
  const k = w === 0 ? BIG : 255 / w;
  return { scale: slope * k, offset: (intercept - c) * k + (w === 0 ? 0 : 127.5), sigmoid: false, invert };
}

/**
 * The map of stored values to bytes (PS3.3 C.11.1 and C.11.2 with output range 0..255): rescale, then the first
 * window, or the image's own range without one; MONOCHROME1 inverted.
 */
async function greyMap(img: DicomImage, values: Float64Array): Promise<ByteMap> {
  const ds = img.dataSet;
  const { slope, intercept } = rescaleOf(ds);
  const invert = img.photometric === 'MONOCHROME1';
  const center = ds.floatString(TAG.windowCenter, 0), width = ds.floatString(TAG.windowWidth, 0);
  if (center !== undefined && width !== undefined && Number.isFinite(center) && Number.isFinite(width)) {
    const fn = (ds.string(TAG.voiFunction) ?? 'LINEAR').trim().toUpperCase() || 'LINEAR';
    if (fn === 'LINEAR') return linearWindow({ slope, intercept }, center, width, invert);
    if (fn === 'LINEAR_EXACT' || fn === 'SIGMOID') {
      if (!(width > 0)) throw new Error(`DICOM window width ${width} is not above 0, which a ${fn} window needs`);
      // LINEAR_EXACT: y = ((x − c) / w + ½) · 255; SIGMOID: y = 255 / (1 + exp(−4 (x − c) / w)).
      const k = fn === 'SIGMOID' ? 4 / width : 255 / width;
      return { scale: slope * k, offset: (intercept - center) * k + (fn === 'SIGMOID' ? 0 : 127.5), sigmoid: fn === 'SIGMOID', invert };
    }
    throw new Error(`DICOM VOI LUT Function '${fn}' is not one tlearn applies (LINEAR, LINEAR_EXACT, SIGMOID)`);
  }
  if (ds.elements[TAG.voiLut]) throw new Error('DICOM file with a VOI LUT table and no window, which tlearn does not apply; convert the image first');
  const { min, max } = await pixelEngine().extent(values);
  const [a, b] = [slope * min + intercept, slope * max + intercept];
  const [lo, hi] = [Math.min(a, b), Math.max(a, b)];
  if (hi === lo) return { scale: 0, offset: 0, sigmoid: false, invert };
  const k = 255 / (hi - lo);
  return { scale: slope * k, offset: (intercept - lo) * k, sigmoid: false, invert };
}

/**
 * The first frame of a DICOM file as 8-bit pixels (see the top of this file). `windows`: the model's own (one: grey;
 * three: the channels), used instead of the file's on grey images; colour images are used as they are.
 */
export async function dicomRaster(bytes: Uint8Array, windows?: readonly DicomWindow[] | null): Promise<DicomRaster> {
  const img = readDicom(bytes);
  const { width, height, channels } = img;
  if (channels === 3) {
    const data = img.syntax === JPEG_BASELINE ? await jpegFrame(img)
      : img.planar ? await interleave(img.dataSet.byteArray.subarray(img.pixels.dataOffset, img.pixels.dataOffset + img.frameBytes), width, height)
        : Uint8Array.from(img.dataSet.byteArray.subarray(img.pixels.dataOffset, img.pixels.dataOffset + img.frameBytes));
    return { data, width, height, channels };
  }
  const values = img.syntax === JPEG_BASELINE ? new Float64Array(await jpegFrame(img)) : storedValues(img);
  if (!windows?.length) return { data: await pixelEngine().toBytes(values, await greyMap(img, values)), width, height, channels };
  checkDicomWindows(windows);
  const rescale = rescaleOf(img.dataSet), invert = img.photometric === 'MONOCHROME1';
  const planes = await Promise.all(windows.map(([c, w]) => pixelEngine().toBytes(values, linearWindow(rescale, c, w, invert))));
  if (planes.length === 1) return { data: planes[0]!, width, height, channels: 1 };
  const all = new Uint8Array(3 * width * height);
  planes.forEach((p, c) => all.set(p, c * width * height));
  return { data: await interleave(all, width, height), width, height, channels: 3 };
}
