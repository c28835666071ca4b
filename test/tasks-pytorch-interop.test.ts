// A multi-class model leaves tlearn for PyTorch as the README says: `tlearn export` writes a .pth of a 5-class
// model, the README's own multi-class snippet loads it strictly into torchvision's resnet18 with the documented
// head, and PyTorch's softmax equals `tlearn predict`'s probabilities (<= 1e-5).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { manualSeed } from '../src/torch/index.js';
import { ImageClassifier, saveModelFile } from '../src/models/index.js';
import { runPython } from './helpers/python.js';
import { cliIn } from './helpers/cli.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';

after(removeTempDirs);

/** The python blocks of the README section that starts with `heading`, in order. */
function pythonBlocks(heading: string): string[] {
  const file = ['../README.md', '../../README.md'].map((r) => fileURLToPath(new URL(r, import.meta.url))).find((f) => fs.existsSync(f))!;
  const readme = fs.readFileSync(file, 'utf8');
  const start = readme.indexOf(heading);
  assert.ok(start >= 0, `README has ${heading}`);
  const section = readme.slice(start, readme.indexOf('\n## ', start + heading.length));
  return [...section.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

test("a 5-class model exported to .pth loads with the README's snippet and predicts tlearn's probabilities in PyTorch", async () => {
  const dir = tempDir('tlearn-tasks-interop-');
  const classes = ['ant', 'bee', 'cat', 'dog', 'eel'];
  manualSeed(3);
  const model = new ImageClassifier({ arch: 'resnet18', outputs: 5, activation: 'softmax' });
  const file = path.join(dir, 'model.safetensors');
  try {
    saveModelFile(file, model, { task: 'multiclass', classes, positiveClass: null, imageSize: 32 });
  } finally {
    model.dispose();
  }
  const pth = path.join(dir, 'model.pth');
  const exported = await cliIn(dir)(['export', file, '--out', pth]);
  assert.equal(exported.code, 0, exported.err);
  const images: string[] = [];
  for (let i = 0; i < 4; i++) {
    const px = Buffer.alloc(32 * 32 * 3).map((_, k) => (k * (7 + i * 13) + i * 50) % 256);
    images.push(path.join(dir, `im${i}.png`));
    await sharp(px, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(images.at(-1)!);
  }
  const p = await cliIn(dir)(['predict', pth, ...images, '--json']);
  assert.equal(p.code, 0, p.err);
  const ours = JSON.parse(p.out) as { label: string; probabilities: Record<string, number> }[];

  const [snippet] = pythonBlocks('## Multi-class and multi-label');
  const theirs = runPython<{ classes: string[]; probs: number[][] }>(snippet!.replace('"RUN/best_model_final.pth"', 'inp["pth"]') + String.raw`
import numpy as np
from PIL import Image
mean, std = np.array(meta["mean"], dtype=np.float32), np.array(meta["std"], dtype=np.float32)
x = torch.stack([torch.from_numpy(((np.asarray(Image.open(p).convert('RGB'), dtype=np.float32) / 255 - mean) / std).astype(np.float32)).permute(2, 0, 1) for p in inp["images"]])
with torch.no_grad(): out({"classes": meta["classes"], "probs": torch.softmax(model(x), 1).tolist()})
`, { pth, images });
  assert.deepEqual(theirs.classes, classes);
  ours.forEach((row, i) => {
    classes.forEach((c, j) => assert.ok(Math.abs(row.probabilities[c]! - theirs.probs[i]![j]!) <= 1e-5, `${c}: ${row.probabilities[c]} vs ${theirs.probs[i]![j]}`));
    assert.equal(row.label, classes[theirs.probs[i]!.indexOf(Math.max(...theirs.probs[i]!))]);
  });
});
