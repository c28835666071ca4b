// tlearn export --format onnx given contradictory flags, images that cannot be checked on, a damaged run
// manifest, a model it cannot describe, or an earlier report in the way: each is refused with exit 2 and a
// message naming the flag or the file, before anything is written (no graph, no report, no temporary file).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './case.js';
import { forgeModelFile } from '../helpers/forged-models.js';
import { seedStateDictPth, tinyModelFile } from '../helpers/model-files.js';

/** Nothing but what the case itself put in `dir` (no .onnx, no .onnx.json, no temporary graph). */
function noGraphWritten(dir: string): void {
  const left = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.onnx|\.tmp$/.test(f) && !f.endsWith('kept.onnx.json'));
  assert.deepEqual(left, [], 'the export wrote a graph or a report although it was refused');
}

/** RUN/best_model_final.safetensors beside a manifest.csv with the given text (images written by the case). */
function runWithManifest(dir: string, manifest: string): string {
  const run = path.join(dir, 'run');
  fs.mkdirSync(run);
  fs.renameSync(tinyModelFile(dir), path.join(run, 'best_model_final.safetensors'));
  fs.writeFileSync(path.join(run, 'manifest.csv'), manifest);
  return 'run/best_model_final.safetensors';
}

function refused(name: string, setup: HostileCase['setup'], message: RegExp): HostileCase {
  return { name: `${name}, to export --format onnx`, setup, code: 2, message, after: noGraphWritten };
}

export const cases: HostileCase[] = [
  refused('--input for a .pth file', (dir) => ['export', tinyModelFile(dir), '--out', 'm.pth', '--input', 'uint8'],
    /--input only apply to --format onnx/),
  refused('--check and --no-check together', (dir) => ['export', tinyModelFile(dir), '--out', 'm.onnx', '--check', 'a.png', '--no-check'],
    /--check and --no-check contradict each other/),
  refused('an --input layout that does not exist', (dir) => ['export', tinyModelFile(dir), '--out', 'm.onnx', '--input', 'float16'],
    /argument 'float16' is invalid.*float, uint8/),
  refused('a --check file that does not exist', (dir) => ['export', tinyModelFile(dir), '--out', 'm.onnx', '--check', 'missing.png'],
    /--check: missing\.png does not exist/),
  refused('--check files that are not images', (dir) => {
    fs.writeFileSync(path.join(dir, 'a.png'), 'not a png at all');
    fs.writeFileSync(path.join(dir, 'b.jpg'), '');
    return ['export', tinyModelFile(dir), '--out', 'm.onnx', '--check', 'a.png', 'b.jpg'];
  }, /none of the 2 check images could be read.*--check FILES/),
  refused('a run manifest without a split column', (dir) => ['export', runWithManifest(dir, 'path,label\nimg/0.png,cat\n'), '--out', 'm.onnx'],
    /manifest\.csv is not a tlearn run manifest \(its header has no path and split columns\)/),
  refused('a run manifest with train images only', (dir) => ['export', runWithManifest(dir, 'path,label,split\nimg/0.png,cat,train\n'), '--out', 'm.onnx'],
    /manifest\.csv has no test or val images to check the export on; give images with --check FILES/),
  refused('a run whose test images are gone', (dir) => ['export', runWithManifest(dir, 'path,label,split\ngone/0.png,cat,test\ngone/1.png,dog,test\n'), '--out', 'm.onnx'],
    /none of the 2 check images could be read \(the test split of .*manifest\.csv\)/),
  refused('a plain PyTorch state_dict without --classes and --image-size', (dir) => {
    seedStateDictPth(path.join(dir, 'seed.pth'));
    return ['export', 'seed.pth', '--out', 'm.onnx', '--no-check'];
  }, /seed\.pth has no tlearn metadata: give the values it was trained with, --classes and --image-size/),
  refused('a checkpoint with a NaN weight', (dir) => {
    forgeModelFile(tinyModelFile(dir), path.join(dir, 'nan.safetensors'), { tensors: { 'conv1.weight': (v) => { v[0] = Number.NaN; } } });
    return ['export', 'nan.safetensors', '--out', 'm.onnx'];
  }, /nan\.safetensors: weights contain NaN: conv1\.weight\b/),
  {
    name: 'an earlier export\'s model.onnx.json in the way (no --force), to export --format onnx',
    setup(dir) {
      fs.writeFileSync(path.join(dir, 'kept.onnx.json'), '{"earlier": true}');
      return ['export', tinyModelFile(dir), '--out', 'kept.onnx', '--no-check'];
    },
    code: 2,
    message: /kept\.onnx\.json already exists; choose another --out, or add --force to replace it/,
    after(dir) {
      noGraphWritten(dir);
      assert.equal(fs.readFileSync(path.join(dir, 'kept.onnx.json'), 'utf8'), '{"earlier": true}');
    },
  },
];
