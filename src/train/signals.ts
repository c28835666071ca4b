// Ctrl-C during training: the first SIGINT (or an aborted AbortSignal) asks the loop to stop after the
// current batch, save RUN/last and return; a second SIGINT exits at once. The loop polls `stopRequested`
// between batches and yields to the event loop there, so the signal handler gets to run.
export class StopController {
  #reason: string | null = null;
  #sigints = 0;
  #handler: (() => void) | null = null;
  #signal: AbortSignal | undefined;
  #onAbort = (): void => this.request('the abort signal fired');

  constructor(opts: { signal?: AbortSignal; handleSigint?: boolean; onFirst?: (msg: string) => void } = {}) {
    this.#signal = opts.signal;
    if (opts.signal?.aborted) this.request('the abort signal fired');
    opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (opts.handleSigint ?? true) {
      this.#handler = () => {
        this.#sigints += 1;
        if (this.#sigints >= 2) {
          // Second Ctrl-C: the user wants out now. RUN/last still holds the last completed epoch.
          process.stderr.write('\nInterrupted again: exiting now (RUN/last keeps the last saved state).\n');
          process.exit(130);
        }
        opts.onFirst?.('Interrupt: finishing the current batch and saving the state to RUN/last (Ctrl-C again to exit at once).');
        this.request('interrupted (SIGINT)');
      };
      process.on('SIGINT', this.#handler);
    }
  }

  /** Asks the loop to stop at the next batch boundary. */
  request(reason: string): void {
    this.#reason ??= reason;
  }
  get stopRequested(): boolean {
    return this.#reason !== null;
  }
  get reason(): string | null {
    return this.#reason;
  }

  /** Removes the handlers (always call, in a finally). */
  close(): void {
    if (this.#handler) process.off('SIGINT', this.#handler);
    this.#handler = null;
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/**
 * Lets pending callbacks (a SIGINT handler, finished decodes) run between two synchronous batches. Two
 * setImmediate hops, because one is not enough when the loop resumed from an I/O callback (a finished
 * RUN/last save, say): its immediate then runs in the same loop turn, before the signal pipe is polled again.
 * The second hop always lands after a poll phase.
 */
export const yieldToEventLoop = async (): Promise<void> => {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
};
