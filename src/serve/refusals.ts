// The HTTP status of an image the decoder refused, from the reason src/data/decode.ts gives: 422 for an image
// too large to decode (a decompression bomb) or too thin to resize, 415 for a format tlearn does not decode
// (SVG and other markup, BMP, PNM, PDF, anything that is no image; DICOM compressed in a syntax tlearn does not decode,
// or with pixels it does not read), 400 for damaged data (truncated, corrupt).
export function refusalStatus(reason: string): number {
  if (/megapixels|pixel limit|aspect ratio .* too extreme/i.test(reason)) return 422;
  if (/not an image format tlearn reads|not an image tlearn can read|file: tlearn reads|unsupported image format/i.test(reason)) return 415;
  if (/^DICOM .*(tlearn does not|not one tlearn (reads|applies)|not read by tlearn|tlearn reads 8-bit|: not an image)/i.test(reason)) return 415;
  return 400;
}
