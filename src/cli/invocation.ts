// How the user started tlearn, so that a command printed for them to run next (the resume after Ctrl-C)
// works when typed as shown: a checkout puts no `tlearn` on PATH (the README runs `npx tlearn`), and
// `node bin/tlearn.js` is another common way in.
import path from 'node:path';

export interface InvocationContext {
  /** process.argv[1]: the script node runs (a bin link, bin/tlearn.js, or another program's script). */
  script: string | undefined;
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** A word for a POSIX shell: as it is when it has only safe characters, else in single quotes. */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The words that start tlearn the way it was started:
 * - `npx tlearn` under npx / npm exec (npm sets npm_command=exec), and for a bin link inside node_modules/.bin
 *   (npm scripts run those; outside them npx finds it);
 * - `tlearn` for a bin link in a folder on PATH (a global install, npm link);
 * - `node SCRIPT` for bin/tlearn.js run by node (as node gives it: absolute);
 * - `npx tlearn` otherwise (tlearn called from another program's code: the README's way to run it).
 */
export function invocation(ctx: InvocationContext): string {
  const { script, env } = ctx;
  if (env.npm_command === 'exec' || env.npm_lifecycle_event === 'npx') return 'npx tlearn';
  if (!script) return 'npx tlearn';
  const base = path.basename(script);
  const dir = path.dirname(script);
  if (base === 'tlearn' || base === 'tlearn.cmd') {
    if (path.basename(dir) === '.bin' && path.basename(path.dirname(dir)) === 'node_modules') return 'npx tlearn';
    const delimiter = (ctx.platform ?? process.platform) === 'win32' ? ';' : ':';
    const onPath = (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean).map((d) => path.resolve(d));
    return onPath.includes(path.resolve(dir)) ? 'tlearn' : shellWord(script);
  }
  if (base === 'tlearn.js') return `node ${shellWord(script)}`;
  return 'npx tlearn';
}

/** invocation() of this process. */
export function currentInvocation(): string {
  return invocation({ script: process.argv[1], env: process.env });
}
