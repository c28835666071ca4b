// The hostile requests of the serve tests (one per class of bad input: too large, too many, bombs, truncated, not an
// image, malformed JSON and base64, a server path), each with the status and message it must get; shared by the
// libtorch and ONNX engines' tests, since the answers come from the HTTP side and the decoder, not the engine.
import { pngDeclaring } from './hostile-bytes.js';
import { blob, post, postJson } from './serve.js';

const svg = '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="9" height="9"/></svg>';

export interface Hostile { name: string; send(url: string): ReturnType<typeof post>; status: number; message: RegExp }
export const b64 = (b: Buffer) => b.toString('base64');

/** One request of each hostile class (with serveOptions' limits: 2 MB bodies, 16 images), and what it must get. */
export function hostileRequests(png: Buffer, jpeg: Buffer): Hostile[] {
  return [
    { name: 'a body over --max-body-mb', send: (u) => post(`${u}/v1/predict`, Buffer.alloc(2.5 * 1024 * 1024, 7), 'image/png'), status: 413, message: /request body exceeds 2097152 bytes \(--max-body-mb\)/ },
    { name: 'more JSON images than --max-images', send: (u) => postJson(`${u}/v1/predict`, { images: new Array(17).fill(b64(png)) }), status: 413, message: /too many images in one request \(17; at most 16, --max-images\)/ },
    { name: 'more KServe instances than --max-images', send: (u) => postJson(`${u}/v1/models/model:predict`, { instances: new Array(17).fill({ b64: b64(png) }) }), status: 413, message: /too many images/ },
    {
      name: 'more multipart files than --max-images',
      send: (u) => { const fd = new FormData(); for (let i = 0; i < 17; i++) fd.append('f', blob(png), `${i}.png`); return post(`${u}/v1/predict`, fd); },
      status: 413, message: /too many images in one request \(more than 16; at most 16/,
    },
    { name: 'a 4 KB PNG declaring 30000×30000 pixels', send: (u) => post(`${u}/v1/predict`, pngDeclaring(30_000, 30_000), 'image/png'), status: 422, message: /declares 30000×30000 pixels \(900 megapixels\), more than the 268 megapixels/ },
    { name: 'a PNG declaring 12000×12000 pixels (under libvips\' limit, over --max-megapixels)', send: (u) => postJson(`${u}/v1/predict`, { images: [b64(png), b64(pngDeclaring(12_000, 12_000))] }), status: 422, message: /image 2 of 2: the image declares 12000×12000 pixels \(144 megapixels\), more than the 50 megapixels this server decodes \(--max-megapixels\)/ },
    { name: 'a truncated JPEG', send: (u) => post(`${u}/v1/predict`, jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'image/jpeg'), status: 400, message: /the image cannot be decoded \(damaged or truncated\?\): .*(premature|end|truncat)/i },
    { name: 'a PNG with its pixel data overwritten', send: (u) => { const b = Buffer.from(png); b.fill(0x55, 60, b.length - 20); return post(`${u}/v1/predict`, b, 'image/png'); }, status: 400, message: /cannot be decoded/ },
    { name: 'text sent as an image', send: (u) => post(`${u}/v1/predict`, Buffer.from('hello, this is not an image at all'), 'image/png'), status: 415, message: /not an image tlearn can read/ },
    { name: 'an SVG declaring 100000×100000', send: (u) => post(`${u}/v1/predict`, Buffer.from(svg), 'image/svg+xml'), status: 415, message: /SVG \(a vector drawing\) is not an image format tlearn reads/ },
    { name: 'a BMP', send: (u) => post(`${u}/v1/predict`, Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]), 'image/bmp'), status: 415, message: /BMP file: tlearn reads/ },
    { name: 'an empty image body', send: (u) => post(`${u}/v1/predict`, Buffer.alloc(0), 'image/png'), status: 400, message: /empty/ },
    { name: 'malformed JSON', send: (u) => post(`${u}/v1/predict`, '{"images": [', 'application/json'), status: 400, message: /the body is not valid JSON/ },
    { name: 'JSON with prototype poisoning', send: (u) => post(`${u}/v1/predict`, '{"__proto__": {"x": 1}, "images": []}', 'application/json'), status: 400, message: /not valid JSON \(keys named __proto__/ },
    { name: 'JSON without an images array', send: (u) => postJson(`${u}/v1/predict`, { image: b64(png) }), status: 400, message: /no "images" array/ },
    { name: 'an empty images array', send: (u) => postJson(`${u}/v1/predict`, { images: [] }), status: 400, message: /"images" is empty/ },
    { name: 'a number where base64 should be', send: (u) => postJson(`${u}/v1/predict`, { images: [42] }), status: 400, message: /images\[0\] must be a base64 string, got number/ },
    { name: 'malformed base64', send: (u) => postJson(`${u}/v1/predict`, { images: [b64(png), 'not base64!!'] }), status: 400, message: /images\[1\] is not valid base64/ },
    { name: 'a KServe instance without b64', send: (u) => postJson(`${u}/v1/models/model:predict`, { instances: [{ path: '/etc/passwd' }] }), status: 400, message: /instances\[0\] must be an object \{"b64"/ },
    // A path is only ever base64 text to decode: "/etc/passwd/" is valid base64 of 9 bytes that are no image.
    { name: 'a server file path given as an image', send: (u) => postJson(`${u}/v1/predict`, { images: ['/etc/passwd/'] }), status: 415, message: /not an image tlearn can read/ },
    { name: 'an unsupported content type', send: (u) => post(`${u}/v1/predict`, 'x', 'text/plain'), status: 415, message: /unsupported content type/ },
    { name: 'a multipart body without files', send: (u) => { const fd = new FormData(); fd.append('note', 'hi'); return post(`${u}/v1/predict`, fd); }, status: 400, message: /holds no file/ },
  ];
}
