// Process-level state: grad mode, autocast, seeds and RNG state, threads, devices, build information.
import { availableParallelism, totalmem } from 'node:os';
import { native } from './native.js';
import { type Tensor, wrap, type DType } from './tensor.js';

function assertSync(result: unknown, what: string): void {
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    throw new Error(`${what}: fn must be synchronous (it returned a Promise)`);
  }
}

function withGradMode<T>(enabled: boolean, fn: () => T, what: string): T {
  const prev = native.setGradEnabled(enabled);
  try {
    const r = fn();
    assertSync(r, what);
    return r;
  } finally {
    native.setGradEnabled(prev);
  }
}
/** Runs fn with gradient recording off (torch.no_grad). Grad mode is thread-local; all ops run on this thread. */
export const noGrad = <T>(fn: () => T): T => withGradMode(false, fn, 'noGrad');
/** Runs fn with gradient recording on (torch.enable_grad), e.g. inside a noGrad block. */
export const enableGrad = <T>(fn: () => T): T => withGradMode(true, fn, 'enableGrad');
export const isGradEnabled = (): boolean => native.isGradEnabled();
/** A key that changes whenever one of `tensors` may have changed (an in-place op, set_data, a move); '' where a
 *  tensor cannot tell (an inference tensor). For caches of values derived from parameters. */
export const versionKey = (tensors: readonly Tensor[]): string => native.versionKey(tensors.map((t) => t.handle));

export interface AutocastOptions {
  device?: 'cpu' | 'cuda';
  /** bfloat16 on CPU; float16 or bfloat16 on CUDA. */
  dtype?: DType;
  enabled?: boolean;
}
/** Runs fn under automatic mixed precision (torch.autocast), restoring the previous state afterwards. */
export function autocast<T>(fn: () => T, o: AutocastOptions = {}): T {
  const device = o.device ?? 'cpu';
  const dtype = o.dtype ?? (device === 'cpu' ? 'bfloat16' : 'float16');
  const [prevEnabled, prevDtype] = native.autocastSet(device, o.enabled ?? true, dtype) as [boolean, DType];
  native.autocastEnter();
  try {
    const r = fn();
    assertSync(r, 'autocast');
    return r;
  } finally {
    native.autocastExit();
    native.autocastSet(device, prevEnabled, prevDtype);
  }
}

/** Seeds libtorch's CPU generator (and CUDA's, when present). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
  native.cudaManualSeed(seed);
}
/** The CPU generator's state (a uint8 tensor), for resume. */
export const getRngState = (): Tensor => wrap(native.getRngState());
export const setRngState = (state: Tensor): void => native.setRngState(state.handle);

export const getNumThreads = (): number => native.getNumThreads();
/** Threads for libtorch's CPU ops (intra-op) and, where the BLAS is OpenBLAS, for its own pool (see info().blasThreads). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  native.setNumThreads(n);
}

export interface CpuCacheStats {
  /** Most bytes kept idle for reuse (0: freed memory goes back to the system at once). */
  limitBytes: number;
  idleBytes: number;
  /** Allocations of 64 KiB and more served from the cache, and made anew. */
  hits: number;
  misses: number;
}
/**
 * Freed CPU tensor memory, kept for reuse (as PyTorch's caching allocator does on CUDA). libtorch frees every
 * activation after each op and glibc gives large blocks back to the kernel, so without the cache each batch
 * faults its activations in again: at 224 px a quarter of a run's CPU time. Blocks of 64 KiB and more are
 * kept, up to a limit: a quarter of the memory (the container's, if it has a limit), or TLEARN_CPU_CACHE_MB (0 turns
 * the cache off). A run empties it at each phase start, since an earlier phase's shapes do not come again.
 */
export const cpuCache = {
  setLimit(bytes: number): void {
    if (!Number.isFinite(bytes) || bytes < 0) throw new Error(`cpuCache.setLimit: expected a number of bytes >= 0, got ${bytes}`);
    native.cpuCacheInstall(Math.floor(bytes));
  },
  /** Frees what is kept idle (e.g. after a phase whose activation sizes will not come again). */
  empty: (): void => native.cpuCacheEmpty(),
  stats: (): CpuCacheStats => native.cpuCacheStats() as CpuCacheStats,
};

export const cuda = {
  isAvailable: (): boolean => native.cudaIsAvailable(),
  deviceCount: (): number => native.cudaDeviceCount(),
  synchronize: (device?: number): void => native.cudaSynchronize(device),
  /** Makes `index` the current device (torch.cuda.set_device): 'cuda' tensors and NCCL's communicators go there.
   *  Throws on a libtorch without CUDA ("this libtorch has no CUDA support ...") and for an index it does not see. */
  setDevice: (index: number): void => {
    if (!Number.isInteger(index) || index < 0) throw new Error(`cuda.setDevice: expected a device index >= 0, got ${index}`);
    native.cudaSetDevice(index);
  },
  /** The current device's index (where 'cuda' means). */
  currentDevice: (): number => native.cudaCurrentDevice(),
};

export interface TorchInfo {
  version: string;
  threads: number;
  /** OpenBLAS's own thread pool, which setNumThreads sizes too; null where the BLAS is not OpenBLAS (MKL's
   *  threads follow at::set_num_threads by themselves). */
  blasThreads: number | null;
  cuda: boolean;
  cudaDevices: number;
  parallel: string;
  config: string;
}
export function info(): TorchInfo {
  return {
    version: native.version(),
    threads: getNumThreads(),
    blasThreads: native.blasThreads() as number | null,
    cuda: cuda.isAvailable(),
    cudaDevices: cuda.deviceCount(),
    parallel: native.parallelInfo(),
    config: native.buildConfig(),
  };
}

// Debian's libtorch starts with one thread, which halves throughput on two cores. Default to all cores
// unless the user chose (OMP_NUM_THREADS or TLEARN_THREADS).
const chosen = Number(process.env.TLEARN_THREADS ?? process.env.OMP_NUM_THREADS ?? 0);
setNumThreads(chosen > 0 ? chosen : availableParallelism());

const cacheMB = process.env.TLEARN_CPU_CACHE_MB;
if (cacheMB !== undefined && !/^\d+$/.test(cacheMB)) throw new Error(`TLEARN_CPU_CACHE_MB must be a whole number of megabytes (0 turns the cache off), got '${cacheMB}'`);
// A container's memory limit (cgroup) counts, not the host's memory that os.totalmem() reports.
const memory = Math.min(totalmem(), process.constrainedMemory?.() || Infinity);
cpuCache.setLimit(cacheMB !== undefined ? Number(cacheMB) * 2 ** 20 : memory / 4);
