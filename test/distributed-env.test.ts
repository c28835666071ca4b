// The world read from the environment: torchrun's variables (also a Kubeflow PyTorchJob's, without the local
// ones), SLURM's when torchrun's are absent (rendezvous host and port from SLURM's own variables), a world of one
// without either, and clear refusals of values that are not numbers or contradict each other.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cudaDeviceFor, distributedEnv, DistributedEnvError, firstNode, tasksOnNode, threadsFor, threadsPerRank } from '../src/distributed/env.js';
import { cuda } from '../src/torch/index.js';

const TORCHRUN = { RANK: '3', WORLD_SIZE: '4', LOCAL_RANK: '1', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: 'node0', MASTER_PORT: '29500' };

test('no launcher variables: a world of one', () => {
  assert.deepEqual(distributedEnv({ PATH: '/usr/bin' }), {
    rank: 0, worldSize: 1, localRank: 0, localWorldSize: 1, masterAddr: null, masterPort: null, source: 'none', serveStore: true, storePrefix: '',
  });
});

test("torchrun's variables, and a Kubeflow pod's (no LOCAL_*: one rank per machine)", () => {
  assert.deepEqual(distributedEnv(TORCHRUN), {
    rank: 3, worldSize: 4, localRank: 1, localWorldSize: 2, masterAddr: 'node0', masterPort: 29500, source: 'torchrun', serveStore: false, storePrefix: '',
  });
  // torchrun's agent serves the store; the ranks' keys go below its attempt's prefix.
  const agent = distributedEnv({ ...TORCHRUN, RANK: '0', LOCAL_RANK: '0', TORCHELASTIC_USE_AGENT_STORE: 'True', TORCHELASTIC_RESTART_COUNT: '2' });
  assert.deepEqual([agent.serveStore, agent.storePrefix], [false, '/worker/attempt_2']);
  assert.equal(distributedEnv({ ...TORCHRUN, RANK: '0', LOCAL_RANK: '0' }).serveStore, true);
  const pod = distributedEnv({ RANK: '1', WORLD_SIZE: '3', MASTER_ADDR: 'job-master-0', MASTER_PORT: '23456' });
  assert.deepEqual([pod.rank, pod.worldSize, pod.localRank, pod.localWorldSize], [1, 3, 0, 1]);
  // WORLD_SIZE=1 needs no rendezvous.
  assert.equal(distributedEnv({ RANK: '0', WORLD_SIZE: '1' }).masterAddr, null);
  // torchrun's variables win over SLURM's.
  assert.equal(distributedEnv({ ...TORCHRUN, SLURM_PROCID: '0', SLURM_NTASKS: '8' }).source, 'torchrun');
});

test("SLURM's variables when torchrun's are absent, the master from SLURM_LAUNCH_NODE_IPADDR or the node list", () => {
  const base = { SLURM_PROCID: '5', SLURM_NTASKS: '8', SLURM_LOCALID: '1', SLURM_NODEID: '2', SLURM_TASKS_PER_NODE: '2(x3),2', SLURM_JOB_ID: '4812345' };
  assert.deepEqual(distributedEnv({ ...base, SLURM_LAUNCH_NODE_IPADDR: '10.0.0.7' }), {
    rank: 5, worldSize: 8, localRank: 1, localWorldSize: 2, masterAddr: '10.0.0.7', masterPort: 17345, source: 'slurm', serveStore: false, storePrefix: '',
  });
  const byList = distributedEnv({ ...base, SLURM_JOB_NODELIST: 'gpu[07-09,12],cpu1' });
  assert.equal(byList.masterAddr, 'gpu07');
  const given = distributedEnv({ ...base, SLURM_JOB_NODELIST: 'gpu07', MASTER_ADDR: 'head', MASTER_PORT: '4000' });
  assert.deepEqual([given.masterAddr, given.masterPort], ['head', 4000]);
  assert.throws(() => distributedEnv({ ...base, SLURM_JOB_ID: undefined, SLURM_JOB_NODELIST: 'n1' }), /MASTER_PORT is not set.*SLURM/);
  assert.throws(() => distributedEnv({ ...base }), /MASTER_ADDR is not set/);
});

test('SLURM list helpers', () => {
  assert.equal(tasksOnNode('4', 0), 4);
  assert.equal(tasksOnNode('2(x3),1', 2), 2);
  assert.equal(tasksOnNode('2(x3),1', 3), 1);
  assert.equal(tasksOnNode('2(x3),1', 4), null);
  assert.equal(tasksOnNode('two', 0), null);
  assert.equal(firstNode('node1,node2'), 'node1');
  assert.equal(firstNode('a-b[003-004]'), 'a-b003');
});

test('values that are not numbers or contradict each other are refused, naming the variables', () => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ ...TORCHRUN, WORLD_SIZE: 'four' }, /WORLD_SIZE="four" must be an integer >= 1/],
    [{ ...TORCHRUN, WORLD_SIZE: '0' }, /WORLD_SIZE="0" must be an integer >= 1/],
    [{ ...TORCHRUN, RANK: '-1' }, /RANK="-1" must be an integer >= 0/],
    [{ ...TORCHRUN, RANK: '4' }, /RANK=4 is not below WORLD_SIZE=4/],
    [{ ...TORCHRUN, LOCAL_RANK: '2' }, /LOCAL_RANK=2 is not below LOCAL_WORLD_SIZE=2/],
    [{ ...TORCHRUN, LOCAL_WORLD_SIZE: '5' }, /LOCAL_WORLD_SIZE=5 is larger than WORLD_SIZE=4/],
    [{ ...TORCHRUN, RANK: '0', LOCAL_RANK: '1' }, /LOCAL_RANK=1 is larger than RANK=0/],
    [{ ...TORCHRUN, MASTER_PORT: '70000' }, /MASTER_PORT=70000 is not a TCP port/],
    [{ ...TORCHRUN, MASTER_ADDR: '' }, /MASTER_ADDR is not set/],
    [{ RANK: '0' }, /RANK is set but WORLD_SIZE is not/],
    [{ WORLD_SIZE: '2', MASTER_ADDR: 'h', MASTER_PORT: '1' }, /WORLD_SIZE is set but RANK is not/],
    [{ RANK: '0', WORLD_SIZE: '2', LOCAL_RANK: '0', MASTER_ADDR: 'h', MASTER_PORT: '1' }, /LOCAL_RANK is set but LOCAL_WORLD_SIZE is not/],
    [{ SLURM_PROCID: '2', SLURM_NTASKS: '2' }, /SLURM_PROCID=2 is not below SLURM_NTASKS=2/],
    [{ SLURM_PROCID: '0' }, /SLURM_PROCID is set but SLURM_NTASKS is not/],
    [{ SLURM_PROCID: '0', SLURM_NTASKS: '2', SLURM_TASKS_PER_NODE: 'x' }, /SLURM_TASKS_PER_NODE="x"/],
  ];
  for (const [env, message] of bad) {
    assert.throws(() => distributedEnv(env), (e: unknown) => e instanceof DistributedEnvError && message.test(e.message), JSON.stringify(env));
  }
});

test('threads per rank: the cores shared by the local ranks, at least one', () => {
  assert.equal(threadsPerRank(16, { localWorldSize: 4 }), 4);
  assert.equal(threadsPerRank(2, { localWorldSize: 2 }), 1);
  assert.equal(threadsPerRank(2, { localWorldSize: 3 }), 1);
});

test('threads of a process: config.threads, else OMP_NUM_THREADS / TLEARN_THREADS kept, else the cores shared by the local ranks', () => {
  const ranks = distributedEnv({ ...TORCHRUN, LOCAL_WORLD_SIZE: '4', LOCAL_RANK: '1' });
  assert.equal(threadsFor(3, { OMP_NUM_THREADS: '8' }, 16, ranks), 3);
  assert.equal(threadsFor(0, { OMP_NUM_THREADS: '8' }, 16, ranks), null);
  assert.equal(threadsFor(0, { TLEARN_THREADS: '2' }, 16, null), null);
  assert.equal(threadsFor(0, {}, 16, ranks), 4);
  assert.equal(threadsFor(0, {}, 16, null), 16);
});

test("each rank's GPU: LOCAL_RANK's when it sees several (torchrun, srun), device 0 kept when it sees one; more ranks than GPUs refused", () => {
  const local = (localRank: number, localWorldSize: number) => ({ rank: 4 + localRank, localRank, localWorldSize });
  assert.equal(cudaDeviceFor(local(3, 8), 8), 3);
  assert.equal(cudaDeviceFor(local(0, 1), 4), 0, 'one rank per machine (a pod with 4 GPUs): the first');
  assert.equal(cudaDeviceFor(local(3, 8), 1), null, 'CUDA_VISIBLE_DEVICES gave this rank its own GPU');
  assert.throws(() => cudaDeviceFor(local(2, 3), 2), (e: unknown) => e instanceof DistributedEnvError &&
    /rank 6 is local rank 2 of 3 on its machine, which shows it only 2 GPUs \(0 to 1\)/.test(e.message));
});

test('selecting a CUDA device where there is none is a clear error: a libtorch without CUDA, or no GPU seen', { skip: cuda.isAvailable() && 'a GPU is here' }, () => {
  // Debian's CPU-only libtorch says so; a CUDA libtorch on a machine without a GPU (checked with pip's 2.14.1+cu130)
  // says that it sees none, rather than a driver error or "devices 0 to -1".
  const none = '(this libtorch has no CUDA support|this process sees no CUDA device \\(no GPU or driver here, or CUDA_VISIBLE_DEVICES hides them\\))';
  assert.throws(() => cuda.setDevice(1), new RegExp(`${none}, so selecting CUDA device 1 is impossible`));
  assert.throws(() => cuda.currentDevice(), new RegExp(`${none}, so reading the current CUDA device is impossible`));
  assert.throws(() => cuda.setDevice(-1), /expected a device index >= 0/);
});
