// The run report (evaluateRun) states the pos_weight the run trained with (from the checkpoint's
// extra.pos_weight, or given) instead of advising --pos-weight, and names its image count "test images".
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import * as torch from '../src/torch/index.js';
import { evaluateRun } from '../src/eval/index.js';
import { tinyModelFile } from './helpers/model-files.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('tlearn-evrun-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const audit = {
  counts: { train: { cat: 19, dog: 1 } },
  imbalance: { ratio: 19, majority_class: 'cat', minority_class: 'dog', pos_weight: 19, imbalanced: true },
  unreadable: [],
};

async function item(split: 'train' | 'test', cls: 'cat' | 'dog', i: number) {
  const rel = `${split}/${cls}/${i}.png`;
  fs.mkdirSync(path.join(tmp, 'data', split, cls), { recursive: true });
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: cls === 'cat' ? 30 : 220, g: 9 * i, b: 90 } } }).png().toFile(path.join(tmp, 'data', rel));
  return { path: path.join(tmp, 'data', rel), relPath: rel, label: (cls === 'dog' ? 1 : 0) as 0 | 1, className: cls, split };
}

torch.manualSeed(2);
const modelFile = tinyModelFile(tmp, { pos_weight: 19 });

test('RUN/report.html: the pos_weight used is read from the checkpoint; no --pos-weight advice', async () => {
  const runDir = path.join(tmp, 'run');
  fs.mkdirSync(runDir);
  const items = [await item('test', 'cat', 0), await item('test', 'dog', 1), await item('test', 'cat', 2)];
  const metrics = await evaluateRun({ runDir, modelFile, dataset: { items: items as never, root: path.join(tmp, 'data'), source: 'data' }, audit,
    summary: { val_auc: 1 } });
  assert.ok(metrics);
  const html = fs.readFileSync(path.join(runDir, 'report.html'), 'utf8');
  assert.ok(!html.includes('--pos-weight'), 'no advice to use what the run used');
  assert.ok(html.includes('trained with pos_weight 19 '));
  assert.ok(html.includes('<th>test images</th><td>3</td>'));
  assert.ok(html.includes('<th>val_auc</th><td>1.0000</td>'));
});

test('without a test split the given pos_weight (or the config\'s number) is shown', async () => {
  for (const [name, extra, shown] of [['given', { posWeight: 2.5 }, '2.5 '], ['config', { config: { posWeight: 2.5 } }, '2.5 '],
    ['auto, from the checkpoint', { config: { posWeight: 'auto' } }, '19 ']] as const) {
    const runDir = path.join(tmp, `run-${name.replace(/\W+/g, '-')}`);
    fs.mkdirSync(runDir);
    const none = await evaluateRun({ runDir, modelFile, dataset: { items: [], root: tmp, source: 'data' }, audit, ...extra });
    assert.equal(none, null);
    const html = fs.readFileSync(path.join(runDir, 'report.html'), 'utf8');
    assert.ok(html.includes(`trained with pos_weight ${shown}`) && !html.includes('--pos-weight'), name);
  }
  // A run without one keeps the advice.
  const runDir = path.join(tmp, 'run-none');
  fs.mkdirSync(runDir);
  await evaluateRun({ runDir, modelFile, dataset: { items: [], root: tmp, source: 'data' }, audit, config: { posWeight: null } });
  assert.ok(fs.readFileSync(path.join(runDir, 'report.html'), 'utf8').includes('--pos-weight auto'));
});
