// Ctrl-C or SIGTERM during training: the first signal (or an aborted AbortSignal) asks the loop to stop after
// the current batch, save RUN/last and return; a second one exits at once. SIGTERM is what schedulers (SLURM,
// docker stop, systemd, Kubernetes) send some seconds before SIGKILL, so it gets the same graceful stop. The
// loop polls `stopRequested` between batches and yields to the event loop there, so the handler gets to run.

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof EXIT_CODES;

export class StopController {
  #reason: string | null = null;
  #by: StopSignal | 'abort' | null = null;
  #signals = 0;
  #handlers: [StopSignal, () => void][] = [];
  #signal: AbortSignal | undefined;
  #onAbort = (): void => this.request('the abort signal fired', 'abort');

  constructor(opts: { signal?: AbortSignal; handleSigint?: boolean; onFirst?: (msg: string) => void } = {}) {
    this.#signal = opts.signal;
    if (opts.signal?.aborted) this.request('the abort signal fired', 'abort');
    opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (opts.handleSigint ?? true) {
      for (const sig of Object.keys(EXIT_CODES) as StopSignal[]) {
        const handler = () => {
          this.#signals += 1;
          if (this.#signals >= 2) {
            // A second signal: the user (or the scheduler) wants out now. RUN/last still holds the last saved state.
            process.stderr.write(`\n${sig} again: exiting now (RUN/last keeps the last saved state).\n`);
            process.exit(EXIT_CODES[sig]);
          }
          opts.onFirst?.(sig === 'SIGINT'
            ? 'Interrupt: finishing the current batch and saving the state to RUN/last (Ctrl-C again to exit at once).'
            : 'SIGTERM: finishing the current batch and saving the state to RUN/last (a second SIGTERM exits at once).');
          this.request(`interrupted (${sig})`, sig);
        };
        process.on(sig, handler);
        this.#handlers.push([sig, handler]);
      }
    }
  }

  /** Asks the loop to stop at the next batch boundary. */
  request(reason: string, by: StopSignal | 'abort' | null = null): void {
    if (this.#reason !== null) return;
    this.#reason = reason;
    this.#by = by;
  }
  get stopRequested(): boolean {
    return this.#reason !== null;
  }
  get reason(): string | null {
    return this.#reason;
  }
  /** What asked for the stop: 'SIGINT', 'SIGTERM', 'abort' (the AbortSignal), or null (request() from code). */
  get stoppedBy(): StopSignal | 'abort' | null {
    return this.#by;
  }

  /** Removes the handlers (always call, in a finally). */
  close(): void {
    for (const [sig, handler] of this.#handlers) process.off(sig, handler);
    this.#handlers = [];
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
