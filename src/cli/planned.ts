// Lazy imports of the modules the commands drive. Imported on use only, so `--help` and argument errors never
// load the native engine, and a build without a part reports which part is missing instead of crashing.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotAvailableError } from './errors.js';
import { packageRoot } from './paths.js';

/**
 * Imports `specifier` (relative to this file) and returns its export `name`, checking that it is a function.
 * `what` names the feature for the error message ("training", "evaluation").
 */
export async function loadFunction<F extends (...args: any[]) => any>(specifier: string, name: string, what: string): Promise<F> {
  const url = new URL(specifier, import.meta.url);
  const shown = path.relative(packageRoot(), fileURLToPath(url));
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Only a missing module itself means "not in this build"; an error inside it is a real failure.
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(url.pathname.replace(/\.js$/, ''))) {
      throw new NotAvailableError(`${what} is not available in this build of tlearn (module ${shown} is missing)`);
    }
    throw err;
  }
  const fn = mod[name];
  if (typeof fn !== 'function') {
    throw new NotAvailableError(`${what} is not available in this build of tlearn (${shown} has no function ${name})`);
  }
  return fn as F;
}
