// Errors thrown to library code name configuration keys (phases[0].epochs); `tlearn train` names the flag that
// sets each key beside it (--epochs1 (phases[0].epochs)), as its ConfigError messages do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { train, TrainSetupError, resolveConfig } from '../src/train/index.js';
import { planResume } from '../src/train/resume/plan.js';
import type { RunState } from '../src/train/resume/state.js';
import { withFlags } from '../src/cli/errors.js';
import { cliIn } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

test('every phase at 0 epochs: train() names the keys, tlearn train the flags beside them', async () => {
  const root = tempDir('tlearn-key-messages-');
  try {
    fs.mkdirSync(path.join(root, 'data'));
    const config = { data: { path: path.join(root, 'data') }, phases: [{ epochs: 0 }, { epochs: 0 }] };
    let lib = '';
    await assert.rejects(train(config, { out: path.join(root, 'lib'), handleSigint: false, quiet: true }),
      (e: Error) => { lib = e.message; return e instanceof TrainSetupError; });
    assert.match(lib, /every phase has 0 epochs, so there is nothing to train: set phases\[0\]\.epochs or phases\[1\]\.epochs above 0$/);
    assert.doesNotMatch(lib, /--/);
    const r = await cliIn(root)(['train', 'data', '--out', 'cli', '--epochs1', '0', '--epochs2', '0']);
    assert.equal(r.code, 2, r.err);
    assert.equal(r.err, 'tlearn train: every phase has 0 epochs, so there is nothing to train: ' +
      'set --epochs1 (phases[0].epochs) or --epochs2 (phases[1].epochs) above 0\n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a resume that would lower a phase below what it trained names the key; the CLI adds the flag', () => {
  const config = resolveConfig({ raw: { data: { path: 'x' }, phases: [{ epochs: 1 }, { epochs: 3 }] } });
  const saved = resolveConfig({ raw: { data: { path: 'x' }, phases: [{ epochs: 2 }, { epochs: 3 }] } });
  const state = { phaseIndex: 0, phase: { epochsDone: 2, stopped: false }, midEpoch: null, phases: [], ended: null } as unknown as RunState;
  let message = '';
  assert.throws(() => planResume(config, saved, state), (e: Error) => { message = e.message; return true; });
  assert.equal(message, 'phase1 already trained 2 epochs; phases[0].epochs cannot go down to 1 on resume');
  assert.equal(withFlags(message), 'phase1 already trained 2 epochs; --epochs1 (phases[0].epochs) cannot go down to 1 on resume');
  // Keys already named with their flag, or inside a longer path, are left as they are.
  assert.equal(withFlags('--lr2 (config.phases[1].lr): bad; phases[1].lr.x'), '--lr2 (config.phases[1].lr): bad; phases[1].lr.x');
  assert.equal(withFlags('set phases[1].lr and input.imageSize'), 'set --lr2 (phases[1].lr) and --image-size (input.imageSize)');
});

test('one-word keys are words of the prose: withFlags leaves them alone', () => {
  const text = "device 'cuda' was requested; the seed and threads stay";
  assert.equal(withFlags(text), text);
});
