// Which errors are failures of a run (exit code 1) rather than bad input (exit code 2). Reading the inputs
// (data, CSV, weights and checkpoint files, a saved state) throws plain Errors from many places; what is not
// about the inputs is recognisable: a bug (TypeError, ReferenceError), the engine (its errors name the op),
// the machine (disk full, I/O errors, too many open files) or the network (a weights download).
import { WeightsDownloadError } from '../io/weights.js';

const SYSTEM_FAILURES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'ENOMEM', 'EROFS', 'EBUSY', 'EAGAIN']);

/** True for an error that says the run failed, whatever its inputs (see above). */
export function isRunFailure(e: unknown): boolean {
  if (!(e instanceof Error)) return true;
  if (e instanceof TypeError || e instanceof ReferenceError || e instanceof WeightsDownloadError) return true;
  if (typeof (e as { op?: unknown }).op === 'string') return true;
  const code = (e as NodeJS.ErrnoException).code;
  return typeof code === 'string' && SYSTEM_FAILURES.has(code);
}
