// What a rank whose collective failed says about the others, from their heartbeats in the store (the pure
// decision of src/distributed/faults.ts; test/distributed.test.ts kills and stops real ranks).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { peerFindings, type PeerReadings } from '../src/distributed/faults.js';

const NOW = 1_000_000;
const beat = (agoMs: number, launched: number) => ({ atMs: NOW - agoMs, launched });
const base = (o: Partial<PeerReadings>): PeerReadings => ({ rank: 0, worldSize: 4, launched: 10, nowMs: NOW, first: [], second: null, left: [], ...o });

test('a heartbeat that did not move names a rank that stopped answering; one that lags in collectives names a rank alive but behind', () => {
  const f = peerFindings(base({
    first: [beat(0, 10), beat(3400, 9), beat(800, 8), beat(900, 10)],
    second: [beat(0, 10), beat(3400, 9), beat(200, 8), beat(100, 10)],
  }));
  assert.deepEqual(f.ranks, [1, 2]);
  assert.equal(f.text, 'rank 1 stopped answering (last heartbeat 3.4 s ago); rank 2 is alive but has not reached this collective (2 collectives behind)');
});

test('a rank that left says how (its process exited, or its group closed); one that never beat is named too', () => {
  const f = peerFindings(base({
    worldSize: 3, rank: 2, first: [beat(0, 10), null, beat(0, 10)], second: [beat(0, 10), null, beat(0, 10)],
    left: [{ why: 'exited', atMs: NOW - 5000 }, null, null],
  }));
  assert.deepEqual(f.ranks, [0, 1]);
  assert.equal(f.text, 'rank 0 exited 5 s ago; rank 1 never sent a heartbeat');
  const closed = peerFindings(base({ worldSize: 2, first: [beat(0, 10), beat(7000, 10)], left: [null, { why: 'closed', atMs: NOW - 7000 }] }));
  assert.equal(closed.text, 'rank 1 closed its process group 7 s ago (it failed or finished)');
});

test('every other rank current: nobody is blamed, and the message says so', () => {
  const f = peerFindings(base({ worldSize: 2, first: [beat(0, 10), beat(500, 10)], second: [beat(0, 10), beat(100, 11)] }));
  assert.deepEqual(f.ranks, []);
  assert.match(f.text, /every other rank is alive and has reached this collective/);
});
