// Output safety: `evaluate --out DIR` never writes into a training run's folder (or its own RUN/eval), and
// `export --out FILE` never replaces an existing file unless --force is given. Both refusals exit 2.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import * as torch from '../src/torch/index.js';
import { loadCheckpoint } from '../src/io/index.js';
import { cliIn } from './helpers/cli.js';
import { tinyModelFile } from './helpers/model-files.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('tlearn-cli-evout-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cli = cliIn(tmp);

/** A tiny tlearn model file and a DATA/test/{cat,dog} folder to evaluate it on. */
async function fixtures(): Promise<{ model: string; data: string }> {
  const data = path.join(tmp, 'data');
  for (const [cls, v] of [['cat', 40], ['dog', 200]] as const) {
    fs.mkdirSync(path.join(data, 'test', cls), { recursive: true });
    for (let i = 0; i < 2; i++) {
      await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: v + i, g: v, b: 255 - v } } }).png().toFile(path.join(data, 'test', cls, `${i}.png`));
    }
  }
  torch.manualSeed(1);
  return { model: tinyModelFile(tmp), data };
}

const { model, data } = await fixtures();

/** A folder with the given files (contents are markers, to check that nothing was replaced). */
function folder(name: string, files: string[]): string {
  const dir = path.join(tmp, name);
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), `marker ${f}`);
  }
  return dir;
}

test('evaluate refuses a training run folder as --out (exit 2, nothing written) and suggests RUN/eval-<name>', async () => {
  const runs = [
    folder('run-config', ['config.json', 'history.csv', 'report.html']),
    folder('run-jsonl', ['config.json', 'history.jsonl']),
    folder('run-last', ['last/state.json', 'report.html']),
    folder('run-best', ['best_model_final.safetensors', 'report.html']),
  ];
  for (const run of runs) {
    const before = fs.readdirSync(run).sort();
    const r = await cli(['evaluate', model, data, '--out', run]);
    assert.equal(r.code, 2, `${run}: ${r.err}`);
    assert.match(r.err, /is a training run folder/);
    assert.match(r.err, new RegExp(`--out ${path.join(run, 'eval-data').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.deepEqual(fs.readdirSync(run).sort(), before, 'nothing is added');
    if (fs.existsSync(path.join(run, 'report.html'))) assert.equal(fs.readFileSync(path.join(run, 'report.html'), 'utf8'), 'marker report.html');
  }
  // RUN/eval is the run's own test evaluation: also refused.
  const withEval = folder('run-eval', ['config.json', 'history.csv', 'eval/report.html']);
  const r = await cli(['evaluate', model, data, '--out', path.join(withEval, 'eval')]);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /the test evaluation of the training run/);
  assert.equal(fs.readFileSync(path.join(withEval, 'eval', 'report.html'), 'utf8'), 'marker eval/report.html');

  // The suggested folder inside the run works, and an earlier evaluation folder may be re-written.
  const ok = path.join(runs[0]!, 'eval-data');
  for (let i = 0; i < 2; i++) {
    const e = await cli(['evaluate', model, data, '--out', ok]);
    assert.equal(e.code, 0, e.err);
    assert.ok(fs.existsSync(path.join(ok, 'metrics.json')));
  }
  assert.equal(fs.readFileSync(path.join(runs[0]!, 'report.html'), 'utf8'), 'marker report.html');
});

test('evaluate --help says that a run folder is refused', async () => {
  const h = await cli(['evaluate', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /training\s+run\s+folder/);
});

test('export refuses to overwrite an existing file unless --force', async () => {
  const target = path.join(tmp, 'other-run', 'best_model_phase1.pth');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, 'precious');
  const r = await cli(['export', model, '--format', 'pth', '--out', target]);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /already exists.*--force/);
  assert.equal(fs.readFileSync(target, 'utf8'), 'precious');

  const f = await cli(['export', model, '--format', 'pth', '--out', target, '--force']);
  assert.equal(f.code, 0, f.err);
  assert.equal(loadCheckpoint(target).tensors.size, loadCheckpoint(model).tensors.size);
  // A new file needs no --force.
  const fresh = await cli(['export', model, '--format', 'pth', '--out', path.join(tmp, 'new.pth')]);
  assert.equal(fresh.code, 0, fresh.err);
  assert.match((await cli(['export', '--help'])).out, /--force/);
});

test('evaluate refuses an --out equal to or inside a class or split folder of the data (exit 2, nothing written)', async () => {
  const listing = () => ['test', 'test/cat', 'test/dog'].map((d) => fs.readdirSync(path.join(data, d)).sort().join(','));
  const before = listing();
  for (const out of ['test/cat', 'test', 'test/dog/sub', 'test/new']) {
    const r = await cli(['evaluate', model, data, '--out', path.join(data, out)]);
    assert.equal(r.code, 2, `${out}: ${r.err}`);
    assert.match(r.err, /inside the data|folder of the data/, out);
    assert.match(r.err, /class|split/, out);
  }
  assert.deepEqual(listing(), before, 'nothing is written into the data');
  assert.ok(!fs.existsSync(path.join(data, 'test', 'new')));
});

test('evaluate names the folders of the data it skipped as tlearn output', async () => {
  // A copy of the data whose cat folder an earlier evaluation was written into: it is skipped, and said so.
  const copy = path.join(tmp, 'data-polluted');
  fs.cpSync(data, copy, { recursive: true });
  fs.writeFileSync(path.join(copy, 'test', 'cat', 'metrics.json'), '{}');
  fs.writeFileSync(path.join(copy, 'test', 'cat', 'predictions.csv'), 'path,label\n');
  const r = await cli(['evaluate', model, copy, '--out', path.join(tmp, 'ev-polluted')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /skipped .*tlearn output folder.*test\/cat\//);
});

test('an interrupted run folder (no report.html yet) is refused as a run folder, not for a report it lacks', async () => {
  const run = folder('run-interrupted', ['config.json', 'history.csv', 'last/state.json', 'best_model_phase1.safetensors']);
  const r = await cli(['evaluate', model, data, '--out', run]);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /is a training run folder/);
  assert.doesNotMatch(r.err, /replace its report\.html/);
  assert.match(r.err, /run's own files/);
});

test('evaluate of one image says "1 image"', async () => {
  const one = path.join(tmp, 'one');
  fs.mkdirSync(path.join(one, 'test', 'cat'), { recursive: true });
  fs.copyFileSync(path.join(data, 'test', 'cat', '0.png'), path.join(one, 'test', 'cat', '0.png'));
  const r = await cli(['evaluate', model, one, '--out', path.join(tmp, 'ev-one')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /predicting 1 image of/);
});

test('the library evaluate() refuses the same --out folders as the CLI: a run folder, RUN/eval, a class folder of the data', async () => {
  const { evaluate } = await import('../src/eval/index.js');
  const run = folder('lib-run', ['config.json', 'history.csv', 'report.html', 'eval/report.html']);
  const before = fs.readdirSync(run).sort();
  const log = () => undefined;
  const base = { model, data, split: 'test' as const, threshold: undefined, log };
  await assert.rejects(evaluate({ ...base, out: run }), /is a training run folder/);
  await assert.rejects(evaluate({ ...base, out: path.join(run, 'eval') }), /the test evaluation of the training run/);
  await assert.rejects(evaluate({ ...base, out: path.join(data, 'test', 'cat') }), /class or split folder of the data/);
  // Relative paths are taken from the working directory, as everywhere in the library.
  await assert.rejects(evaluate({ ...base, out: path.relative(process.cwd(), run) }), /is a training run folder/);
  assert.deepEqual(fs.readdirSync(run).sort(), before, 'nothing is added');
  assert.equal(fs.readFileSync(path.join(run, 'report.html'), 'utf8'), 'marker report.html');
  assert.equal(fs.readFileSync(path.join(run, 'eval', 'report.html'), 'utf8'), 'marker eval/report.html');
});

test('evaluate names the files of DATA it ignores, in the words of train\'s summary (QA 7a F3)', async () => {
  const withJunk = path.join(tmp, 'data-junk');
  fs.cpSync(data, withJunk, { recursive: true });
  fs.writeFileSync(path.join(withJunk, 'test', 'cat', 'notes.txt'), 'not an image');
  fs.writeFileSync(path.join(withJunk, 'test', 'dog', '.hidden.png'), 'hidden');
  fs.writeFileSync(path.join(withJunk, 'test', 'dog', 'scan.bmp'), Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]));
  const r = await cli(['evaluate', model, withJunk, '--out', path.join(tmp, 'eval-junk')]);
  assert.equal(r.code, 0, r.err);
  const lines = `${r.out}\n${r.err}`.split('\n');
  const at = lines.findIndex((l) => l.startsWith('Ignored:'));
  assert.equal(lines[at], 'Ignored: 1 hidden, 2 non-image, 0 outside class folders (e.g. test/cat/notes.txt, test/dog/.hidden.png, test/dog/scan.bmp)');
  // The BMP among them is named, as train's summary names it.
  assert.match(lines[at + 1]!, /^ {2}1 \.bmp file ignored: tlearn cannot read BMP\/PNM images .*convert it to PNG$/);
  // Nothing ignored: no line.
  const clean = await cli(['evaluate', model, data, '--out', path.join(tmp, 'eval-clean')]);
  assert.equal(clean.code, 0, clean.err);
  assert.doesNotMatch(`${clean.out}\n${clean.err}`, /Ignored:/);
});
