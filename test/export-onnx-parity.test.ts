// tlearn export --format onnx: the graph is run with onnxruntime-node against libtorch on the run's own test
// images (or --check FILES, or random pixels), the figures land in model.onnx.json, and a graph that disagrees
// with the model is not kept under the requested name.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportOnnxFile, type GraphExporter } from '../src/export/onnx-file.js';
import { runOnnxExport } from '../src/cli/commands/export-onnx.js';
import { exportOnnx } from '../src/export/onnx/index.js';
import { fileCheckImages } from '../src/export/check-images.js';
import { loadModelFile } from '../src/models/index.js';
import { decodeModel, metadataOf, ONNX_PROPS } from '../src/onnx/index.js';
import { cliIn } from './helpers/cli.js';
import { tinyModelFile } from './helpers/model-files.js';
import { runPython } from './helpers/python.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';
import { writePng } from './data-fixtures.js';
import { variedImages } from './helpers/varied-images.js';
import { TTA_FILES } from '../src/export/web/index.js';
import { TTA_MODES } from '../src/eval/tta.js';
import { onnxRuntime } from '../src/onnx/index.js';
import { decodeResized } from '../src/data/decode.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/**
 * A run folder as training leaves it, as far as the export reads it: RUN/best_model_final.safetensors and
 * RUN/manifest.csv (paths relative to RUN) with 3 test, 2 val and 2 train images.
 */
async function fakeRun(dir: string): Promise<string> {
  const run = path.join(dir, 'run');
  fs.mkdirSync(path.join(run, 'img'), { recursive: true });
  fs.renameSync(tinyModelFile(dir), path.join(run, 'best_model_final.safetensors'));
  const rows = ['path,label,split,bytes,sha256'];
  const splits = ['train', 'train', 'val', 'val', 'test', 'test', 'test'];
  for (const [i, split] of splits.entries()) {
    const file = await writePng(path.join(run, 'img', `${i}.png`), 40 + i, 30, i);
    rows.push(`img/${i}.png,${i % 2 ? 'dog' : 'cat'},${split},${fs.statSync(file).size},${sha256(file)}`);
  }
  fs.writeFileSync(path.join(run, 'manifest.csv'), `${rows.join('\n')}\n`);
  return run;
}

/**
 * The exporter with the first convolution's weights moved by 0.5 each: a graph that no longer is the model. The
 * bytes are changed where they lie in the file (a decode and re-encode would not give the same file back).
 */
const perturbed: GraphExporter = (model, metadata, o) => {
  const { bytes, opCounts } = exportOnnx(model, metadata, o);
  const m = decodeModel(bytes);
  const conv = m.graph.node.find((n) => n.opType === 'Conv')!;
  const raw = m.graph.initializer.find((t) => t.name === conv.input[1])!.rawData;
  const file = Buffer.from(bytes);
  const at = file.indexOf(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
  assert.ok(at >= 0 && file.indexOf(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), at + 1) < 0);
  for (let i = at; i < at + raw.byteLength; i += 4) file.writeFloatLE(file.readFloatLE(i) + 0.5, i);
  return { bytes: new Uint8Array(file), opCounts };
};

describe('tlearn export --format onnx: the proof of parity', () => {
  let dir: string, run: string, model: string;
  before(async () => {
    dir = tempDir('tlearn-onnx-parity-');
    run = await fakeRun(dir);
    model = path.join(run, 'best_model_final.safetensors');
  });
  after(removeTempDirs);

  it('checks a run checkpoint on its own test split and writes model.onnx.json with the figures', async () => {
    const r = await cliIn(dir)(['export', model, '--out', 'out/model.onnx']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /parity on 3 images \(the test split of .*manifest\.csv\): max \|difference\| [0-9.e-]+, mean .* 0 decisions differ/);
    const onnxFile = path.join(dir, 'out/model.onnx');
    const report = readJson(`${onnxFile}.json`);
    assert.equal(report.sha256, sha256(onnxFile));
    assert.equal(report.source.sha256, sha256(model));
    assert.equal(report.input, 'float32-nchw');
    assert.equal(report.opCounts.Conv, 20);
    assert.equal(report.check.checked, true);
    assert.equal(report.check.images, 3);
    assert.equal(report.check.decisionsDiffer, 0);
    assert.equal(report.check.tolerance, 1e-4);
    assert.ok(report.check.maxAbsDiff <= 1e-5 && report.check.meanAbsDiff <= report.check.maxAbsDiff, JSON.stringify(report.check));
    assert.match(report.check.onnxruntime, /^\d+\.\d+\.\d+$/);
    // The graph itself names its source.
    assert.equal(metadataOf(decodeModel(fs.readFileSync(onnxFile)))[ONNX_PROPS.sourceSha256], sha256(model));
    // ONNX's own checker accepts the file (Debian's python3-onnx 1.12).
    assert.equal(runPython(`
import onnx
onnx.checker.check_model(onnx.load(inp), full_check=True)
out(True)
`, onnxFile), true);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'out')).sort(), ['model.onnx', 'model.onnx.json']);
  });

  it('--check FILES with --input uint8: the raw-pixel graph is checked on the given files and folders', async () => {
    const extra = await writePng(path.join(dir, 'photos', 'a.png'), 50, 50, 9);
    const r = await cliIn(dir)(['export', model, '--out', 'u8.onnx', '--input', 'uint8', '--check', extra, path.join(run, 'img')]);
    assert.equal(r.code, 0, r.err);
    const report = readJson(path.join(dir, 'u8.onnx.json'));
    assert.equal(report.input, 'uint8-nhwc');
    assert.equal(report.check.images, 8);
    assert.match(report.check.source, /--check/);
    assert.ok(report.check.maxAbsDiff <= 1e-5, JSON.stringify(report.check));
  });

  it('--no-check writes the graph with a warning, and model.onnx.json says it is unchecked', async () => {
    const r = await cliIn(dir)(['export', model, '--out', 'unchecked.onnx', '--no-check']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /warning: --no-check/);
    const report = readJson(path.join(dir, 'unchecked.onnx.json'));
    assert.deepEqual(report.check, { checked: false, reason: 'skipped with --no-check' });
    assert.equal(report.sha256, sha256(path.join(dir, 'unchecked.onnx')));
  });

  it('a model without a run folder is checked on random pixels, and says so', async () => {
    const alone = path.join(dir, 'alone');
    fs.mkdirSync(alone);
    fs.copyFileSync(model, path.join(alone, 'm.safetensors'));
    const r = await cliIn(alone)(['export', 'm.safetensors', '--out', 'm.onnx']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /no run folder .*random pixels.*--check FILES/);
    assert.equal(readJson(path.join(alone, 'm.onnx.json')).check.source, 'seeded random pixels');
  });

  it('a perturbed graph fails the check: exit status false and nothing under the name or its .json', async () => {
    const out = path.join(dir, 'bad', 'model.onnx');
    fs.mkdirSync(path.dirname(out));
    const loaded = loadModelFile(model);
    try {
      const check = fileCheckImages(fs.readdirSync(path.join(run, 'img')).map((f) => path.join(run, 'img', f)));
      const result = await exportOnnxFile({ modelFile: model, ...loaded, out, input: 'float32-nchw', check, exporter: perturbed });
      assert.equal(result.written, false);
      const c = result.report.check;
      assert.ok(c.checked && !c.passed && c.maxAbsDiff > 1e-4, JSON.stringify(c));
      // The unperturbed exporter passes on the same images: the failure is the perturbation's.
      const good = await exportOnnxFile({ modelFile: model, ...loaded, out, input: 'float32-nchw', check });
      assert.equal(good.written, true);
      fs.rmSync(out); fs.rmSync(`${out}.json`);
    } finally {
      loaded.model.dispose();
    }
    assert.deepEqual(fs.readdirSync(path.dirname(out)), []);
  });

  it('the command exits 1 on a perturbed graph, prints the figures, and leaves nothing behind', async () => {
    const outDir = path.join(dir, 'bad-cli');
    fs.mkdirSync(outDir);
    let out = '', err = '';
    const io = { out: (t: string) => { out += t; }, err: (t: string) => { err += t; }, cwd: outDir };
    const code = await runOnnxExport({ model, out: 'model.onnx' }, io, perturbed);
    assert.equal(code, 1, err);
    assert.equal(out, '');
    assert.match(err, /parity on 3 images .*max \|difference\| [0-9.e+-]+.*\nerror: the exported graph disagrees with the model.*nothing was written under .*model\.onnx or .*model\.onnx\.json/);
    assert.deepEqual(fs.readdirSync(outDir), []);
  });

  it('with --force, a failed check leaves an earlier export under the name as it was, and says so', async () => {
    const outDir = path.join(dir, 'bad-force');
    fs.mkdirSync(outDir);
    fs.writeFileSync(path.join(outDir, 'model.onnx'), 'earlier graph');
    let err = '';
    const io = { out: () => {}, err: (t: string) => { err += t; }, cwd: outDir };
    const code = await runOnnxExport({ model, out: 'model.onnx', force: true }, io, perturbed);
    assert.equal(code, 1, err);
    assert.match(err, /nothing was written under .*\(the earlier .*model\.onnx is left as it was\)/);
    assert.deepEqual(fs.readdirSync(outDir), ['model.onnx']);
    assert.equal(fs.readFileSync(path.join(outDir, 'model.onnx'), 'utf8'), 'earlier graph');
  });
});

describe('tlearn export --format web: the page\'s graph gets the same proof', () => {
  let dir: string, run: string, model: string;
  before(async () => {
    dir = tempDir('tlearn-web-parity-');
    run = await fakeRun(dir);
    model = path.join(run, 'best_model_final.safetensors');
  });
  after(removeTempDirs);

  it('checks the uint8 graph on the run\'s test split and writes the figures as DIR/model.onnx.json', async () => {
    const r = await cliIn(dir)(['export', model, '--format', 'web', '--out', 'page']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /parity on 3 images \(the test split of .*manifest\.csv\):.* 0 decisions differ/);
    const report = readJson(path.join(dir, 'page/model.onnx.json'));
    assert.equal(report.sha256, sha256(path.join(dir, 'page/model.onnx')));
    assert.equal(report.source.sha256, sha256(model));
    assert.equal(report.input, 'uint8-nhwc');
    assert.equal(report.check.checked, true);
    assert.equal(report.check.images, 3);
    assert.ok(report.check.passed && report.check.maxAbsDiff <= 1e-4);
  });

  it('a spoilt graph fails the check: exit 1 and no folder under --out', async () => {
    const { runExportWeb } = await import('../src/cli/commands/export-web.js');
    const lines: string[] = [];
    const io = { cwd: dir, out: (s: string) => { lines.push(s); }, err: (s: string) => { lines.push(s); } };
    const code = await runExportWeb({ model, out: 'spoilt' }, io, perturbed);
    assert.equal(code, 1);
    assert.match(lines.join(''), /the page's graph disagrees with the model.*nothing was written/);
    assert.equal(fs.existsSync(path.join(dir, 'spoilt')), false);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('spoilt') || f.endsWith('.tmp')), []);
  });

  it('--no-check warns and the record says unchecked; --input is refused for the page', async () => {
    const r = await cliIn(dir)(['export', model, '--format', 'web', '--out', 'page2', '--no-check']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /--no-check/);
    assert.deepEqual(readJson(path.join(dir, 'page2/model.onnx.json')).check, { checked: false, reason: 'skipped with --no-check' });
    const bad = await cliIn(dir)(['export', model, '--format', 'web', '--out', 'page3', '--input', 'float']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--input is for --format onnx/);
    assert.equal(fs.existsSync(path.join(dir, 'page3')), false);
  });

  it('--tta flip and dihedral: the page\'s three graphs in onnxruntime-node give predict --tta\'s probabilities within 1e-4; other formats refuse it', async () => {
    const files = await variedImages(fs.mkdtempSync(path.join(dir, 'images-')));
    const ort = await onnxRuntime();
    type T = InstanceType<typeof ort.Tensor>;
    const predicted = async (extra: string[]) => {
      const p = await cliIn(dir)(['predict', model, ...files, '--json', ...extra]);
      assert.equal(p.code, 0, p.err);
      return new Map<string, number>(JSON.parse(p.out).map((e: { path: string; probability: number }) => [path.basename(e.path), e.probability]));
    };
    const plain = await predicted([]);
    for (const mode of TTA_MODES) {
      const r = await cliIn(dir)(['export', model, '--format', 'web', '--out', `page-${mode}`, '--tta', mode, '--check', ...files]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`test-time augmentation ${mode}: the mean of the probabilities of each image`));
      const page = path.join(dir, `page-${mode}`);
      const { tta, metadata } = readJson(path.join(page, 'model.json'));
      assert.equal(tta, mode);
      const open = (f: string) => ort.InferenceSession.create(fs.readFileSync(path.join(page, f)));
      const [net, views, mean] = await Promise.all([open('model.onnx'), open(TTA_FILES.views), open(TTA_FILES.mean)]);
      const run = async (s: typeof net, x: T): Promise<T> => (await s.run({ [s.inputNames[0]!]: x }))[s.outputNames[0]!] as T;
      const withTta = await predicted(['--tta', mode]);
      let moved = 0;
      for (const file of files) {
        const size = metadata.imageSize as number;
        const x = new ort.Tensor('uint8', (await decodeResized(file, size, metadata.resize)).data, [1, size, size, 3]);
        // The page runs the model on the views as one batch (one image: 2 or 8 rows).
        const got = (await run(mean, await run(net, await run(views, x)))).data[0] as number;
        const want = withTta.get(path.basename(file))!;
        assert.ok(Math.abs(got - want) <= 1e-4, `${mode} ${path.basename(file)}: page graphs ${got} vs predict --tta ${mode} ${want}`);
        moved = Math.max(moved, Math.abs(want - plain.get(path.basename(file))!));
      }
      // Else a page that skipped the views would pass too.
      assert.ok(moved > 1e-3, `${mode}: the views move no probability (at most ${moved})`);
      await Promise.all([net, views, mean].map((s) => s.release()));
    }

    const bad = await cliIn(dir)(['export', model, '--out', 'm.onnx', '--tta', 'flip']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--tta only applies to --format web .*predict, evaluate and serve/);
    assert.equal(fs.existsSync(path.join(dir, 'm.onnx')), false);
  });
});
