// The four commands that read a model file, set up for the hostile-input corpus: each gets the images it
// needs (written here) and an output path that must still not exist after tlearn refused the model.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export type ModelCommand = 'predict' | 'evaluate' | 'export' | 'export --classes' | 'train --weights';

/** Where each command would write: none of these may exist after a refusal. */
const OUTPUTS = ['eval-out', 'exported.safetensors', 'exported.pth'];
/** What a failed start of train may leave in its run folder: the data check, reused by the retry. */
const DATA_CHECK = ['audit.json', 'manifest.csv'];

async function png(file: string, shade: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: 12, height: 10, channels: 3, background: { r: shade, g: 90, b: 200 - shade } } }).png().toFile(file);
}

/** DIR/data: two classes of three small images, in split folders (val and test too, so train can start). */
export async function dataFolder(dir: string): Promise<void> {
  for (const split of ['train', 'val', 'test']) {
    for (const [c, base] of [['cat', 10], ['dog', 150]] as const) {
      for (let i = 0; i < 3; i++) await png(path.join(dir, 'data', split, c, `${i}.png`), base + 9 * i);
    }
  }
}

/** tlearn's arguments for `command` reading the model file `model` (relative to dir); writes the images it needs. */
export async function readingModel(dir: string, command: ModelCommand, model: string): Promise<string[]> {
  switch (command) {
    case 'predict':
      await png(path.join(dir, 'photo.png'), 60);
      return ['predict', model, 'photo.png'];
    case 'evaluate':
      await dataFolder(dir);
      return ['evaluate', model, 'data', '--out', 'eval-out'];
    case 'export':
      return ['export', model, '--out', model.endsWith('.pth') ? 'exported.safetensors' : 'exported.pth'];
    case 'export --classes':
      return ['export', model, '--classes', 'cat,dog', '--image-size', '32', '--out', 'exported.safetensors'];
    case 'train --weights':
      await dataFolder(dir);
      return ['train', 'data', '--out', 'run', '--weights', model, '--arch', 'resnet18', '--image-size', '32',
        '--epochs1', '1', '--epochs2', '0', '--batch-size', '4', '--threads', '1'];
  }
}

/** The `after` check of a refused model: the command wrote none of its outputs (train: no model, no config). */
export function wroteNothing(dir: string): void {
  for (const out of OUTPUTS) assert.equal(fs.existsSync(path.join(dir, out)), false, `${out} was written although the model was refused`);
  const run = path.join(dir, 'run');
  if (fs.existsSync(run)) {
    const left = fs.readdirSync(run).filter((f) => !DATA_CHECK.includes(f));
    assert.deepEqual(left, [], 'train wrote more than its data check although the weights were refused');
  }
}
