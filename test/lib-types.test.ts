// The library as a typed (strict) user writes it: train() takes the partial configuration a config file
// holds, its result's `evaluation` is typed, predict needs no logger, and the eval layer imports as
// `evaluation`. Most checks here are compile-time: this file is part of the suite's tsc build, so a
// regression in the types fails the build; the `@ts-expect-error` lines fail it if the types get too loose.
// The last test compiles a small consumer against the built package ('tlearn' through package.json's exports).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tlearn from '../src/index.js';
import { eval as evalNamespace, evaluation, train } from '../src/index.js';
import type { RunConfig, RunConfigInput, RunResult } from '../src/train/index.js';
import type { EvaluationMetrics, PredictRow } from '../src/eval/index.js';
import { tempDir } from './helpers/temp.js';

/** What a user writes from the README's YAML: only the keys they care about (no resolveConfig step). */
const partial = {
  data: { path: 'images' },
  model: { arch: 'resnet18', weights: 'none' },
  input: { imageSize: 32 },
  threads: 1,
  phases: [{ name: 'head', trainable: ['fc'], lr: 1e-3, epochs: 1 }, { trainable: 'layer4', epochs: 0, earlyStopping: false }],
} satisfies RunConfigInput;

// Compile-time checks only (never called): each line must type-check as written.
async function typedUsage(): Promise<void> {
  const result: RunResult = await train.train(partial, { out: 'runs/x', quiet: true });
  const auc: number | null | undefined = result.evaluation?.auc;
  const metrics: EvaluationMetrics | undefined = result.evaluation;
  // A complete RunConfig (RUN/config.json read back) is still accepted.
  const full: RunConfig = train.resolveConfig({ raw: partial });
  await train.train(full, { out: 'runs/y' });
  const rows: PredictRow[] = await evaluation.predict({ model: 'm.safetensors', files: ['a.png'] });
  await tlearn.eval.predict({ model: 'm.safetensors', files: ['a.png'], threads: 1 });
  // @ts-expect-error data.path is required
  await train.train({ model: { arch: 'resnet18' } }, { out: 'runs/z' });
  // @ts-expect-error not an architecture
  await train.train({ data: { path: 'd' }, model: { arch: 'resnet19' } }, { out: 'runs/z' });
  // @ts-expect-error evaluation is absent when the run has no test split
  console.log(result.evaluation.auc, auc, metrics, rows);
}

test('the eval layer imports as `evaluation` (the same namespace as tlearn.eval)', () => {
  assert.equal(evaluation, evalNamespace);
  assert.equal(tlearn.evaluation, tlearn.eval);
  assert.equal(typeof evaluation.predict, 'function');
  assert.equal(typeof evaluation.evaluate, 'function');
  assert.equal(typeof typedUsage, 'function');
});

test('train() takes a partial configuration and checks it as a config file is checked', async () => {
  const resolved = train.resolveConfig({ raw: partial });
  assert.equal(resolved.model.arch, 'resnet18');
  assert.deepEqual(resolved.phases.map((p) => [p.name, p.trainable, p.lr, p.epochs, p.earlyStopping]),
    [['head', ['fc'], 1e-3, 1, resolved.phases[0].earlyStopping], ['phase2', ['layer4'], 1e-5, 0, null]]);
  assert.equal(resolved.batchSize, train.defaultConfig().batchSize);
  // A bad value in the partial input is a ConfigError naming the key, before anything is written.
  const dir = tempDir('lib-types-');
  const out = path.join(dir, 'run');
  await assert.rejects(train.train({ ...partial, data: { path: dir }, phases: [{ lr: -1 }] }, { out, quiet: true }),
    (e: Error) => e instanceof train.ConfigError && e.name === 'ConfigError' && /config\.phases\[0\]\.lr: expected a positive number/.test(e.message));
  assert.equal(fs.existsSync(out), false);
});

// The repository root: this file runs from test/ (tsx) or dist/test/ (the suite's build).
const here = path.dirname(fileURLToPath(import.meta.url));
const fromDist = path.basename(path.dirname(here)) === 'dist';
const root = path.resolve(here, fromDist ? '../..' : '..');

const CONSUMER = `
import * as tlearn from 'tlearn';
import { evaluation, train } from 'tlearn';
import { predict } from 'tlearn/eval';
import type { RunConfigInput } from 'tlearn/train';
const config: RunConfigInput = { data: { path: 'images' }, model: { arch: 'resnet18', weights: 'none' }, input: { imageSize: 32 } };
export async function run(): Promise<number | null | undefined> {
  const result = await train.train({ ...config, phases: [{ epochs: 1 }, { epochs: 0 }] }, { out: 'runs/a', quiet: true });
  const rows = await evaluation.predict({ model: result.bestModel ?? 'm.safetensors', files: ['a.png'] });
  await predict({ model: 'm.safetensors', files: rows.map((r) => r.path) });
  await tlearn.eval.predict({ model: 'm.safetensors', files: [] });
  // @ts-expect-error data.path is required
  await train.train({}, { out: 'runs/b' });
  return result.evaluation?.auc;
}
`;

test('a strict NodeNext consumer compiles against the built package (dist/ declarations)', { skip: fromDist ? false : 'checks the built package: it runs in the compiled suite (dist/test)' }, () => {
  const dir = tempDir('lib-consumer-');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  // A link, as `npm install <folder>` makes; removing the temp folder removes the link, not the package.
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'tlearn'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  fs.writeFileSync(path.join(dir, 'consumer.ts'), CONSUMER);
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true,
      types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')],
    },
    files: ['consumer.ts'],
  }));
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
});
