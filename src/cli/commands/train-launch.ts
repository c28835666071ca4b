// `tlearn train ... --nproc N`: the run's inputs are checked once here (bad input: exit 2 before any rank
// starts), then N ranks of the same command run on this machine through src/distributed/launch.ts. Rank 0 speaks
// on this terminal (a progress bar when it is one); the other ranks write RUN/logs/rank-N.log, and their errors
// come here prefixed with their rank. Also: the world read from the launcher's variables in a rank.
import path from 'node:path';
import { distributedEnv, DistributedEnvError, type DistributedEnv } from '../../distributed/env.js';
import { describeExit, launch } from '../../distributed/launch.js';
import { UsageError } from '../errors.js';
import { processOut, type CliIO } from '../io.js';
import { packageRoot } from '../paths.js';

/** The world this process belongs to, from the environment; launcher variables that contradict each other are bad input. */
export function worldFromEnv(env: NodeJS.ProcessEnv = process.env): DistributedEnv {
  try {
    return distributedEnv(env);
  } catch (e) {
    if (e instanceof DistributedEnvError) throw new UsageError(`the launcher's environment: ${e.message}`);
    throw e;
  }
}

/** The command-line arguments without `--nproc N` / `--nproc=N` (before a `--`): what each rank runs. */
export function withoutNproc(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { out.push(...argv.slice(i)); break; }
    if (a === '--nproc') { i++; continue; }
    if (a.startsWith('--nproc=')) continue;
    out.push(a);
  }
  return out;
}

/** Checks that --nproc can start ranks here: not inside a rank another launcher started. */
export function checkNproc(nproc: number, world: DistributedEnv): void {
  if (world.worldSize > 1) {
    const by = world.source === 'slurm' ? 'SLURM (SLURM_PROCID / SLURM_NTASKS are set)' : 'a launcher (RANK / WORLD_SIZE are set)';
    throw new UsageError(`--nproc ${nproc} starts the ranks itself, but this process is already rank ${world.rank} of ${world.worldSize} started by ${by}: leave --nproc out, or start tlearn without that launcher`);
  }
}

/** Starts `nproc` ranks of `tlearn train` with `argv` (the command line without --nproc); returns the exit code. */
export async function launchRanks(nproc: number, argv: readonly string[], out: string, io: CliIO, device: 'cpu' | 'cuda' = 'cpu'): Promise<number> {
  const script = path.join(packageRoot(), 'bin', 'tlearn.js');
  const terminal = io.out === processOut;
  const result = await launch({
    nproc, command: process.execPath, args: [script, ...argv], cwd: io.cwd,
    rank0: terminal ? 'inherit' : { out: io.out, err: io.err }, gpusPerRank: device === 'cuda',
    otherErr: io.err,
    message: (line) => io.err(`tlearn train --nproc: ${line}\n`),
  });
  if (result.failedRank !== null) {
    const f = result.exits[result.failedRank]!;
    const log = result.failedRank === 0 ? '' : ` (its log: ${path.join(out, 'logs', `rank-${result.failedRank}.log`)})`;
    io.err(`tlearn train --nproc: rank ${result.failedRank} ${describeExit(f)}${log}; every rank has stopped\n`);
  }
  return result.code;
}
