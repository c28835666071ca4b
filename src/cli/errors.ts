// Exit codes of the contract: 0 success, 1 failure of the run, 2 bad usage or bad input.
import { MAX_QUOTED, shorten } from '../format/quote.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad usage or bad input found after parsing (a missing DATA folder, a config error...): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A part of tlearn that this build does not have (yet): the run cannot happen, exit code 1. */
export class NotAvailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotAvailableError';
  }
}

/**
 * commander's error text with each quoted argument shortened to ~100 characters, and each line to 1000: it quotes
 * the value it refused whole (`argument '...' is invalid`), and a --set value may be megabytes long.
 */
export function shortenArguments(text: string): string {
  return text
    .replace(/'([^'\n]*)'/g, (whole, inner: string) => (inner.length > MAX_QUOTED ? `'${shorten(inner)}'` : whole))
    .split('\n').map((line) => shorten(line, 1000)).join('\n');
}
