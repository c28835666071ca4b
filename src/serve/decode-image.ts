// A request image's bytes → the model's input pixels, with `tlearn predict`'s own decoding (src/data/decode.ts, on
// sharp's thread pool), or the refusal with its HTTP status. The header is checked first: an image declaring more
// pixels than the server decodes is refused before anything large is allocated. Used by the model worker (libtorch
// engine without onnxruntime) and on the main thread (the ONNX engine, and the libtorch engine with onnxruntime).
import { decodeResized, imageSize } from '../data/decode.js';
import { decoderReason, diagnoseDecode, isLostReason } from '../data/decode-reasons.js';
import type { DicomWindow } from '../data/dicom.js';
import type { ResizeMode } from '../data/types.js';
import type { ImageRefusal } from './engine.js';
import { refusalStatus } from './refusals.js';

const megapixels = (n: number) => Math.round(n / 1e5) / 10;

/** Encoded bytes → size×size×3 uint8 RGB in an ArrayBuffer of its own (transferable), or the refusal. */
export async function decodeRequestImage(bytes: Buffer, size: number, resize: ResizeMode, maxPixels: number,
  dicomWindows: readonly DicomWindow[] | null = null): Promise<Uint8Array | ImageRefusal> {
  if (bytes.length === 0) return { status: 400, message: 'the image is empty (0 bytes)' };
  try {
    const upright = await imageSize(bytes);
    const pixels = upright.width * upright.height;
    if (pixels > maxPixels) {
      return {
        status: 422, message: `the image declares ${upright.width}×${upright.height} pixels (${megapixels(pixels)} megapixels), ` +
          `more than the ${megapixels(maxPixels)} megapixels this server decodes (--max-megapixels): a decompression bomb, or an image to shrink first`,
      };
    }
    const img = await decodeResized(bytes, size, resize, upright, { dicomWindows });
    return new Uint8Array(img.data); // a copy of its own, so that its buffer can be transferred
  } catch (e) {
    let message = decoderReason((e as Error).message);
    // libvips' message can be lost to a concurrent decode (see decode.ts): ask again, alone.
    if (isLostReason(message)) message = (await diagnoseDecode(bytes)) ?? message;
    const status = refusalStatus(message);
    return { status, message: status === 400 ? `the image cannot be decoded (damaged or truncated?): ${message}` : message };
  }
}
