// Lazy imports of the modules the commands drive. Imported on use only, so `--help` and argument errors never
// load the native engine, and a build without a part reports which part is missing instead of crashing.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotAvailableError } from './errors.js';
import { packageRoot } from './paths.js';

/**
 * Runs `load`, a literal `() => import('../../train/index.js')`, so the module comes back typed as
 * `typeof import(...)`: the command calls the layer below through its own declarations, no copies of them.
 * A module of tlearn's own that is missing (a build without that part) is a NotAvailableError naming it;
 * `what` names the feature ("training", "evaluation"). A missing npm package or an error inside the module
 * is a real failure and passes through.
 */
export async function loadPart<M>(load: () => Promise<M>, what: string): Promise<M> {
  try {
    return await load();
  } catch (err) {
    const missing = missingOwnModule(err);
    if (missing !== null) throw new NotAvailableError(`${what} is not available in this build of tlearn (module ${missing} is missing)`);
    throw err;
  }
}

/** The package-relative path of the tlearn file an ERR_MODULE_NOT_FOUND names, or null for anything else. */
function missingOwnModule(err: unknown): string | null {
  const e = err as NodeJS.ErrnoException;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') return null;
  // Node: "Cannot find module '/abs/path/dist/src/eval/index.js' imported from ..."; packages say "Cannot find package".
  const file = /^Cannot find module '([^']+)'/.exec(e.message)?.[1];
  if (file === undefined) return null;
  const absolute = file.startsWith('file:') ? fileURLToPath(file) : file;
  const shown = path.relative(packageRoot(), absolute);
  // Compiled (dist/src/...) or run from source (src/...); a file missing in node_modules is a broken install.
  return /^(dist[\\/])?src[\\/]/.test(shown) ? shown : null;
}
