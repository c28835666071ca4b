// predict and evaluate on a large folder take minutes: each says how far it is every 10 s through its log
// (the CLI's stderr). The clock is advanced by hand here: 6 s per reading, so the lines are due at once.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { BinaryClassifier, saveModelFile } from '../src/models/index.js';
import { evaluate, predict } from '../src/eval/index.js';
import { tempDir } from './helpers/temp.js';

const realNow = performance.now.bind(performance);
after(() => { performance.now = realNow; });

test('predict and evaluate log a progress line every 10 s of work', async () => {
  const dir = tempDir('tlearn-evalprog-');
  const files: string[] = [];
  for (const cls of ['cat', 'dog']) {
    fs.mkdirSync(path.join(dir, 'data', 'test', cls), { recursive: true });
    for (let i = 0; i < 4; i++) {
      const file = path.join(dir, 'data', 'test', cls, `${i}.png`);
      await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 40 * i, g: cls === 'cat' ? 50 : 200, b: 90 } } }).png().toFile(file);
      files.push(file);
    }
  }
  const model = path.join(dir, 'model.safetensors');
  const m = new BinaryClassifier({ arch: 'resnet18' });
  saveModelFile(model, m, { classes: ['cat', 'dog'], positiveClass: 'dog', imageSize: 32, threshold: 0.5 });
  m.dispose();

  let clock = 0;
  performance.now = () => (clock += 6000);
  const predictLog: string[] = [];
  await predict({ model, files, batchSize: 2, log: (l) => predictLog.push(l) });
  const evalLog: string[] = [];
  await evaluate({ model, data: path.join(dir, 'data'), split: 'test', out: path.join(dir, 'eval'), batchSize: 2, log: (l) => evalLog.push(l) });
  performance.now = realNow;

  for (const log of [predictLog, evalLog]) {
    const lines = log.filter((l) => l.startsWith('predicting: '));
    assert.ok(lines.length >= 1, log.join('\n'));
    assert.match(lines[0]!, /^predicting: \d of 8 images \(\d+ %\), \d+\.\d images\/s, ETA \d\d:\d\d$/);
  }
});
