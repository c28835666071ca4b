// Reading a config file (JSON or YAML): at most MAX_CONFIG_BYTES (a 45 MB YAML list took 2.5 GB and 38 s to
// parse before its first key was refused), UTF-8 or UTF-16 text, and in JSON no key given twice (YAML refuses
// those itself). Every problem is a ConfigError naming the file.
import fs from 'node:fs';
import YAML from 'yaml';
import { quote, shorten } from '../../format/quote.js';
import { decodeText } from '../../data/text.js';
import { checkRegularFileSync, NotRegularFileError } from '../../io/regular-file.js';
import { ConfigError, formatPath } from './error.js';
import { isPlainObject } from './validate.js';
import { findDuplicateKey } from './json-duplicates.js';

/** The largest config file read: a complete configuration with every key is about 3 KB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function tooLarge(size?: number): Error {
  const mb = size === undefined ? undefined : size / MAX_CONFIG_BYTES;
  const what = mb === undefined || mb < 1.05 ? 'more than 1 MB' : `${mb.toFixed(1)} MB`;
  return new Error(`the file is ${what}; a configuration file is at most 1 MB (is it the right file?)`);
}

/**
 * The bytes of a regular file (a FIFO or a device is refused), refused when over the limit: by its size before
 * reading, and by reading at most one byte more than the limit (a file that grows meanwhile).
 */
function readCapped(file: string): Buffer {
  checkRegularFileSync(file); // a FIFO would block the process for ever
  const fd = fs.openSync(file, 'r');
  try {
    const st = fs.fstatSync(fd);
    if (st.isFile() && st.size > MAX_CONFIG_BYTES) throw tooLarge(st.size);
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    while (n < buf.length) {
      const r = fs.readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > MAX_CONFIG_BYTES) throw tooLarge(st.isFile() ? n : undefined);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** A system error's words without the path it repeats (ENOENT: no such file or directory). */
function systemReason(err: Error): string {
  return err.message.replace(/, \w+ '[\s\S]*'$/, '');
}

/** JSON.parse's message with its character position as line and column (what an editor shows). */
function jsonSyntaxError(text: string, err: Error): string {
  const msg = err.message;
  const at = /^(.*?)(?: in JSON)? at position (\d+)(?: \(line \d+ column \d+\))?$/.exec(msg);
  if (at) {
    const before = text.slice(0, Number(at[2]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return `line ${line}, column ${column}: ${at[1]}`;
  }
  if (/Unexpected end of JSON input/.test(msg)) return `the file ends too early (line ${text.split('\n').length}): a value, ']' or '}' is missing`;
  return msg;
}

/** Parses JSON, refusing a key given twice in one object (JSON.parse would keep the last silently). */
function parseJson(text: string, file: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ path: 'config', message: `not valid JSON: ${jsonSyntaxError(text, err as Error)}` }], file);
  }
  const dup = findDuplicateKey(text);
  if (dup) {
    const lines = dup.firstLine === dup.line ? `line ${dup.line}` : `lines ${dup.firstLine} and ${dup.line}`;
    throw new ConfigError([{ path: formatPath(dup.path), message: `${quote(dup.key)} is given twice (${lines}); JSON readers keep only the last, so remove one` }], file);
  }
  return value;
}

/**
 * YAML 1.2 (a superset of JSON); duplicate keys are errors, and so is a tag other than YAML's own (`!!python/
 * object/apply:os.system`, `!!js/function`): the yaml package would only warn on the process's stderr and keep
 * the tagged value as a plain string, so `checkpointFormat: !!python/object/apply:os.system "both"` was accepted.
 */
function parseYaml(text: string): unknown {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw doc.errors[0];
  for (const w of doc.warnings) {
    if (w.code !== 'TAG_RESOLVE_FAILED') throw w;
    const [from, to] = w.pos;
    throw new Error(`the tag ${shorten(text.slice(from, to))} (line ${w.linePos?.[0].line ?? '?'}) is not one tlearn reads; remove it`);
  }
  return doc.toJS(); // at most 100 alias references by default: a billion laughs is refused
}

/** Reads a JSON (.json) or YAML (anything else) config file into a raw object. */
export function loadConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = decodeText(readCapped(file), 'the file');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = err instanceof NotRegularFileError ? `cannot read the file: ${err.reason}` : e.code ? `cannot read the file: ${systemReason(e)}` : e.message;
    throw new ConfigError([{ path: 'config', message: why }], file);
  }
  let value: unknown;
  if (/\.json$/i.test(file)) value = parseJson(text, file);
  else {
    try {
      value = parseYaml(text);
    } catch (err) {
      throw new ConfigError([{ path: 'config', message: `not valid YAML: ${(err as Error).message}` }], file);
    }
  }
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw new ConfigError([{ path: 'config', message: `expected a mapping of keys at the top level, got ${Array.isArray(value) ? 'a list' : typeof value}` }], file);
  return value;
}
