// The error of an invalid configuration, and how its messages name a key path. A message quotes at most ~100
// characters of any value or key (src/format/quote.ts): a 50 MB string in a config file or a --set must not come
// back as a 50 MB message.
import { shorten } from '../../format/quote.js';
import type { ConfigIssue } from './validate.js';

/** Longest message one issue may have: a last guard for a value quoted without `quote` (none should be). */
const MAX_ISSUE_CHARS = 1000;

/** Invalid configuration: bad usage or bad input (the CLI exits with code 2). */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  readonly file?: string;
  constructor(issues: ConfigIssue[], file?: string) {
    const capped = issues.map((i) => ({ path: shorten(i.path, MAX_ISSUE_CHARS), message: shorten(i.message, MAX_ISSUE_CHARS) }));
    const head = file ? `invalid configuration (${shorten(file)})` : 'invalid configuration';
    super(`${head}:\n${capped.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = capped;
    this.file = file;
  }
}

export type Segment = string | number;

/** `config.phases[1].lr`; a key of more than ~100 characters is shortened. */
export function formatPath(segs: readonly Segment[]): string {
  return 'config' + segs.map((s) => (typeof s === 'number' ? `[${s}]` : `.${shorten(s)}`)).join('');
}
