// Writing an evaluation into a folder that holds an earlier one never leaves the two mixed (QA5 F4), and what a
// killed write left there is removed (F3). Failures are simulated without a full disk, in ways that work as
// root: an injected writer that throws, or a folder where a file should be renamed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeEvaluation, type EvaluationInput } from '../src/eval/index.js';
import { EVALUATION_FILES, writeEvaluationFolder } from '../src/eval/eval-folder.js';
import type { ModelMetadata } from '../src/models/index.js';
import { tempDir } from './helpers/temp.js';

const CLASSES: [string, string] = ['cat', 'dog'];

function metadata(arch: ModelMetadata['arch']): ModelMetadata {
  return {
    kind: 'tlearn.binary-classifier', formatVersion: 1, arch, dropout: 0.5, task: 'binary', thresholds: null, classes: CLASSES, positiveClass: 'dog', imageSize: 32,
    resize: 'squash', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], threshold: 0.5, phase: null, epoch: null,
    metrics: {}, weights: null, toolVersion: 'unknown', createdAt: null, extra: {},
  } as ModelMetadata;
}

/** An evaluation of `probabilities` on images labelled `labels` (no image files: the gallery skips them). */
function input(out: string, arch: ModelMetadata['arch'], labels: (0 | 1)[], probabilities: number[], reportFile?: string): EvaluationInput {
  const items = labels.map((label, i) => ({ path: `/nowhere/${CLASSES[label]}/${i}.png`, relPath: `${CLASSES[label]}/${i}.png`, label }));
  return {
    out, items, root: '/nowhere', probabilities: Float64Array.from(probabilities), skipped: [], metadata: metadata(arch), threshold: 0.5,
    context: reportFile ? { reportFile } : undefined,
  };
}

const A = (out: string, reportFile?: string) =>
  input(out, 'resnet18', [0, 0, 0, 1, 1, 1], [0.1, 0.3, 0.6, 0.4, 0.8, 0.9], reportFile);
const B = (out: string) => input(out, 'resnet34', [0, 1, 0, 1, 0, 1, 1], [0.2, 0.7, 0.05, 0.95, 0.55, 0.35, 0.65]);
/** Of one class only: it has no precision-recall curve. */
const ONE_CLASS = (out: string) => input(out, 'resnet34', [1, 1, 1], [0.2, 0.7, 0.9]);

const md5 = (file: string) => crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex');

/** evaluate's own files (regular files of its names) in `dir`, with their checksums. */
function ownFiles(dir: string): Map<string, string> {
  return new Map(fs.readdirSync(dir).filter((n) => EVALUATION_FILES.includes(n) && fs.statSync(path.join(dir, n)).isFile()).sort()
    .map((n) => [n, md5(path.join(dir, n))]));
}

/** The id of a process that has ended (its temp files are leftovers of a killed write). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

test('a re-evaluation replaces every file of the earlier one; a one-class evaluation leaves no stale PR curve', async () => {
  const out = tempDir();
  await writeEvaluation(A(out));
  assert.ok(fs.existsSync(path.join(out, 'pr_curve.svg')));
  fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
  fs.mkdirSync(path.join(out, 'more'));
  await writeEvaluation(ONE_CLASS(out));
  const names = fs.readdirSync(out).sort();
  assert.ok(!names.includes('pr_curve.svg') && !names.includes('pr_curve.png'), `the earlier model's PR curve is left: ${names}`);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).n, 3);
  assert.match(fs.readFileSync(path.join(out, 'report.html'), 'utf8'), /resnet34/);
  // Files that are not evaluate's own stay, and nothing temporary is left.
  assert.deepEqual(names.filter((n) => !EVALUATION_FILES.includes(n)), ['more', 'notes.txt']);
});

test("a killed write's leftovers are removed when the folder is written again; other files stay", async () => {
  const out = tempDir();
  await writeEvaluation(A(out));
  const dead = deadPid();
  const stale = [`.metrics.json.${dead}.k3j4x.tmp`, `report.html.tmp-${dead}`, `roc_curve.svg.tmp-${dead}`];
  for (const n of stale) fs.writeFileSync(path.join(out, n), 'half');
  fs.mkdirSync(path.join(out, `.evaluation.${dead}.ab12cd.tmp`));
  fs.writeFileSync(path.join(out, `.evaluation.${dead}.ab12cd.tmp`, 'metrics.json'), '{');
  // Not leftovers of tlearn: another tool's temp file, a name evaluate does not write, a live writer's file.
  const kept = ['.notes.tmp', `notes.txt.tmp-${dead}`, `.metrics.json.${process.pid}.zz9.tmp`];
  for (const n of kept) fs.writeFileSync(path.join(out, n), 'keep');
  await writeEvaluation(B(out));
  const names = fs.readdirSync(out);
  assert.deepEqual(names.filter((n) => !EVALUATION_FILES.includes(n)).sort(), [...kept].sort());
  assert.equal(ownFiles(out).size, EVALUATION_FILES.filter((n) => !n.startsWith('training_curves')).length);
});

test('a failure while the new evaluation is written leaves the earlier one complete and says so', async () => {
  const out = tempDir();
  await writeEvaluation(A(out));
  const before = ownFiles(out);
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const err = await writeEvaluationFolder(out, async (dir) => {
    fs.writeFileSync(path.join(dir, 'metrics.json'), '{"n": 1}');
    fs.writeFileSync(path.join(dir, 'roc_curve.svg'), '<svg/>');
    throw Object.assign(new Error(`cannot write ${path.join(dir, 'roc_curve.png')}: ${full.message}`), { code: full.code });
  }).then(() => null, (e: unknown) => e as NodeJS.ErrnoException);
  assert.ok(err, 'the failure is reported');
  assert.equal(err.code, 'ENOSPC');
  assert.ok(err.message.startsWith(`cannot write ${path.join(out, 'roc_curve.png')}: ENOSPC`), err.message);
  assert.ok(err.message.includes(`the earlier evaluation in ${out} is unchanged`), err.message);
  assert.deepEqual(ownFiles(out), before);
  assert.deepEqual(fs.readdirSync(out).filter((n) => !EVALUATION_FILES.includes(n)), []);
});

test('a failure while the files are moved into place leaves no file of the earlier model and says the folder is incomplete', async () => {
  const out = tempDir();
  await writeEvaluation(A(out));
  const before = ownFiles(out);
  // Something in the way of one file (as root, a folder is what makes the rename fail).
  fs.rmSync(path.join(out, 'reliability.png'));
  fs.mkdirSync(path.join(out, 'reliability.png'));
  const err = await writeEvaluation(B(out)).then(() => null, (e: unknown) => e as Error);
  assert.ok(err, 'the failure is reported');
  assert.ok(err.message.includes(`the evaluation in ${out} is incomplete`), err.message);
  for (const [name, sum] of ownFiles(out)) assert.notEqual(sum, before.get(name), `${name} is still the earlier model's`);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).n, 7, 'metrics.json is moved first');
  // The folder in the way is not evaluate's: it stays; nothing temporary is left.
  assert.ok(fs.statSync(path.join(out, 'reliability.png')).isDirectory());
  assert.deepEqual(fs.readdirSync(out).filter((n) => !EVALUATION_FILES.includes(n)), []);
  // Written again once the obstacle is gone, the folder holds the new evaluation, whole.
  fs.rmdirSync(path.join(out, 'reliability.png'));
  await writeEvaluation(B(out));
  assert.match(fs.readFileSync(path.join(out, 'report.html'), 'utf8'), /resnet34/);
  assert.ok(fs.existsSync(path.join(out, 'reliability.png')));
});

test("the run's report.html copy: a failure names it and leaves no temporary file", async () => {
  const dir = tempDir();
  const out = path.join(dir, 'eval');
  const runReport = path.join(dir, 'report.html');
  fs.mkdirSync(runReport);
  const err = await writeEvaluation(A(out, runReport)).then(() => null, (e: unknown) => e as Error);
  assert.ok(err, 'the failure is reported');
  assert.ok(err.message.includes(`the evaluation in ${out} is complete, but ${runReport} could not be written`), err.message);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['eval', 'report.html']);
  fs.rmdirSync(runReport);
  await writeEvaluation(A(out, runReport));
  assert.equal(fs.readFileSync(runReport, 'utf8'), fs.readFileSync(path.join(out, 'report.html'), 'utf8'));
});
