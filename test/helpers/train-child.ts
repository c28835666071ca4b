// Runs train() in a child process, for the tests that kill or interrupt a run. Usage:
//   node [--import tsx] train-child.(ts|js) JOB.json
// JOB.json: { config, out, resume?, pauseAt?: { phase, epoch, batch }, pauseMs? }. Every event is printed as
// `EVENT <json>`; at the pauseAt batch the child prints `PAUSED` and blocks (synchronously) for pauseMs, so
// the parent's signal reliably lands in the middle of that epoch. Without an argument it does nothing
// (the test runner may load every file under test/).
import fs from 'node:fs';
import { train } from '../../src/train/index.js';

interface Job {
  config: Parameters<typeof train>[0];
  out: string;
  resume?: boolean;
  pauseAt?: { phase: string; epoch: number; batch: number };
  pauseMs?: number;
}

const jobFile = process.argv[2];
if (jobFile?.endsWith('.json')) {
  const job = JSON.parse(fs.readFileSync(jobFile, 'utf8')) as Job;
  const result = await train(job.config, {
    out: job.out, resume: job.resume, quiet: true, batchEvents: true, skipEvaluation: true,
    onEvent: (e) => {
      process.stdout.write(`EVENT ${JSON.stringify(e)}\n`);
      const p = job.pauseAt;
      if (p && e.type === 'batch' && e.phase === p.phase && e.epoch === p.epoch && e.batch === p.batch) {
        process.stdout.write('PAUSED\n');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, job.pauseMs ?? 3000);
      }
    },
  });
  process.stdout.write(`RESULT ${JSON.stringify({ interrupted: result.interrupted, bestModel: result.bestModel })}\n`);
}
