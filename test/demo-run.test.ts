// The demo end to end, as CI runs it: the embedded dataset through both phases (one short epoch each at a
// small image size), the test evaluation and the report. A broken demo fails here. The binary run keeps the
// demo's default backbone (resnet50, as the README's demo runs); the four-class run, which checks the data and
// the per-class evaluation, trains a resnet18 (the backbone has nothing to do with what it checks).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './helpers/temp.js';

const root = process.cwd();

test('tlearn demo trains, evaluates and writes the report', { timeout: 600_000 }, () => {
  const dir = tempDir('tlearn-demo-');
  const out = path.join(dir, 'run');
  try {
    const res = spawnSync(process.execPath, [path.join(root, 'bin', 'tlearn.js'), 'demo', '--out', out, '--epochs1', '1', '--epochs2', '1', '--image-size', '32', '--json'], {
      encoding: 'utf8', env: { ...process.env, TLEARN_WEIGHTS_URL: 'http://127.0.0.1:9/', TLEARN_HOME: path.join(dir, 'home') },
    });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stderr, /continuing from random initialisation/);
    const events = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type?: string });
    assert.ok(events.some((e) => e.type === 'epoch'), 'epoch events');
    assert.equal(events.at(-1)?.type, 'done');
    for (const f of ['config.json', 'manifest.csv', 'audit.json', 'history.csv', 'history.jsonl', 'report.html',
      'best_model_phase1.safetensors', 'best_model_phase2.safetensors', 'best_model_final.safetensors', 'best_model_final.pth',
      'eval/metrics.json', 'eval/classification_report.txt', 'eval/predictions.csv', 'eval/roc_curve.png']) {
      assert.ok(fs.existsSync(path.join(out, f)), `${f} is written`);
    }
    const history = fs.readFileSync(path.join(out, 'history.csv'), 'utf8').trim().split('\n');
    assert.equal(history.length, 3, 'one epoch per phase');
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'eval', 'metrics.json'), 'utf8'));
    assert.equal(metrics.n, 200);
    assert.deepEqual(metrics.classes, ['ankle_boot', 'sneaker']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tlearn demo --task multiclass trains the four-class demo data and evaluates it per class', { timeout: 600_000 }, () => {
  const dir = tempDir('tlearn-demo-mc-');
  const out = path.join(dir, 'run');
  try {
    const res = spawnSync(process.execPath, [path.join(root, 'bin', 'tlearn.js'), 'demo', '--task', 'multiclass', '--out', out, '--epochs1', '1', '--epochs2', '0',
      '--image-size', '32', '--arch', 'resnet18', '--json'], {
      encoding: 'utf8', env: { ...process.env, TLEARN_WEIGHTS_URL: 'http://127.0.0.1:9/', TLEARN_HOME: path.join(dir, 'home') },
    });
    assert.equal(res.status, 0, res.stderr);
    const events = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type?: string; task?: string; classes?: string[] });
    const start = events.find((e) => e.type === 'start')!;
    assert.equal(start.task, 'multiclass');
    assert.deepEqual(start.classes, ['ankle_boot', 'bag', 'sneaker', 'trouser']);
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'eval', 'metrics.json'), 'utf8'));
    assert.equal(metrics.n, 300);
    assert.equal(metrics.confusion_matrix.length, 4);
    for (const f of ['eval/confusion_matrix.png', 'eval/roc_curve.png', 'eval/classification_report.txt', 'report.html']) {
      assert.ok(fs.existsSync(path.join(out, f)), `${f} is written`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
