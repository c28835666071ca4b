// Entry point of the `tlearn` command (bin/tlearn.js imports the compiled file and calls main()).
import { CommanderError } from 'commander';
import { ConfigError } from '../train/config/index.js';
import { isRunFailure } from '../train/failures.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, NotAvailableError, shortenArguments, UsageError, withFlags } from './errors.js';
import { processIO, type CliIO } from './io.js';
import { buildProgram } from './program.js';

export interface RunCliOptions {
  /** Parse only: receive the command and its typed options instead of running it. */
  dryRun?: (command: string, options: object) => void;
}

/**
 * Parses `argv` (the arguments after the program name), runs the command and returns the exit code:
 * 0 success, 1 failure of the run, 2 bad usage or bad input. Never calls process.exit.
 */
export async function runCli(argv: string[], io: CliIO = processIO(), opts: RunCliOptions = {}): Promise<number> {
  let code = EXIT_OK;
  let current = 'tlearn';
  let command = '';
  let jsonEvents = false;
  const program = buildProgram(io, async (name, options, run) => {
    command = name;
    current = `tlearn ${name}`;
    // train and demo print JSON lines with --json: a failure ends that stream with an error event.
    jsonEvents = (name === 'train' || name === 'demo') && (options as { json?: boolean }).json === true;
    if (opts.dryRun) opts.dryRun(command, options);
    else code = (await run()) ?? EXIT_OK;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed the message (or the help / version).
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
      // The arguments did not parse, so no action ran: a --json stream still ends with its error event.
      if (!command && wantsJsonEvents(argv)) {
        io.out(`${JSON.stringify({ type: 'error', message: shortenArguments(err.message).replace(/^error: /, ''), exitCode: EXIT_USAGE })}\n`);
      }
      return EXIT_USAGE;
    }
    const exitCode = exitCodeOf(err, command);
    // The trainer's setup errors name configuration keys; the command line names the flags beside them.
    const message = err instanceof Error ? (err.name === 'TrainSetupError' ? withFlags(err.message) : err.message) : String(err);
    io.err(`${current}: ${message}\n`);
    if (exitCode === EXIT_FAILURE && err instanceof Error && process.env.TLEARN_DEBUG) io.err(`${err.stack}\n`);
    if (jsonEvents) io.out(`${JSON.stringify({ type: 'error', message, exitCode })}\n`);
    return exitCode;
  }
}

/** `train ... --json` / `demo ... --json` (before any '--'), read from the raw arguments when commander could not parse them. */
function wantsJsonEvents(argv: string[]): boolean {
  const end = argv.indexOf('--');
  const args = end < 0 ? argv : argv.slice(0, end);
  const name = args.find((a) => !a.startsWith('-'));
  return (name === 'train' || name === 'demo') && args.includes('--json');
}

/**
 * The exit code of an error that ended `command`: 2 for bad usage or bad input, 1 for a failure of the run.
 * Bad input found by the trainer (a run folder in the way, an --out that cannot be created (any command); data, weights or a saved state that cannot be used,
 * found before training starts) comes as RunDirError / TrainSetupError, matched by name so that this file
 * does not load the trainer. evaluate, predict, export, info, compare and calibrate only read their inputs and compute: what goes wrong
 * there is the inputs' fault (a corrupt or foreign model file, options that contradict its metadata, bad
 * data), unless it is recognisably a failure (a bug, the engine, the disk; see isRunFailure).
 */
export function exitCodeOf(err: unknown, command: string): number {
  if (err instanceof UsageError || err instanceof ConfigError) return EXIT_USAGE;
  if (err instanceof NotAvailableError) return EXIT_FAILURE;
  if (err instanceof Error && ['RunDirError', 'TrainSetupError', 'OutputPathError'].includes(err.name)) return EXIT_USAGE;
  if (['evaluate', 'predict', 'export', 'explain', 'info', 'compare', 'calibrate'].includes(command) && !isRunFailure(err)) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** Runs the CLI on process.argv and sets the process exit code. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  // `tlearn predict ... | head`: a reader that stops early is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  process.exitCode = await runCli(argv);
}
