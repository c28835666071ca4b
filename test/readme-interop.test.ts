// The README's "Interop with PyTorch" code, run as written: a tlearn ResNet50 checkpoint (.pth) loads in
// torchvision with a strict load_state_dict, and the "predict in PyTorch as tlearn does" snippet gives
// tlearn's probabilities for a 16-bit greyscale PNG, an RGBA PNG and an EXIF-rotated JPEG. The images are
// smaller than the input size: enlarging matches PIL exactly, so only float noise (and, with alpha, the
// compositing's rounding) may differ.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import sharp from 'sharp';
import { manualSeed, noGrad, scope } from '../src/torch/index.js';
import { BinaryClassifier, loadModelFile, saveModelFile } from '../src/models/index.js';
import { predictItems } from '../src/eval/predict.js';
import { runPython } from './helpers/python.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';
import { pythonBlocks } from './helpers/readme.js';

after(removeTempDirs);

async function images(dir: string): Promise<string[]> {
  const gray16 = path.join(dir, 'xray16.png');
  const g = new Uint16Array(20 * 14).map((_, i) => (i * 2741) % 65536);
  await sharp(Buffer.from(g.buffer), { raw: { width: 20, height: 14, channels: 1, premultiplied: false } })
    .toColourspace('grey16').png().toFile(gray16);
  const rgba = path.join(dir, 'alpha.png');
  const a = Buffer.alloc(18 * 18 * 4).map((_, i) => (i % 4 === 3 ? (i * 7) % 256 : (i * 53) % 256));
  await sharp(a, { raw: { width: 18, height: 18, channels: 4 } }).png().toFile(rgba);
  const jpeg = path.join(dir, 'rotated.jpg');
  const c = Buffer.alloc(12 * 20 * 3).map((_, i) => (i * 29) % 256);
  await sharp(c, { raw: { width: 12, height: 20, channels: 3 } }).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toFile(jpeg);
  return [gray16, rgba, jpeg];
}

test("the README's PyTorch snippets load a tlearn .pth strictly and predict what tlearn predicts", async () => {
  const dir = tempDir('tlearn-readme-');
  const files = await images(dir);
  const meta16 = await sharp(files[0]!).metadata();
  assert.equal(meta16.depth, 'ushort', 'the first image is a 16-bit PNG');

  manualSeed(3);
  const model = new BinaryClassifier({ arch: 'resnet50' });
  // Random weights saturate the sigmoid; a small head keeps the probabilities informative.
  noGrad(() => scope(() => {
    const fc = model.getSubmodule('fc.1');
    for (const [name, p] of fc.namedParameters()) p.setData_(p.mul(name === 'weight' ? 0.1 : 0));
  }));
  const file = path.join(dir, 'best_model_final.pth');
  saveModelFile(file, model, { classes: ['normal', 'finding'], positiveClass: 'finding', imageSize: 40, threshold: 0.5 });
  model.dispose();

  const loaded = loadModelFile(file);
  const ours = await predictItems(loaded.model, loaded.metadata, files.map((p) => ({ path: p, label: null })));
  loaded.model.dispose();
  assert.deepEqual(ours.skipped, []);

  const [load, predict] = pythonBlocks('## Interop with PyTorch');
  assert.ok(load && predict, 'two python blocks');
  const theirs = runPython<number[]>(`
import torch
torch.set_num_threads(1)
g = {}
exec(inp['load'].replace('RUN/best_model_final.pth', inp['file']), g)
ps = []
for f in inp['files']:
    exec(inp['predict'].replace('"img.jpg"', repr(f)), g)
    ps.append(g['p'])
out(ps)
`, { load, predict, file, files });
  const p = [...ours.probabilities];
  for (const v of p) assert.ok(v > 0.02 && v < 0.98, `informative probability ${v}`);
  assert.ok(new Set(p.map((v) => v.toFixed(4))).size === 3, `distinct probabilities ${p}`);
  // Alpha compositing rounds differently (libvips premultiplies; PIL's alpha_composite does not): single
  // pixels one level of 255 apart. Everything else is the same pixels.
  const tolerance = [1e-5, 3e-3, 1e-5];
  theirs.forEach((q, i) => assert.ok(Math.abs(q - p[i]!) <= tolerance[i]!, `${path.basename(files[i]!)}: PyTorch ${q}, tlearn ${p[i]}`));
});
