// The trainer's files: history.csv/jsonl, the atomic RUN/last unit and its recovery after a kill at any
// point of the swap, the run-directory checks, the resume configuration check and the progress output.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { historyCsv, historyJsonl, parseHistoryJsonl, writeHistory } from '../src/train/history.js';
import { readLast, recoverLast, saveLast, stateFromJson, stateToJson } from '../src/train/resume/last.js';
import { LastWriter } from '../src/train/resume/last-writer.js';
import { inspectRunDir, prepareRunDir, runPaths, tempFilesIn, RunDirError } from '../src/train/run-dir.js';
import { checkResumeConfig, diffKeys } from '../src/train/resume/config.js';
import { Progress } from '../src/train/progress.js';
import { configToJSON, resolveConfig } from '../src/train/config/index.js';
import { HISTORY_COLUMNS, type EpochRecord, type TrainEvent } from '../src/train/types.js';
import { runPython } from './helpers/python.js';
import { removeTempDirs, tempDir } from './train-fixtures.js';

after(removeTempDirs);

const rows: EpochRecord[] = [
  { phase: 'phase1', epoch: 1, lr: 1e-3, train_loss: 0.693147, train_accuracy: 0.5, val_loss: 0.7, val_accuracy: 0.5, val_auc: NaN, seconds: 1.25, images_per_second: 40 },
  { phase: 'phase2', epoch: 1, lr: 1e-7, train_loss: 0.1 + 0.2, train_accuracy: 2 / 3, val_loss: 0.25, val_accuracy: 0.75, val_auc: 0.875, seconds: 2, images_per_second: 12.5 },
];

test('history.csv: fixed columns, numbers Python reads back exactly; history.jsonl: NaN as null, parsed back', () => {
  const csv = historyCsv(rows);
  assert.equal(csv.split('\n')[0], 'phase,epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,val_auc,seconds,images_per_second');
  const py = runPython<(string | number | null)[][]>(`
import csv, io
r = list(csv.DictReader(io.StringIO(inp)))
out([[row['phase']] + [None if math.isnan(float(row[k])) else float(row[k]) for k in list(row)[1:]] for row in r])
`, csv);
  assert.deepEqual(py, rows.map((r) => HISTORY_COLUMNS.map((c) => (typeof r[c] === 'number' && Number.isNaN(r[c]) ? null : r[c]))));
  const jsonl = historyJsonl(rows);
  assert.match(jsonl.split('\n')[0]!, /"val_auc":null/);
  const back = parseHistoryJsonl(jsonl);
  assert.equal(back.length, 2);
  assert.ok(Number.isNaN(back[0]!.val_auc));
  assert.deepEqual(back[1], rows[1]);
  assert.throws(() => parseHistoryJsonl('{"phase":"a"}\n', 'h.jsonl'), /h\.jsonl:1: column 'epoch'/);
  const dir = tempDir();
  writeHistory(dir, rows);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['history.csv', 'history.jsonl']);
});

test('state JSON keeps NaN and infinities', () => {
  const v = stateFromJson(stateToJson({ a: NaN, b: [Infinity, -Infinity, 1.5], c: { $num: 3 } }), 'x') as Record<string, unknown>;
  assert.ok(Number.isNaN(v.a));
  assert.deepEqual(v.b, [Infinity, -Infinity, 1.5]);
  assert.deepEqual(v.c, { $num: 3 });
  assert.throws(() => stateFromJson('{', 'RUN/last/state.json'), /RUN\/last\/state\.json: the resume state is not valid JSON/);
});

const files = (tag: string) => new Map([['model.bin', [Buffer.from(`model ${tag}`)]]]);

test('LastWriter saves RUN/last on a worker thread, in order, moving large buffers; a failed save is reported by name', async () => {
  const paths = runPaths(tempDir());
  const writer = new LastWriter();
  const big = new Uint8Array(1 << 20).fill(7);
  await writer.save(paths, new Map([['model.bin', [big]]]), { epoch: 1, nan: NaN });
  assert.equal(big.byteLength, 0, 'a large chunk is moved to the worker, not copied');
  const small = Buffer.from('model 2');
  await writer.save(paths, new Map([['model.bin', [small]], ['base.bin', [Buffer.from('base')]]]), { epoch: 2 });
  assert.equal(small.toString(), 'model 2', 'small chunks (maybe pool slices) are copied');
  await writer.save(paths, new Map([['model.bin', [Buffer.from('model 3')]], ['base.bin', { keep: true }]]), { epoch: 3 });
  await writer.flush();
  const last = readLast(paths);
  assert.deepEqual(last.state, { epoch: 3 });
  assert.equal(last.file('model.bin').toString(), 'model 3');
  assert.equal(last.file('base.bin').toString(), 'base', 'kept from the save before');
  await writer.close();
  // RUN is a file, so RUN/.last.new cannot be made: the next flush or save names the problem.
  const blocked = path.join(tempDir(), 'not-a-dir');
  fs.writeFileSync(blocked, 'x');
  const bad = new LastWriter();
  await bad.save(runPaths(blocked), files('x'), {});
  await assert.rejects(bad.flush(), /could not save the resume state .*not-a-dir.last: /);
  await assert.rejects(bad.save(paths, files('y'), { epoch: 4 }), /could not save the resume state/);
  await bad.close().catch(() => undefined);
  assert.deepEqual(readLast(paths).state, { epoch: 3 }, 'nothing is written after a failed save');
});

test('RUN/last is replaced as a unit; a kill at any point of the swap leaves a loadable state', () => {
  const paths = runPaths(tempDir());
  saveLast(paths, files('1'), { epoch: 1 });
  saveLast(paths, files('2'), { epoch: 2 });
  assert.deepEqual(readLast(paths).state, { epoch: 2 });
  assert.equal(readLast(paths).file('model.bin').toString(), 'model 2');
  assert.deepEqual(fs.readdirSync(paths.root), ['last']);
  assert.deepEqual(tempFilesIn(paths.last), []);

  // Killed after `last -> .last.old`, before `.last.new -> last`: the new state is complete, so it wins.
  fs.cpSync(paths.last, paths.lastNew, { recursive: true });
  fs.writeFileSync(path.join(paths.lastNew, 'state.json'), stateToJson({ epoch: 3 }));
  fs.renameSync(paths.last, paths.lastOld);
  assert.deepEqual(readLast(paths).state, { epoch: 3 });
  assert.deepEqual(fs.readdirSync(paths.root), ['last']);

  // Killed while writing .last.new (no state.json yet): RUN/last stays, the partial folder goes.
  fs.mkdirSync(paths.lastNew);
  fs.writeFileSync(path.join(paths.lastNew, 'model.bin'), 'partial');
  assert.deepEqual(readLast(paths).state, { epoch: 3 });
  assert.equal(fs.existsSync(paths.lastNew), false);

  // Only the old state is left (new one incomplete): it is put back.
  fs.renameSync(paths.last, paths.lastOld);
  fs.mkdirSync(paths.lastNew);
  recoverLast(paths);
  assert.deepEqual(readLast(paths).state, { epoch: 3 });
  assert.deepEqual(fs.readdirSync(paths.root), ['last']);

  assert.throws(() => readLast(paths).file('missing.bin'), /cannot resume: .*missing\.bin cannot be read/);
  fs.rmSync(path.join(paths.last, 'state.json'));
  assert.throws(() => readLast(paths), /no complete state/);
});

test('a save that fails (a full disk) leaves RUN/last as it was and no .last.new; a failed first save leaves nothing', () => {
  const full = (): Iterable<Uint8Array> => ({
    *[Symbol.iterator]() { yield Buffer.from('part'); throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); },
  });
  const first = runPaths(tempDir());
  assert.throws(() => saveLast(first, new Map([['model.bin', full()]]), { epoch: 1 }), /ENOSPC/);
  assert.deepEqual(fs.readdirSync(first.root), [], 'no half-written .last.new is left');
  const paths = runPaths(tempDir());
  saveLast(paths, files('1'), { epoch: 1 });
  assert.throws(() => saveLast(paths, new Map([['model.bin', full()]]), { epoch: 2 }), /ENOSPC/);
  assert.deepEqual(fs.readdirSync(paths.root), ['last']);
  assert.deepEqual(readLast(paths).state, { epoch: 1 });
  assert.equal(readLast(paths).file('model.bin').toString(), 'model 1');
});

test('run directory: a new run refuses an earlier run, overwrite removes only run files, resume needs a state', () => {
  const paths = runPaths(tempDir());
  prepareRunDir(paths, { resume: false, overwrite: false }); // empty folder: fine
  fs.writeFileSync(path.join(paths.root, 'notes.txt'), 'mine');
  // Files that are not tlearn's are someone else's: refused (a config.json among them would be replaced), kept.
  assert.throws(() => prepareRunDir(paths, { resume: false, overwrite: false }), (e: Error) =>
    e instanceof RunDirError && /exists and is not empty \(notes\.txt\); choose another --out/.test(e.message));
  assert.deepEqual(fs.readdirSync(paths.root), ['notes.txt']);
  fs.writeFileSync(paths.historyCsv, 'x');
  fs.writeFileSync(paths.best('phase1', 'safetensors'), 'x');
  assert.throws(() => prepareRunDir(paths, { resume: false, overwrite: false }), (e: Error) =>
    e instanceof RunDirError && /already holds a run \(best_model_phase1\.safetensors\) that cannot be continued: it has no resume state/.test(e.message));
  prepareRunDir(paths, { resume: false, overwrite: true });
  assert.deepEqual(fs.readdirSync(paths.root), ['notes.txt']);
  assert.throws(() => prepareRunDir(paths, { resume: true, overwrite: false }), /nothing to resume: .*last does not exist/);
  fs.writeFileSync(paths.config, '{}');
  assert.throws(() => prepareRunDir(paths, { resume: true, overwrite: false }), /holds no completed epoch; start it again with the same command \(without --resume\)/);
  const file = path.join(paths.root, 'notes.txt');
  assert.throws(() => prepareRunDir(runPaths(file), { resume: false, overwrite: false }), /cannot use the run folder .*notes\.txt: it is a file, not a folder/);
});

test('run directory: what a start that failed before training left is reused; an earlier run and foreign files are told apart', () => {
  const paths = runPaths(tempDir());
  assert.equal(inspectRunDir(path.join(paths.root, 'nope')).kind, 'missing');
  assert.equal(inspectRunDir(paths.root).kind, 'empty');
  fs.writeFileSync(path.join(paths.root, '.audit.json.99999994.ab12cd34.tmp'), 'partial');
  assert.equal(inspectRunDir(paths.root).kind, 'empty');
  for (const f of [paths.manifest, paths.audit, paths.config]) fs.writeFileSync(f, 'x');
  fs.writeFileSync(paths.historyCsv, 'phase,epoch\n');
  fs.writeFileSync(paths.historyJsonl, '');
  assert.equal(inspectRunDir(paths.root).kind, 'pretraining');
  prepareRunDir(paths, { resume: false, overwrite: false });
  assert.deepEqual(fs.readdirSync(paths.root).sort(), ['audit.json', 'manifest.csv']);
  // History rows without saved weights (no checkpoint, no resume state: the first save failed) are a failed start's too.
  fs.writeFileSync(paths.historyCsv, 'phase,epoch\nphase1,1\n');
  assert.equal(inspectRunDir(paths.root).kind, 'pretraining');
  fs.writeFileSync(paths.best('phase1', 'safetensors'), 'x');
  assert.deepEqual(inspectRunDir(paths.root), { kind: 'run', entries: ['best_model_phase1.safetensors', 'history.csv'], resumable: false });
  fs.rmSync(paths.best('phase1', 'safetensors'));
  fs.rmSync(paths.historyCsv);
  fs.writeFileSync(path.join(paths.root, 'thesis.tex'), 'mine');
  assert.deepEqual(inspectRunDir(paths.root), { kind: 'other', entries: ['thesis.tex'] });
});

test('a first resume-state save killed half-way (.last.new without state.json, no last/) does not block a restart; a complete one resumes', () => {
  const paths = runPaths(tempDir());
  for (const f of [paths.manifest, paths.audit, paths.config]) fs.writeFileSync(f, 'x');
  fs.writeFileSync(paths.historyCsv, 'phase,epoch\n');
  fs.mkdirSync(paths.lastNew);
  fs.writeFileSync(path.join(paths.lastNew, 'base.safetensors'), 'partial');
  assert.equal(inspectRunDir(paths.root).kind, 'pretraining');
  assert.throws(() => prepareRunDir(paths, { resume: true, overwrite: false }), /holds no completed epoch/);
  prepareRunDir(paths, { resume: false, overwrite: false });
  assert.equal(fs.existsSync(paths.lastNew), false, 'the partial state is removed by the new start');
  // Killed after state.json was written into .last.new, before the rename: that state is complete and resumes.
  fs.writeFileSync(paths.config, 'x');
  saveLast(paths, files('1'), { epoch: 1 });
  fs.renameSync(paths.last, paths.lastNew);
  assert.equal(inspectRunDir(paths.root).kind, 'run');
  prepareRunDir(paths, { resume: true, overwrite: false });
  assert.deepEqual(readLast(paths).state, { epoch: 1 });
});

test('resume refuses a different configuration, naming the keys; threads and epochs may change', () => {
  const data = tempDir();
  const base = resolveConfig({ overrides: { data } });
  const paths = runPaths(tempDir());
  fs.writeFileSync(paths.config, configToJSON(base));
  checkResumeConfig(paths, resolveConfig({ overrides: { data, threads: 3, epochs2: 20 } }));
  assert.throws(() => checkResumeConfig(paths, resolveConfig({ overrides: { data, lr1: 0.01, batchSize: 16 } })),
    (e: Error) => e instanceof RunDirError && /config\.batchSize, config\.phases\[0\]\.lr differ from RUN\/config\.json/.test(e.message));
  assert.throws(() => checkResumeConfig(paths, resolveConfig({ overrides: { data, batchSize: 16 } })),
    (e: Error) => e instanceof RunDirError && /config\.batchSize differs from RUN\/config\.json/.test(e.message));
  assert.deepEqual(diffKeys({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3] }, d: 0 }), ['config.b.c', 'config.d']);
});

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false, readonly columns = 80) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const epochEvent: TrainEvent = { type: 'epoch', ...rows[0]! };
const batchEvent: TrainEvent = { type: 'batch', phase: 'phase1', epoch: 1, batch: 2, batches: 4, loss: 0.5, images: 16, seconds: 2, lr: 1e-3 };

test('progress: JSON lines (NaN as null, no batch lines), plain lines, and a redrawn bar on a terminal', () => {
  const j = new Capture();
  const pj = new Progress(j, { json: true });
  pj.handle(batchEvent);
  pj.handle(epochEvent);
  pj.message('hello');
  const lines = j.text.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.type), ['epoch', 'info']);
  assert.equal(lines[0].val_auc, null);
  assert.equal(lines[0].train_loss, 0.693147);

  const p = new Capture(false);
  const pp = new Progress(p);
  assert.equal(pp.mode, 'plain');
  pp.handle(batchEvent);
  pp.handle(epochEvent);
  assert.equal(p.text, 'phase1 epoch 1: loss 0.6931 acc 0.5000 | val_loss 0.7000 val_acc 0.5000 val_auc NaN | lr 1e-3 | 1.3s 40.0 img/s\n');
  // A phase's new best, and the final model: chosen among the phases' best (possibly an earlier phase's), not a new best.
  p.text = '';
  pp.handle({ type: 'checkpoint', phase: 'phase2', epoch: 2, file: '/r/best_model_phase2.safetensors', monitor: 'val_auc', value: 0.9 });
  pp.handle({ type: 'checkpoint', phase: 'final', epoch: 1, file: '/r/best_model_final.safetensors', monitor: 'val_auc', value: 0.95 });
  assert.equal(p.text, '  new best val_auc 0.9000 -> /r/best_model_phase2.safetensors\n' +
    '  final model (the best val_auc of all phases, 0.9500) -> /r/best_model_final.safetensors\n');

  const t = new Capture(true, 80);
  const pt = new Progress(t);
  assert.equal(pt.mode, 'tty');
  pt.handle(batchEvent);
  assert.match(t.text, /^\r\x1b\[2Kphase1 1 \[#+\.+\] 2\/4 loss 0\.5000 8\.0 img\/s ETA 00:02$/);
  pt.handle(epochEvent);
  assert.match(t.text, /\r\x1b\[2Kphase1 epoch 1: loss/);
  assert.equal(new Progress(new Capture(true), { quiet: true }).mode, 'quiet');
});

test('a run killed while checking its data (only RUN/.image-cache and the start files left) does not block a new start', () => {
  const paths = runPaths(tempDir());
  fs.mkdirSync(paths.imageCache);
  fs.writeFileSync(path.join(paths.imageCache, '0123abcd.rgb'), 'entry');
  assert.equal(inspectRunDir(paths.root).kind, 'pretraining');
  fs.writeFileSync(paths.manifest, 'x');
  assert.equal(inspectRunDir(paths.root).kind, 'pretraining');
  prepareRunDir(paths, { resume: false, overwrite: false });
  assert.deepEqual(fs.readdirSync(paths.root), ['manifest.csv']);
});
