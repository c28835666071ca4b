// Process-level state: grad mode, autocast, seeds and RNG state, threads, devices, build information.
import { availableParallelism } from 'node:os';
import { native } from './native.js';
import { Tensor, wrap, type DType } from './tensor.js';

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
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  native.setNumThreads(n);
}

export const cuda = {
  isAvailable: (): boolean => native.cudaIsAvailable(),
  deviceCount: (): number => native.cudaDeviceCount(),
  synchronize: (device?: number): void => native.cudaSynchronize(device),
};

export interface TorchInfo {
  version: string;
  threads: number;
  cuda: boolean;
  cudaDevices: number;
  parallel: string;
  config: string;
}
export function info(): TorchInfo {
  return {
    version: native.version(),
    threads: getNumThreads(),
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
