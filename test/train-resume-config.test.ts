// RUN/last records the configuration it was saved with; a resume compares RUN/config.json with it. Keys added to
// tlearn after a state was saved are absent from that record: the run was made with their defaults, so the
// default passes and anything else is refused, naming the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunDirError } from '../src/train/index.js';
import { checkStateConfig, stateConfig } from '../src/train/resume/config.js';
import { runPaths } from '../src/train/run-dir.js';
import { tempDir, tinyConfig } from './train-fixtures.js';

test('a state saved before syncBatchNorm, clipGradNorm, mixup, cutmix and phases[].oneCycle/cosine existed resumes with their defaults, not with other values', () => {
  const config = tinyConfig('/data/x');
  const { syncBatchNorm: _s, clipGradNorm: _c, mixup: _m, cutmix: _x, ...recorded } = stateConfig(config) as Record<string, unknown> & { phases: Record<string, unknown>[] };
  const old = { ...recorded, phases: recorded.phases.map(({ oneCycle: _o, cosine: _k, ...p }) => p) };
  const paths = runPaths(tempDir());
  checkStateConfig(paths, old, config);
  const refused = (set: string[], key: RegExp) => assert.throws(() => checkStateConfig(paths, old, tinyConfig('/data/x', set)),
    (e: Error) => e instanceof RunDirError && key.test(e.message) && /changed after the run saved its state/.test(e.message), set.join(' '));
  refused(['phases[1].oneCycle=true'], /config\.phases\[1\]\.oneCycle/);
  refused(['phases[0].cosine=true'], /config\.phases\[0\]\.cosine/);
  refused(['clipGradNorm=1'], /config\.clipGradNorm/);
  refused(['mixup=0.4'], /config\.mixup/);
  refused(['cutmix=1'], /config\.cutmix/);
  refused(['syncBatchNorm=false'], /config\.syncBatchNorm/);
  // A key the record has is compared as before.
  assert.throws(() => checkStateConfig(paths, old, tinyConfig('/data/x', ['phases[0].lr=0.5'])), /config\.phases\[0\]\.lr/);
});

test('a state saved before accumulateGradBatches, ema, focalLoss, sampler, layerLrDecay, decayNormsAndBiases and cosine warmup and interval existed resumes with their defaults, not with other values', () => {
  const config = tinyConfig('/data/x', ['phases[1].cosine=true']);
  const { accumulateGradBatches: _a, ema: _e, focalLoss: _f, sampler: _s, ...recorded } = stateConfig(config) as Record<string, unknown> & { phases: Record<string, unknown>[] };
  // The cosine section as it was saved then: etaMin alone.
  const old = { ...recorded, phases: recorded.phases.map(({ layerLrDecay: _l, decayNormsAndBiases: _d, ...p }, i) => (i === 1 ? { ...p, cosine: { etaMin: 0 } } : p)) };
  const paths = runPaths(tempDir());
  checkStateConfig(paths, old, config);
  const refused = (set: string[], key: RegExp) => assert.throws(() => checkStateConfig(paths, old, tinyConfig('/data/x', ['phases[1].cosine=true', ...set])),
    (e: Error) => e instanceof RunDirError && key.test(e.message), set.join(' '));
  refused(['accumulateGradBatches=2'], /config\.accumulateGradBatches/);
  refused(['ema=true'], /config\.ema/);
  refused(['phases[0].layerLrDecay=0.5'], /config\.phases\[0\]\.layerLrDecay/);
  refused(['phases[0].decayNormsAndBiases=false'], /config\.phases\[0\]\.decayNormsAndBiases/);
  refused(['focalLoss=true'], /config\.focalLoss/);
  refused(['phases[1].cosine={warmupEpochs: 1}'], /config\.phases\[1\]\.cosine\.warmupEpochs/);
  refused(['phases[1].cosine={warmupStartFactor: 0.5}'], /config\.phases\[1\]\.cosine\.warmupStartFactor/);
  refused(['phases[1].cosine={interval: step}'], /config\.phases\[1\]\.cosine\.interval/);
  refused(['sampler=balanced'], /config\.sampler/);
});
