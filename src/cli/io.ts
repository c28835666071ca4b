// Where the commands write. Tests pass their own to capture output; main() uses the process streams.

export interface CliIO {
  /** Results (JSON, CSV, tables): what a script consumes. */
  out(text: string): void;
  /** Progress, warnings and errors: what a person reads. */
  err(text: string): void;
  /** Base for relative paths on the command line. */
  cwd: string;
}

export function processIO(): CliIO {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    cwd: process.cwd(),
  };
}
