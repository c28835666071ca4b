// One case of the hostile-input corpus (test/hostile-input.test.ts): an input built by the test itself, the
// tlearn command run on it, and what tlearn must answer. Each file of test/hostile/ exports `cases`.
import type { CliResult } from '../helpers/cli.js';

export interface HostileCase {
  /** What the input is and which command gets it, e.g. 'a FIFO named as an image, to predict'. */
  name: string;
  /** Builds the input in `dir` (a fresh, empty folder, also the working directory) and returns tlearn's arguments. */
  setup(dir: string): string[] | Promise<string[]>;
  /** The exit code tlearn must give. */
  code: number;
  /** The gist of the message, matched against stderr and stdout together. */
  message: RegExp;
  /** Further checks after the command (nothing lost, nothing written). */
  after?(dir: string, result: CliResult): void | Promise<void>;
  /** Environment variables set while tlearn runs (and put back after): a launcher's, say. */
  env?: Record<string, string>;
  /** Limit for the whole case in ms (default 60 000): a case that hangs fails instead of blocking the suite. */
  timeoutMs?: number;
}
