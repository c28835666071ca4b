// Prediction and evaluation of .onnx models (issue 17, item 4): a tlearn .onnx gives the decisions and, within
// 1e-5, the probabilities of its source checkpoint, in the same output formats; a foreign graph (torch.onnx.export
// of torchvision's resnet18) gives PyTorch's own probabilities; tlearn/onnx runs with no libtorch in the process;
// a missing onnxruntime-node is named with the way to install it.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writePng } from './data-fixtures.js';
import { cliIn } from './helpers/cli.js';
import { tinyClassifier } from './helpers/onnx-models.js';
import { foreignOnnx } from './helpers/onnx-foreign.js';
import { runPython } from './helpers/python.js';
import { packageWithout } from './helpers/package-without.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';
import { exportOnnx } from '../src/export/onnx/index.js';
import { loadModelFile, metadataToJSON, saveModelFile, type TaskKind } from '../src/models/index.js';
import { loadOnnxModel } from '../src/deploy/index.js';
import { ORT_INSTALL_HINT } from '../src/onnx/index.js';

after(removeTempDirs);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** DIR/data/<class>/<i>.png: three images per class, smaller and larger than 32 px (up- and downsampled). */
async function dataFor(dir: string, classes: readonly string[]): Promise<string> {
  const data = path.join(dir, 'data');
  const sizes = [[20, 27], [45, 38], [32, 32]] as const;
  for (const [c, name] of classes.entries()) {
    for (const [i, [w, h]] of sizes.entries()) await writePng(path.join(data, name, `${i}.png`), w, h, c * 10 + i);
  }
  return data;
}

/** A checkpoint and its two ONNX exports (float NCHW and uint8 NHWC input) of a seeded resnet18 at 32 px. */
function modelFiles(dir: string, task: TaskKind): { ckpt: string; onnx: string; onnxU8: string; classes: string[] } {
  const { model, metadata } = tinyClassifier(task, 'resnet18', 32);
  try {
    const ckpt = path.join(dir, 'model.safetensors');
    const saved = saveModelFile(ckpt, model, metadata);
    model.eval();
    const onnx = path.join(dir, 'model.onnx'), onnxU8 = path.join(dir, 'model-u8.onnx');
    fs.writeFileSync(onnx, exportOnnx(model, saved).bytes);
    fs.writeFileSync(onnxU8, exportOnnx(model, saved, { input: 'uint8-nhwc' }).bytes);
    return { ckpt, onnx, onnxU8, classes: saved.classes };
  } finally {
    model.dispose();
  }
}

type Row = Record<string, unknown> & { path: string };

/** The same rows, keys and decisions; every probability within 1e-5. */
function assertSameRows(a: Row[], b: Row[], what: string): void {
  assert.equal(a.length, b.length, what);
  a.forEach((ra, i) => {
    const rb = b[i]!;
    assert.deepEqual(Object.keys(rb), Object.keys(ra), `${what}: keys of ${ra.path}`);
    for (const k of Object.keys(ra)) {
      if (k === 'probability') assert.ok(Math.abs((ra[k] as number) - (rb[k] as number)) <= 1e-5, `${what} ${ra.path}: ${ra[k]} vs ${rb[k]}`);
      else if (k === 'probabilities') {
        for (const [c, p] of Object.entries(ra[k] as Record<string, number>)) {
          assert.ok(Math.abs(p - (rb[k] as Record<string, number>)[c]!) <= 1e-5, `${what} ${ra.path} ${c}`);
        }
      } else assert.deepEqual(rb[k], ra[k], `${what}: ${k} of ${ra.path}`);
    }
  });
}

/** Two metrics.json objects with the same keys and numbers within `tol`. */
function assertCloseJson(a: unknown, b: unknown, tol: number, at = 'metrics'): void {
  if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(Math.abs(a - b) <= tol, `${at}: ${a} vs ${b}`);
    return;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    assert.deepEqual(Object.keys(b), Object.keys(a), `${at}: keys`);
    for (const k of Object.keys(a)) assertCloseJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol, `${at}.${k}`);
    return;
  }
  assert.deepEqual(b, a, at);
}

for (const task of ['binary', 'multiclass'] as const) {
  test(`a tlearn .onnx (${task}) predicts and evaluates as its checkpoint does: decisions, probabilities within 1e-5, the same columns`, async () => {
    const dir = tempDir('tlearn-deploy-');
    const { ckpt, onnx, onnxU8, classes } = modelFiles(dir, task);
    const data = await dataFor(dir, classes);
    const cli = cliIn(dir);
    const want = await cli(['predict', ckpt, data, '--json']);
    assert.equal(want.code, 0, want.err);
    for (const file of [onnx, onnxU8]) {
      const got = await cli(['predict', file, data, '--json']);
      assert.equal(got.code, 0, got.err);
      assert.equal(got.err, '', 'a tlearn .onnx assumes nothing');
      assertSameRows(JSON.parse(want.out) as Row[], JSON.parse(got.out) as Row[], path.basename(file));
      const [csvA, csvB] = [await cli(['predict', ckpt, data, '--csv']), await cli(['predict', file, data, '--csv'])];
      assert.equal(csvB.out.split('\n')[0], csvA.out.split('\n')[0], 'CSV header');
      assert.equal(csvB.out.split('\n').length, csvA.out.split('\n').length);
    }
    const e1 = await cli(['evaluate', ckpt, data, '--split', 'all', '--out', 'eval-ckpt', '--json']);
    const e2 = await cli(['evaluate', onnx, data, '--split', 'all', '--out', 'eval-onnx', '--json']);
    assert.equal(e1.code, 0, e1.err);
    assert.equal(e2.code, 0, e2.err);
    assertCloseJson(JSON.parse(e1.out), JSON.parse(e2.out), 1e-5);
    for (const f of ['metrics.json', 'classification_report.txt', 'predictions.csv', 'report.html']) assert.ok(fs.existsSync(path.join(dir, 'eval-onnx', f)), f);
    const csv = (d: string) => fs.readFileSync(path.join(dir, d, 'predictions.csv'), 'utf8').trim().split('\n');
    assert.equal(csv('eval-onnx')[0], csv('eval-ckpt')[0]);
    assert.equal(fs.readFileSync(path.join(dir, 'eval-onnx', 'classification_report.txt'), 'utf8'),
      fs.readFileSync(path.join(dir, 'eval-ckpt', 'classification_report.txt'), 'utf8'));
    // The library reads the metadata back exactly as the checkpoint holds it.
    const loaded = loadModelFile(ckpt);
    loaded.model.dispose();
    const m = await loadOnnxModel(onnx);
    await m.dispose();
    assert.deepEqual(metadataToJSON(m.metadata), metadataToJSON(loaded.metadata));
  });
}

test('a foreign .onnx (torch.onnx.export of torchvision resnet18 with Softmax) gives PyTorch\'s probabilities; a logits graph is refused', async () => {
  const dir = tempDir('tlearn-deploy-foreign-');
  const images = [0, 1, 2].map((i) => path.join(dir, `img${i}.png`));
  for (const [i, f] of images.entries()) await writePng(f, [20, 31, 9][i]!, [27, 12, 9][i]!, i + 3);
  const want = runPython<number[][]>(`
import torch, torchvision
from PIL import Image
import torchvision.transforms as T
torch.manual_seed(0)
m = torch.nn.Sequential(torchvision.models.resnet18(num_classes=3), torch.nn.Softmax(dim=1)).eval()
x = torch.randn(2, 3, 32, 32)
kw = dict(opset_version=13, input_names=['image'], output_names=['p'], dynamic_axes={'image': {0: 'N'}, 'p': {0: 'N'}})
torch.onnx.export(m, x, inp['dir'] + '/foreign.onnx', **kw)
torch.onnx.export(m[0], x, inp['dir'] + '/logits.onnx', **kw)
tf = T.Compose([T.Resize((32, 32)), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
with torch.no_grad():
    out(m(torch.stack([tf(Image.open(f).convert('RGB')) for f in inp['images']])).tolist())
`, { dir, images }, { timeoutMs: 300_000 });
  const cli = cliIn(dir);
  const got = await cli(['predict', 'foreign.onnx', ...images, '--json', '--classes', 'a,b,c']);
  assert.equal(got.code, 0, got.err);
  const rows = JSON.parse(got.out) as { probabilities: Record<string, number>; label: string }[];
  rows.forEach((r, i) => {
    ['a', 'b', 'c'].forEach((c, j) => assert.ok(Math.abs(r.probabilities[c]! - want[i]![j]!) <= 1e-5, `image ${i} class ${c}: ${r.probabilities[c]} vs ${want[i]![j]}`));
    assert.equal(r.label, ['a', 'b', 'c'][want[i]!.indexOf(Math.max(...want[i]!))]);
  });
  // Without --classes: the class names are assumed (and said to be); the image size is the graph's own.
  const plain = await cli(['predict', 'foreign.onnx', images[0]!]);
  assert.equal(plain.code, 0, plain.err);
  assert.match(plain.err, /foreign\.onnx has no tlearn metadata: assuming classes 0,1,2 \(.*\); images are resized to 32x32/);
  const logits = await cli(['predict', 'logits.onnx', images[0]!]);
  assert.equal(logits.code, 2);
  assert.match(logits.err, /logits\.onnx: its outputs are not probabilities/);
});

test('tlearn/onnx predicts in a process where the native addon cannot load, and loads neither libtorch nor the addon', async () => {
  const dir = tempDir('tlearn-deploy-nolib-');
  const { ckpt, onnx } = modelFiles(dir, 'binary');
  const data = await dataFor(dir, ['cat', 'dog']);
  const files = ['cat/0.png', 'dog/1.png', 'dog/2.png'].map((f) => path.join(data, f));
  const want = JSON.parse((await cliIn(dir)(['predict', ckpt, ...files, '--json'])).out) as Row[];
  const script = `
import fs from 'node:fs';
const { predictOnnx } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/src/deploy/index.js')).href)});
const rows = await predictOnnx({ model: ${JSON.stringify(onnx)}, files: ${JSON.stringify(files)} });
const maps = fs.readFileSync('/proc/self/maps', 'utf8');
console.log(JSON.stringify({ rows, libtorch: /libtorch/.test(maps), addon: /tlearn_native/.test(maps), ort: /onnxruntime/.test(maps) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, TLEARN_NATIVE: '/nonexistent' }, timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { rows: Row[]; libtorch: boolean; addon: boolean; ort: boolean };
  assert.equal(got.ort, true, 'onnxruntime ran');
  assert.equal(got.libtorch, false, 'libtorch was loaded');
  assert.equal(got.addon, false, 'the native addon was loaded');
  assertSameRows(want.map((w) => ({ ...w, path: path.resolve(dir, w.path) })), got.rows, 'no-libtorch child');
});

test('without onnxruntime-node, predict of an .onnx says how to install it (exit 1)', async () => {
  const dir = tempDir('tlearn-deploy-noort-');
  const pkg = packageWithout(dir, 'onnxruntime-node');
  const model = path.join(dir, 'model.onnx');
  fs.writeFileSync(model, 'not read: onnxruntime-node is looked for first');
  const img = await writePng(path.join(dir, 'a.png'), 12, 10, 1);
  const script = `const { runCli } = await import(${JSON.stringify(pathToFileURL(path.join(pkg, 'dist/src/cli/main.js')).href)});
let err = ''; const code = await runCli(['predict', ${JSON.stringify(model)}, ${JSON.stringify(img)}], { out: () => {}, err: (t) => { err += t; }, cwd: process.cwd() });
console.log(JSON.stringify({ code, err }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  const r = JSON.parse(out) as { code: number; err: string };
  assert.equal(r.code, 1, r.err);
  assert.ok(r.err.includes('onnxruntime-node, which is not installed') && r.err.includes(ORT_INSTALL_HINT), r.err);
});

test('a foreign .onnx ending in Sigmoid evaluates as a binary model with --classes; the report says what ran', async () => {
  const dir = tempDir('tlearn-deploy-foreign-eval-');
  fs.writeFileSync(path.join(dir, 'sigmoid.onnx'), foreignOnnx({ outputs: 1, activation: 'sigmoid' }));
  const data = await dataFor(dir, ['cat', 'dog']);
  const r = await cliIn(dir)(['evaluate', 'sigmoid.onnx', data, '--split', 'all', '--out', 'eval', '--classes', 'cat,dog', '--json']);
  assert.equal(r.code, 0, r.err);
  const m = JSON.parse(r.out) as { n: number; classes: string[]; positive_class: string };
  assert.deepEqual([m.n, m.classes, m.positive_class], [6, ['cat', 'dog'], 'dog']);
  assert.match(fs.readFileSync(path.join(dir, 'eval', 'report.html'), 'utf8'), /a foreign ONNX graph \(run by onnxruntime\)/);
  assert.equal(fs.readFileSync(path.join(dir, 'eval', 'predictions.csv'), 'utf8').split('\n')[0], 'path,label,probability,predicted');
});
