// Which rank of which world this process is, read from the environment the launcher set, the ecosystem's way:
// torchrun (and `tlearn train --nproc`, and a Kubeflow PyTorchJob, which set the same variables) give RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT; `srun` gives SLURM_PROCID, SLURM_NTASKS,
// SLURM_LOCALID, SLURM_NODEID and SLURM_TASKS_PER_NODE, read only when torchrun's RANK and WORLD_SIZE are absent.
// Under SLURM the rendezvous host is MASTER_ADDR, else SLURM_LAUNCH_NODE_IPADDR (the node srun was started on,
// the batch host inside sbatch), else the first host of SLURM_JOB_NODELIST; the port is MASTER_PORT, else
// 15000 + the last 4 digits of SLURM_JOB_ID (Lightning's rule, so that two jobs on one node rarely collide).
// Nothing here opens a socket: a world of one is an ordinary single-process run.

export type EnvSource = 'torchrun' | 'slurm' | 'none';

export interface DistributedEnv {
  rank: number;
  worldSize: number;
  /** This rank's index among the ranks on its machine: its GPU on CUDA. */
  localRank: number;
  /** Ranks on this machine: they share its cores (threads per rank = cores / localWorldSize on CPU). */
  localWorldSize: number;
  /** Rendezvous host and port of the TCP store (rank 0 listens there); null in a world of one. */
  masterAddr: string | null;
  masterPort: number | null;
  /** Which variables said so. */
  source: EnvSource;
  /**
   * Whether this rank serves the rendezvous store: rank 0, except under torchrun, whose agent serves it
   * (TORCHELASTIC_USE_AGENT_STORE=True); the ranks' keys then go below /worker/attempt_N (storePrefix), as
   * torch.distributed's do.
   */
  serveStore: boolean;
  storePrefix: string;
}

/** A launcher's variables that contradict each other or are not numbers: bad input, exit 2. */
export class DistributedEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DistributedEnvError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const SINGLE: DistributedEnv = {
  rank: 0, worldSize: 1, localRank: 0, localWorldSize: 1, masterAddr: null, masterPort: null, source: 'none', serveStore: true, storePrefix: '',
};

/** An integer variable >= min, or undefined when it is not set (an empty value counts as not set). */
function intVar(env: Env, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = raw.trim();
  if (!/^[0-9]+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new DistributedEnvError(`${name}=${JSON.stringify(raw)} must be an integer >= ${min}`);
  }
  return Number(v);
}

function portVar(env: Env, name: string): number | undefined {
  const p = intVar(env, name, 1);
  if (p !== undefined && p > 65535) throw new DistributedEnvError(`${name}=${p} is not a TCP port (1-65535)`);
  return p;
}

/**
 * SLURM's compressed tasks-per-node list ("2(x3),1": 2 tasks on each of the first 3 nodes, 1 on the 4th), read
 * for node `node`; null when it cannot be read.
 */
export function tasksOnNode(list: string, node: number): number | null {
  let seen = 0;
  for (const part of list.split(',')) {
    const m = /^\s*(\d+)(?:\(x(\d+)\))?\s*$/.exec(part);
    if (!m) return null;
    const count = Number(m[1]), repeat = m[2] === undefined ? 1 : Number(m[2]);
    if (node < seen + repeat) return count;
    seen += repeat;
  }
  return null;
}

/** The first host name of a SLURM node list ("gpu[07-09,12],cpu1" -> "gpu07"); null when it cannot be read. */
export function firstNode(list: string): string | null {
  const m = /^\s*([^,[\s]+)(?:\[([^\]]+)\])?/.exec(list);
  if (!m) return null;
  if (m[2] === undefined) return m[1]!;
  const first = /^(\d+)/.exec(m[2]);
  return first ? `${m[1]}${first[1]}` : null;
}

function checkRanks(d: Pick<DistributedEnv, 'rank' | 'worldSize' | 'localRank' | 'localWorldSize'>, names: Record<'rank' | 'world' | 'local' | 'localWorld', string>): void {
  if (d.worldSize < 1) throw new DistributedEnvError(`${names.world}=${d.worldSize}: a world needs at least 1 rank`);
  if (d.rank >= d.worldSize) throw new DistributedEnvError(`${names.rank}=${d.rank} is not below ${names.world}=${d.worldSize} (ranks are 0 to ${d.worldSize - 1})`);
  if (d.localWorldSize > d.worldSize) {
    throw new DistributedEnvError(`${names.localWorld}=${d.localWorldSize} is larger than ${names.world}=${d.worldSize} (ranks on this machine cannot outnumber all ranks)`);
  }
  if (d.localRank >= d.localWorldSize) {
    throw new DistributedEnvError(`${names.local}=${d.localRank} is not below ${names.localWorld}=${d.localWorldSize} (local ranks are 0 to ${d.localWorldSize - 1})`);
  }
  if (d.localRank > d.rank) throw new DistributedEnvError(`${names.local}=${d.localRank} is larger than ${names.rank}=${d.rank}`);
}

function torchrunEnv(env: Env): DistributedEnv {
  const rank = intVar(env, 'RANK', 0);
  const worldSize = intVar(env, 'WORLD_SIZE', 1);
  if (rank === undefined || worldSize === undefined) {
    throw new DistributedEnvError(`${rank === undefined ? 'WORLD_SIZE' : 'RANK'} is set but ${rank === undefined ? 'RANK' : 'WORLD_SIZE'} is not: a launcher sets both (torchrun, tlearn train --nproc, a Kubeflow PyTorchJob)`);
  }
  const localRank = intVar(env, 'LOCAL_RANK', 0);
  let localWorldSize = intVar(env, 'LOCAL_WORLD_SIZE', 1);
  if (localRank !== undefined && localWorldSize === undefined && worldSize > 1) {
    throw new DistributedEnvError('LOCAL_RANK is set but LOCAL_WORLD_SIZE is not: set both (torchrun does), or neither for one rank per machine');
  }
  // Neither: one rank per machine, as in a Kubeflow PyTorchJob's pods.
  localWorldSize ??= 1;
  const d = { rank, worldSize, localRank: localRank ?? 0, localWorldSize };
  checkRanks(d, { rank: 'RANK', world: 'WORLD_SIZE', local: 'LOCAL_RANK', localWorld: 'LOCAL_WORLD_SIZE' });
  const agent = env.TORCHELASTIC_USE_AGENT_STORE === 'True';
  const attempt = intVar(env, 'TORCHELASTIC_RESTART_COUNT', 0) ?? 0;
  return {
    ...d, ...master(env, worldSize, 'torchrun'), source: 'torchrun',
    serveStore: !agent && rank === 0, storePrefix: agent ? `/worker/attempt_${attempt}` : '',
  };
}

function slurmEnv(env: Env): DistributedEnv {
  const rank = intVar(env, 'SLURM_PROCID', 0);
  const worldSize = intVar(env, 'SLURM_NTASKS', 1);
  if (rank === undefined || worldSize === undefined) {
    throw new DistributedEnvError(`${rank === undefined ? 'SLURM_NTASKS' : 'SLURM_PROCID'} is set but ${rank === undefined ? 'SLURM_PROCID' : 'SLURM_NTASKS'} is not: start the ranks with srun`);
  }
  const localRank = intVar(env, 'SLURM_LOCALID', 0) ?? 0;
  const node = intVar(env, 'SLURM_NODEID', 0) ?? 0;
  const perNode = env.SLURM_STEP_TASKS_PER_NODE ?? env.SLURM_TASKS_PER_NODE;
  let localWorldSize = 1;
  if (perNode !== undefined && perNode.trim() !== '') {
    const n = tasksOnNode(perNode, node);
    if (n === null) throw new DistributedEnvError(`cannot read node ${node}'s task count from SLURM_TASKS_PER_NODE=${JSON.stringify(perNode)}`);
    localWorldSize = n;
  } else if (worldSize > 1) {
    localWorldSize = Math.max(1, localRank + 1);
  }
  const d = { rank, worldSize, localRank, localWorldSize };
  checkRanks(d, { rank: 'SLURM_PROCID', world: 'SLURM_NTASKS', local: 'SLURM_LOCALID', localWorld: 'SLURM_TASKS_PER_NODE' });
  return { ...d, ...master(env, worldSize, 'slurm'), source: 'slurm', serveStore: rank === 0, storePrefix: '' };
}

function master(env: Env, worldSize: number, source: EnvSource): Pick<DistributedEnv, 'masterAddr' | 'masterPort'> {
  if (worldSize === 1) return { masterAddr: null, masterPort: null };
  let addr = env.MASTER_ADDR?.trim() || null;
  let port = portVar(env, 'MASTER_PORT') ?? null;
  if (source === 'slurm') {
    addr ??= env.SLURM_LAUNCH_NODE_IPADDR?.trim() || (env.SLURM_JOB_NODELIST ? firstNode(env.SLURM_JOB_NODELIST) : null);
    const job = env.SLURM_JOB_ID?.trim();
    if (port === null && job && /^\d+$/.test(job)) port = 15000 + Number(job.slice(-4));
  }
  const where = source === 'slurm' ? ' (or run inside a SLURM job step, which gives SLURM_LAUNCH_NODE_IPADDR and SLURM_JOB_ID)' : '';
  if (addr === null) throw new DistributedEnvError(`MASTER_ADDR is not set: the ${worldSize} ranks need rank 0's host to meet at${where}`);
  if (port === null) throw new DistributedEnvError(`MASTER_PORT is not set: the ${worldSize} ranks need a TCP port on ${addr} to meet at${where}`);
  return { masterAddr: addr, masterPort: port };
}

/**
 * The world this process belongs to: torchrun's variables when RANK or WORLD_SIZE is set, else SLURM's when
 * SLURM_PROCID or SLURM_NTASKS is, else a world of one. Throws DistributedEnvError for values that are not
 * integers or contradict each other.
 */
export function distributedEnv(env: Env = process.env): DistributedEnv {
  if (env.RANK !== undefined || env.WORLD_SIZE !== undefined) return torchrunEnv(env);
  // An sbatch script's own shell has these too: run tlearn there through srun (one task per rank), else the one
  // process waits for ranks that never come (the rendezvous timeout then says so).
  if (env.SLURM_PROCID !== undefined || env.SLURM_NTASKS !== undefined) return slurmEnv(env);
  return SINGLE;
}

/** Threads for this rank on CPU: the machine's cores shared by its ranks (at least 1). */
export function threadsPerRank(cores: number, d: Pick<DistributedEnv, 'localWorldSize'>): number {
  return Math.max(1, Math.floor(cores / d.localWorldSize));
}

/**
 * Threads for this process, or null to keep src/torch's (OMP_NUM_THREADS / TLEARN_THREADS, else every core):
 * `configured` (config.threads) when above 0, else, when neither variable is set, the cores shared by the
 * ranks on this machine (`world` null: a single process gets every core).
 */
export function threadsFor(configured: number, vars: Env, cores: number, world: Pick<DistributedEnv, 'localWorldSize'> | null): number | null {
  if (configured > 0) return configured;
  if (vars.TLEARN_THREADS || vars.OMP_NUM_THREADS) return null;
  return world ? threadsPerRank(cores, world) : cores;
}

/**
 * The CUDA device this rank computes on, as torch.cuda.set_device(LOCAL_RANK): LOCAL_RANK's GPU when the rank
 * sees several (torchrun, srun without a per-rank CUDA_VISIBLE_DEVICES), or null to keep device 0 when it sees
 * one (a launcher gave each rank its own: --nproc, or a wrapper setting CUDA_VISIBLE_DEVICES). Throws when the
 * machine's ranks outnumber its GPUs.
 */
export function cudaDeviceFor(d: Pick<DistributedEnv, 'rank' | 'localRank' | 'localWorldSize'>, visibleGpus: number): number | null {
  if (visibleGpus <= 1) return null;
  if (d.localRank >= visibleGpus) {
    throw new DistributedEnvError(
      `rank ${d.rank} is local rank ${d.localRank} of ${d.localWorldSize} on its machine, which shows it only ${visibleGpus} GPUs (0 to ${visibleGpus - 1}): ` +
        'start at most one rank per GPU, or choose each rank\'s GPUs with CUDA_VISIBLE_DEVICES',
    );
  }
  return d.localRank;
}
