// onnxruntime-node, loaded on first use: it is an optional dependency (about 290 MB installed), so a user who
// only trains never needs it, and the commands that do say how to install it.
import type * as Ort from 'onnxruntime-node';

export type OrtModule = typeof Ort;

export const ORT_INSTALL_HINT =
  'install it next to tlearn with `ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install onnxruntime-node` ' +
  '(its CPU build is inside the package; the variable stops its install script from downloading CUDA files)';

let loading: Promise<OrtModule> | undefined;

/**
 * onnxruntime 1.31 turns telemetry on by default: it writes a device id file ('.ses') into the temp folder and queues
 * events for upload. tlearn runs models offline and writes only what it is asked to; a user who sets the variable
 * keeps their own choice. Call it on the main thread before a worker thread loads onnxruntime: a worker's process.env
 * is a copy, and setting it there does not reach the process's environment, which onnxruntime reads.
 */
export function disableOrtTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
}

/** The onnxruntime-node module, or an Error saying how to install it. */
export function onnxRuntime(): Promise<OrtModule> {
  disableOrtTelemetry();
  loading ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: OrtModule }).default ?? m) as OrtModule,
    (e: unknown) => {
      loading = undefined;
      const code = (e as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        throw new Error(`this needs onnxruntime-node, which is not installed: ${ORT_INSTALL_HINT}`);
      }
      throw new Error(`onnxruntime-node could not be loaded (${(e as Error).message}); reinstall it: ${ORT_INSTALL_HINT}`);
    },
  );
  return loading;
}

/** Session options for CPU inference with `threads` intra-op threads (0 = onnxruntime's default). */
export function cpuSessionOptions(threads = 0): Ort.InferenceSession.SessionOptions {
  return { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
}
