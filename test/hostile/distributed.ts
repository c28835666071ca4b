// Data-parallel launch input: --nproc values commander refuses, a launcher's variables that are not numbers or
// contradict each other, and --nproc inside a rank another launcher started. Each is refused (exit 2) before
// anything is written or any rank starts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './case.js';

const TRAIN = ['train', 'data', '--out', 'run'];
const nothingWritten = (dir: string) => assert.equal(fs.existsSync(path.join(dir, 'run')), false, 'no run folder');
const withData = (dir: string): string[] => {
  fs.mkdirSync(path.join(dir, 'data'));
  return TRAIN;
};

export const cases: HostileCase[] = [
  { name: '--nproc 0', setup: () => [...TRAIN, '--nproc', '0'], code: 2, message: /--nproc.*(integer|>= 1|at least)/i, after: nothingWritten },
  { name: '--nproc two', setup: () => [...TRAIN, '--nproc', 'two'], code: 2, message: /--nproc/, after: nothingWritten },
  {
    name: 'WORLD_SIZE that is not a number', env: { RANK: '0', WORLD_SIZE: 'four' }, setup: withData,
    code: 2, message: /WORLD_SIZE="four" must be an integer >= 1/, after: nothingWritten,
  },
  {
    name: 'RANK not below WORLD_SIZE', env: { RANK: '2', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29999' }, setup: withData,
    code: 2, message: /RANK=2 is not below WORLD_SIZE=2/, after: nothingWritten,
  },
  {
    name: 'RANK without WORLD_SIZE', env: { RANK: '1' }, setup: withData,
    code: 2, message: /RANK is set but WORLD_SIZE is not/, after: nothingWritten,
  },
  {
    name: 'SLURM tasks without a rendezvous host', env: { SLURM_PROCID: '1', SLURM_NTASKS: '2' }, setup: withData,
    code: 2, message: /MASTER_ADDR is not set.*SLURM/, after: nothingWritten,
  },
  {
    name: '--nproc inside a rank torchrun started',
    env: { RANK: '0', WORLD_SIZE: '2', LOCAL_RANK: '0', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29999' },
    setup: (dir) => [...withData(dir), '--nproc', '2'], code: 2, message: /--nproc 2 starts the ranks itself, but this process is already rank 0 of 2/, after: nothingWritten,
  },
];
