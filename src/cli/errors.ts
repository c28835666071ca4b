// Exit codes of the contract: 0 success, 1 failure of the run, 2 bad usage or bad input.
import { MAX_QUOTED, shorten } from '../format/quote.js';
import { KEY_FLAGS } from '../train/config/index.js';

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

// Key paths only (phases[0].epochs, input.imageSize): a one-word key (seed, device) is also a word of the prose.
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const KEY_PATTERN = new RegExp(
  `(?<![\\w.\\[\\]-])(${[...KEY_FLAGS.keys()].filter((k) => /[.[]/.test(k)).sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})(?![\\w.\\[])`, 'g');

/**
 * A library error's message as the command line says it: each configuration key that a flag sets gets the flag
 * in front, as ConfigError's messages have it (`phases[0].epochs` -> `--epochs1 (phases[0].epochs)`). A key
 * inside a longer path (config.phases[0].epochs, phases[0].epochs.x) is left alone, and so are one-word keys.
 */
export function withFlags(message: string): string {
  return message.replace(KEY_PATTERN, (key) => `${KEY_FLAGS.get(key)!} (${key})`);
}
