// The loop's yield between batches must let a signal handler run even when training resumed from an I/O
// callback (as it does after a RUN/last save finished on the writer thread): otherwise a Ctrl-C during a
// batch is seen one batch late.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { StopController, yieldToEventLoop } from '../src/train/signals.js';

test('yieldToEventLoop runs a signal handler that became due inside an I/O callback', async () => {
  let handled = 0;
  const onSignal = () => { handled++; };
  process.on('SIGUSR2', onSignal);
  try {
    for (let round = 0; round < 5; round++) {
      const before = handled;
      // Resume inside an I/O callback (the poll phase), raise the signal there, then yield once.
      const seen = await new Promise<number>((resolve) => {
        fs.stat(fileURLToPath(import.meta.url), async () => {
          process.kill(process.pid, 'SIGUSR2');
          await yieldToEventLoop();
          resolve(handled - before);
        });
      });
      assert.equal(seen, 1, `round ${round}: the handler ran before the yield returned`);
    }
  } finally {
    process.off('SIGUSR2', onSignal);
  }
});

test('StopController: the first request sticks, an abort signal requests a stop, close removes the handlers', () => {
  const ac = new AbortController();
  const sigints = process.listenerCount('SIGINT');
  const stop = new StopController({ signal: ac.signal, handleSigint: true });
  assert.equal(process.listenerCount('SIGINT'), sigints + 1);
  assert.equal(stop.stopRequested, false);
  ac.abort();
  assert.equal(stop.reason, 'the abort signal fired');
  stop.request('later');
  assert.equal(stop.reason, 'the abort signal fired');
  stop.close();
  assert.equal(process.listenerCount('SIGINT'), sigints);
});
