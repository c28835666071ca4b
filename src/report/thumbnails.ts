// Small JPEG thumbnails as data: URIs, so the HTML report embeds its images and needs no other file.
import { openImage } from '../data/decode.js';
import { refuseByContent } from '../data/sniff.js';

export interface Thumbnail {
  dataUri: string;
  width: number;
  height: number;
}

/**
 * Decodes `file` (as training does: EXIF orientation applied, DICOM windowed), and fits it inside size x size pixels (no upscaling).
 * Throws when the file is missing or not a decodable image; callers that build galleries skip those.
 */
export async function makeThumbnail(file: string, size = 96, quality = 80): Promise<Thumbnail> {
  if (!(Number.isInteger(size) && size >= 8 && size <= 1024)) throw new Error(`thumbnail size must be an integer in [8, 1024], got ${size}`);
  await refuseByContent(file); // SVG would be rendered by librsvg
  // openImage refuses decompression bombs (its pixel limit) and reads DICOM files as training does.
  const { data, info } = await (await openImage(file))
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality, mozjpeg: true })
    .toBuffer({ resolveWithObject: true });
  return { dataUri: `data:image/jpeg;base64,${data.toString('base64')}`, width: info.width, height: info.height };
}
