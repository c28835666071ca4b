// Data-parallel fault settings that cannot work: a heartbeat bound shorter than a few heartbeats (one a second)
// would stop healthy ranks. Refused before anything is read or written, naming the key.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './case.js';

export const cases: HostileCase[] = [
  {
    name: 'config peerTimeoutSeconds: 1 (below 3 heartbeats)',
    setup(dir) {
      fs.mkdirSync(path.join(dir, 'data'));
      fs.writeFileSync(path.join(dir, 'run.yaml'), 'peerTimeoutSeconds: 1\n');
      return ['train', 'data', '--out', 'run', '--config', 'run.yaml'];
    },
    code: 2,
    message: /config\.peerTimeoutSeconds: expected a number ≥ 3/,
    after: (dir) => assert.equal(fs.existsSync(path.join(dir, 'run')), false, 'no run folder'),
  },
];
