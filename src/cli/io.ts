// Where the commands write. Tests pass their own to capture output; main() uses the process streams.

export interface CliIO {
  /** Results (JSON, CSV, tables): what a script consumes. */
  out(text: string): void;
  /** Progress, warnings and errors: what a person reads. */
  err(text: string): void;
  /** Base for relative paths on the command line. */
  cwd: string;
}

/** The stdout writer of processIO(), so a command can tell it is talking to the real terminal. */
export const processOut = (t: string): void => void process.stdout.write(t);

export function processIO(): CliIO {
  return {
    out: processOut,
    err: (t) => void process.stderr.write(t),
    cwd: process.cwd(),
  };
}
