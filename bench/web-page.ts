// The browser page of `tlearn export --format web` in headless Chromium: images/s of the whole page path (the
// browser's decode, Pillow's bilinear resize in resize.onnx, onnxruntime-web's WASM inference, the DOM update) on N
// JPEGs of 640×480, for a seeded random ResNet50 (or --arch) at --size px. Run twice: served plainly (one
// thread, as most static servers serve it) and cross-origin isolated (COOP/COEP headers: the page then asks
// onnxruntime-web for up to 4 threads). Needs Chromium and onnxruntime-web.
// Run: npm run build && node dist/bench/web-page.js [--arch resnet50] [--size 224] [--n 16]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { runCli } from '../src/cli/main.js';
import { ImageClassifier, saveModelFile, type ResNetArch } from '../src/models/index.js';
import { manualSeed } from '../src/torch/index.js';
import { inspectPage } from '../test/helpers/chromium.js';
import { serveFolder } from '../test/helpers/static-server.js';
import { flagArgs } from './common.js';

const args = flagArgs();
const arch = (args.arch ?? 'resnet50') as ResNetArch;
const size = Number(args.size ?? 224);
const n = Number(args.n ?? 16);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-bench-web-'));
  try {
    manualSeed(1);
    const m = new ImageClassifier({ arch });
    const model = path.join(dir, 'model.safetensors');
    saveModelFile(model, m, { classes: ['cat', 'dog'], positiveClass: 'dog', imageSize: size });
    m.dispose();
    const out = path.join(dir, 'page');
    const code = await runCli(['export', model, '--format', 'web', '--out', out], { out: () => {}, err: (t) => process.stderr.write(t), cwd: dir });
    if (code !== 0) throw new Error(`export --format web failed (${code})`);
    const files: string[] = [];
    for (let i = 0; i < n + 2; i++) {
      const file = path.join(dir, `img${i}.jpg`);
      const px = Buffer.alloc(640 * 480 * 3);
      for (let k = 0; k < px.length; k++) px[k] = (k * (i + 3) + (k >> 9)) % 256;
      await sharp(px, { raw: { width: 640, height: 480, channels: 3 } }).jpeg({ quality: 90 }).toFile(file);
      files.push(file);
    }
    const isolated = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
    for (const [label, headers] of [['plain server', {}], ['cross-origin isolated', isolated]] as const) {
      const server = await serveFolder(out, headers);
      try {
        let ms = 0;
        let threads = '';
        const page = await inspectPage(server.url, {
          timeoutMs: 600_000,
          act: async (p) => {
            await p.waitFor(`document.getElementById('status').dataset.state === 'ready'`, 120_000);
            threads = await p.evaluate<string>(`document.getElementById('summary').textContent`);
            // Two images first: the first run of a session sets up its kernels and buffers.
            await p.setFiles('#files', files.slice(0, 2));
            await p.waitFor(`document.getElementById('status').dataset.done === '2'`, 300_000);
            await p.setFiles('#files', files.slice(2));
            await p.waitFor(`document.getElementById('status').dataset.done === '${n + 2}'`, 540_000);
            ms = Number(await p.evaluate<string>(`document.getElementById('status').dataset.ms`));
          },
        });
        if (page.exceptions.length || page.problems.length) throw new Error(`page problems: ${[...page.exceptions, ...page.problems].join('\n')}`);
        console.log(`web page, ${arch} at ${size} px, ${label} (${threads.split('·').pop()!.trim()}): ${n} images in ${(ms / 1000).toFixed(2)} s = ${(n / (ms / 1000)).toFixed(2)} images/s`);
      } finally {
        await server.close();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
