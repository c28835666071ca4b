// Small test images that differ in size, aspect ratio, format (PNG, JPEG, PNG with alpha) and content, so that a
// model's outputs on them differ and the resize paths (shrink, aspect change, transparency) are all exercised.
import path from 'node:path';
import sharp from 'sharp';

/** Five varied images (sizes, aspect ratios, PNG with alpha, JPEG), so that the decisions are not all alike. */
export async function variedImages(dir: string): Promise<string[]> {
  const specs = [
    { name: 'wide-gradient.png', w: 90, h: 40, fmt: 'png' },
    { name: 'tall-noise.jpg', w: 36, h: 80, fmt: 'jpeg' },
    { name: 'dark.png', w: 48, h: 48, fmt: 'png' },
    { name: 'bright-stripes.png', w: 64, h: 52, fmt: 'png' },
    { name: 'transparent.png', w: 40, h: 60, fmt: 'png', alpha: true },
  ];
  const files: string[] = [];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const [i, s] of specs.entries()) {
    const ch = s.alpha ? 4 : 3;
    const px = Buffer.alloc(s.w * s.h * ch);
    for (let y = 0; y < s.h; y++) {
      for (let x = 0; x < s.w; x++) {
        const k = (y * s.w + x) * ch;
        const v = [
          (x * 255) / s.w, rand() * 255, 20 + 10 * i,
          ((x >> 3) % 2) * 230 + 20, (x * 3 + y * 5 + 40 * i) % 256,
        ][i]!;
        px[k] = v;
        px[k + 1] = i === 3 ? 255 - v : (v * 0.6 + 30 * i) % 256;
        px[k + 2] = (y * 255) / s.h;
        if (s.alpha) px[k + 3] = (x * 255) / s.w;
      }
    }
    const file = path.join(dir, s.name);
    const img = sharp(px, { raw: { width: s.w, height: s.h, channels: ch as 3 | 4 } });
    await (s.fmt === 'jpeg' ? img.jpeg({ quality: 95 }) : img.png()).toFile(file);
    files.push(file);
  }
  return files;
}

