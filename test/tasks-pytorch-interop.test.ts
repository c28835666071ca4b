// A multi-class model leaves tlearn for PyTorch as the README says: `tlearn export` writes a .pth of a 5-class
// model, the README's own multi-class snippet loads it strictly into torchvision's resnet18 with the documented
// head, and PyTorch's softmax equals `tlearn predict`'s probabilities (<= 1e-5).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import sharp from 'sharp';
import { manualSeed } from '../src/torch/index.js';
import { ImageClassifier, saveModelFile } from '../src/models/index.js';
import { runPython } from './helpers/python.js';
import { cliIn } from './helpers/cli.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';
import { pythonBlocks } from './helpers/readme.js';

after(removeTempDirs);

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

test('a plain PyTorch state_dict with a 3-output head: --classes names its outputs, --task multilabel reads them as labels', async () => {
  const dir = tempDir('tlearn-tasks-plain-');
  const pth = path.join(dir, 'plain.pth');
  const image = path.join(dir, 'im.png');
  await sharp(Buffer.alloc(32 * 32 * 3).map((_, k) => (k * 11) % 256), { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(image);
  const probs = runPython<{ softmax: number[]; sigmoid: number[] }>(String.raw`
import numpy as np, torch, torchvision
from torch import nn
from PIL import Image
torch.manual_seed(5)
m = torchvision.models.resnet18()
m.fc = nn.Sequential(nn.Dropout(0.5), nn.Linear(512, 3))
torch.save(m.state_dict(), inp['pth'])
m.eval()
mean, std = np.array([0.485, 0.456, 0.406], dtype=np.float32), np.array([0.229, 0.224, 0.225], dtype=np.float32)
x = torch.from_numpy(((np.asarray(Image.open(inp['image']).convert('RGB'), dtype=np.float32) / 255 - mean) / std).astype(np.float32)).permute(2, 0, 1)[None]
with torch.no_grad():
    z = m(x)
out({'softmax': torch.softmax(z, 1)[0].tolist(), 'sigmoid': torch.sigmoid(z)[0].tolist()})
`, { pth, image });
  const cli = cliIn(dir);
  const mc = await cli(['predict', pth, image, '--classes', 'x,y,z', '--image-size', '32', '--json']);
  assert.equal(mc.code, 0, mc.err);
  const [row] = JSON.parse(mc.out) as { probabilities: Record<string, number> }[];
  ['x', 'y', 'z'].forEach((c, j) => assert.ok(Math.abs(row!.probabilities[c]! - probs.softmax[j]!) <= 1e-5, `${c} softmax`));
  const ml = await cli(['predict', pth, image, '--classes', 'x,y,z', '--image-size', '32', '--task', 'multilabel', '--json']);
  assert.equal(ml.code, 0, ml.err);
  const [labels] = JSON.parse(ml.out) as { labels: string[]; probabilities: Record<string, number> }[];
  ['x', 'y', 'z'].forEach((c, j) => assert.ok(Math.abs(labels!.probabilities[c]! - probs.sigmoid[j]!) <= 1e-5, `${c} sigmoid`));
  assert.deepEqual(labels!.labels, ['x', 'y', 'z'].filter((_, j) => probs.sigmoid[j]! >= 0.5));
  const wrong = await cli(['predict', pth, image, '--classes', 'x,y', '--image-size', '32']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.err, /has 3 outputs; 2 class names were given \(x,y\)/);
});
