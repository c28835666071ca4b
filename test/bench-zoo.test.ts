// The zoo's benchmarks at a tiny scale (issue 21): bench/backbones.js prints images/s of tlearn and PyTorch per
// architecture and a README-ready markdown table; bench/export-zoo.js exports a graph that passes onnx.checker
// and agrees with libtorch; bench/protocol-zoo.js runs `tlearn train` per architecture and tables its phases.
// Formats and agreement only: no figure is judged for speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeStripes, tempDir } from './train-fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bench = (name: string) => path.resolve(here, `../bench/${name}.js`);
const run = (name: string, args: string[]) => spawnSync(process.execPath, [bench(name), ...args], { encoding: 'utf8', timeout: 300_000 });
const NUM = '[\\d.]+';

test('bench/backbones: images/s of tlearn and PyTorch per step with page faults, a markdown table and JSON', () => {
  const json = path.join(tempDir('tlearn-bench-zoo-'), 'bb.json');
  // A CPU this process may run on (a container's cpuset need not hold CPU 0).
  const cpu = /Cpus_allowed_list:\s*(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]!;
  const r = run('backbones', ['--archs', 'mobilenet_v3_small', '--size', '32', '--batch', '2', '--warmup', '0', '--iters', '2', '--rounds', '1',
    '--threads', '1', '--cpus', cpu, '--json', json]);
  assert.equal(r.status, 0, r.stderr);
  // --cpus pins the benchmark and the Python reference it starts to those CPUs (taskset).
  assert.match(r.stdout, new RegExp(`1 threads on CPUs ${cpu},`));
  for (const what of ['forward \\(eval\\)', 'phase-2 step']) {
    assert.match(r.stdout, new RegExp(`mobilenet_v3_small 32px ${what} +tlearn ${NUM} \\(${NUM}-${NUM}, ${NUM} faults\\) +pytorch-tuned ${NUM} .* ratio ${NUM}x`));
  }
  assert.match(r.stdout, new RegExp(`\\| mobilenet_v3_small \\| 32 \\| 2\\.5 M \\| ${NUM} \\| ${NUM} \\| ${NUM}× \\| ${NUM} \\| ${NUM} \\| ${NUM}× \\|`));
  const saved = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.deepEqual(Object.keys(saved.results[0].sides), ['tlearn', 'pytorch-tuned']);
  assert.ok(saved.results[0].sides.tlearn.train.imagesPerSecond > 0);
  // The ratio is paired: one per interleaved step (--iters x --rounds), not a quotient of the two medians.
  for (const what of ['forward', 'train']) {
    const q = saved.results[0].ratio[what];
    assert.equal(q.steps, 2, what);
    assert.ok(q.q1 > 0 && q.q1 <= q.median && q.median <= q.q3, JSON.stringify(q));
  }
  assert.match(r.stdout, new RegExp(`ratio ${NUM}x \\(quartiles ${NUM}-${NUM} of 2 steps\\)`));
});

test('bench/backbones in bf16 + channels-last (the GPU table\'s settings, here on the CPU); an unknown precision is named', () => {
  const json = path.join(tempDir('tlearn-bench-zoo-'), 'bf16.json');
  const r = run('backbones', ['--archs', 'resnet18', '--size', '32', '--batch', '2', '--warmup', '0', '--iters', '1', '--rounds', '1',
    '--threads', '1', '--precision', 'bf16', '--channels-last', '--json', json]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /libtorch [\d.]+, cpu, bf16, channels-last, 1 threads/);
  const saved = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.deepEqual([saved.device, saved.precision, saved.channelsLast], ['cpu', 'bf16', true]);
  for (const side of ['tlearn', 'pytorch-tuned']) assert.ok(saved.results[0].sides[side].train.imagesPerSecond > 0, side);
  const bad = run('backbones', ['--archs', 'resnet18', '--precision', 'fp16']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--precision: expected fp32 or bf16, got fp16/);
  const badCpus = run('backbones', ['--archs', 'resnet18', '--cpus', 'first']);
  assert.notEqual(badCpus.status, 0);
  assert.match(badCpus.stderr, /--cpus: expected a CPU list such as 1 or 0-1, got first/);
});

test('every benchmark\'s flags take --cpus: the benchmark runs again pinned to those CPUs', () => {
  const cpu = /Cpus_allowed_list:\s*(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]!;
  const script = path.join(tempDir('tlearn-bench-cpus-'), 'flags.mjs');
  fs.writeFileSync(script, `const { flagArgs, allowedCpus } = await import(${JSON.stringify(path.resolve(here, '../bench/common.js'))});
    const args = flagArgs(); console.log(JSON.stringify({ args, cpus: allowedCpus() }));`);
  const r = spawnSync(process.execPath, [script, '--threads', '1', '--cpus', cpu], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(out.cpus, cpu);
  assert.deepEqual(out.args, { threads: '1', cpus: cpu });
});

test('bench/export-zoo: the graph passes onnx.checker and onnxruntime agrees with libtorch', () => {
  const r = run('export-zoo', ['--archs', 'mobilenet_v3_small', '--size', '32', '--threads', '1']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const m = r.stdout.match(/mobilenet_v3_small 32px: [\d.]+ MB in [\d.]+ s, checker ok, max \|onnxruntime - libtorch\| ([\d.e+-]+) \(probabilities ([\d.]+)-([\d.]+)\) PASS/);
  assert.ok(m, r.stdout);
  assert.ok(Number(m[1]) <= 1e-4);
  assert.ok(Number(m[3]) - Number(m[2]) > 1e-3, `the probabilities should vary over the batch: ${m[2]}-${m[3]}`);
  assert.match(r.stdout, /\| mobilenet_v3_small \| 32 \| [\d.]+ M \| [\d.]+ MB \| [\d.]+ s \| ok \(/);
});

test('bench/protocol-zoo: tlearn train per architecture, both phases timed within the total, as a table', async () => {
  const dir = tempDir('tlearn-bench-zoo-');
  const data = await makeStripes(path.join(dir, 'data'), { train: 4, val: 3, test: 3 }, 20);
  const json = path.join(dir, 'p.json');
  const r = run('protocol-zoo', ['--data', data, '--archs', 'mobilenet_v3_small', '--size', '32', '--epochs1', '1', '--epochs2', '1',
    '--batch', '4', '--threads', '1', '--json', json]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const { rows: [row], earlyStopping } = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.equal(earlyStopping, false);
  assert.equal(row.size, 32);
  assert.equal(row.trainImages, 8);
  assert.deepEqual(row.phases.map((p: { name: string; epochs: number }) => [p.name, p.epochs]), [['phase1', 1], ['phase2', 1]]);
  assert.ok(row.phases.every((p: { seconds: number }) => p.seconds > 0));
  assert.ok(row.totalSeconds > row.phases[0].seconds + row.phases[1].seconds);
  assert.ok(Math.abs(row.imagesPerSecond - 16 / (row.phases[0].seconds + row.phases[1].seconds)) < 1e-9);
  assert.match(r.stdout, /\| mobilenet_v3_small \| 32 \| 2\.5 M \| [\d.]+ s \(1\) \| [\d.]+ s \(1\) \| [\d.]+ s \| [\d.]+ \| [\d.]+ \|/);
});
