// The images of a request, as encoded bytes, from the request shapes the server accepts:
//  - multipart/form-data: each file part is an image (other fields are ignored);
//  - a raw body with an image content type (image/*, application/dicom, application/octet-stream): one image;
//  - JSON {"images": ["<base64>", ...]} (POST /v1/predict);
//  - JSON {"instances": [{"b64": "<base64>"}, ...]} (POST /v1/models/<name>:predict, KServe / TF-Serving V1).
// Bytes only: nothing a client sends is ever used as a file name or path on the server.
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

export interface InputLimits { maxImages: number; maxBodyBytes: number }

const tooMany = (n: number | string, max: number) =>
  new HttpError(413, `too many images in one request (${n}; at most ${max}, --max-images): send them in several requests`);

/** Standard base64 (RFC 4648 §4, padding optional), whitespace ignored; a data: URL's prefix is allowed. */
export function decodeBase64(text: unknown, what: string): Buffer {
  if (typeof text !== 'string') throw new HttpError(400, `${what} must be a base64 string, got ${text === null ? 'null' : typeof text}`);
  const body = text.replace(/^data:[\w.+-]+\/[\w.+-]+;base64,/, '').replace(/\s+/g, '');
  if (body.length === 0) throw new HttpError(400, `${what} is empty`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 === 1) {
    throw new HttpError(400, `${what} is not valid base64 (standard alphabet A-Z a-z 0-9 + /, optional = padding)`);
  }
  return Buffer.from(body, 'base64');
}

function jsonList(body: unknown, key: 'images' | 'instances'): unknown[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, `the JSON body must be an object {"${key}": [...]}`);
  }
  const list = (body as Record<string, unknown>)[key];
  if (!Array.isArray(list)) throw new HttpError(400, `the JSON body has no "${key}" array`);
  if (list.length === 0) throw new HttpError(400, `"${key}" is empty: send at least one image`);
  return list;
}

/** The images of POST /v1/predict (multipart, raw image body, or JSON images). */
export async function predictInputs(req: FastifyRequest, limits: InputLimits): Promise<Buffer[]> {
  if (req.isMultipart()) return multipartImages(req, limits);
  if (Buffer.isBuffer(req.body)) return [req.body];
  const list = jsonList(req.body, 'images');
  if (list.length > limits.maxImages) throw tooMany(list.length, limits.maxImages);
  return list.map((item, i) => decodeBase64(item, `images[${i}]`));
}

/** The images of the KServe / TF-Serving V1 shape: {"instances": [{"b64": "..."}]}. */
export function instancesInputs(body: unknown, limits: InputLimits): Buffer[] {
  if (Buffer.isBuffer(body)) throw new HttpError(415, 'this endpoint takes JSON {"instances": [{"b64": "<base64 image>"}, ...]}');
  const list = jsonList(body, 'instances');
  if (list.length > limits.maxImages) throw tooMany(list.length, limits.maxImages);
  return list.map((item, i) => {
    const b64 = item !== null && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>).b64 : undefined;
    if (b64 === undefined) throw new HttpError(400, `instances[${i}] must be an object {"b64": "<base64 image>"}`);
    return decodeBase64(b64, `instances[${i}].b64`);
  });
}

async function multipartImages(req: FastifyRequest, limits: InputLimits): Promise<Buffer[]> {
  const images: Buffer[] = [];
  let total = 0;
  try {
    for await (const part of req.parts()) {
      if (part.type !== 'file') continue;
      const bytes = await part.toBuffer();
      total += bytes.length;
      if (total > limits.maxBodyBytes) throw new HttpError(413, `the request's files exceed ${limits.maxBodyBytes} bytes (--max-body-mb)`);
      images.push(bytes);
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') throw tooMany(`more than ${limits.maxImages}`, limits.maxImages);
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new HttpError(413, `a file exceeds ${limits.maxBodyBytes} bytes (--max-body-mb)`);
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, `the multipart body cannot be read: ${(e as Error).message}`);
  }
  if (images.length === 0) throw new HttpError(400, 'the multipart body holds no file: send each image as a file part (curl -F image=@photo.jpg)');
  return images;
}
