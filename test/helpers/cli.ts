// Runs the tlearn command line in-process with captured output, as the CLI tests need it.
import { runCli } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';

export interface CliResult { code: number; out: string; err: string }

/** A `cli(args)` that runs `tlearn ARGS` with `cwd` as the working directory and returns exit code and output. */
export function cliIn(cwd: string): (args: string[]) => Promise<CliResult> {
  return async (args) => {
    let out = '';
    let err = '';
    const io: CliIO = { out: (t) => { out += t; }, err: (t) => { err += t; }, cwd };
    const code = await runCli(args, io);
    return { code, out, err };
  };
}
