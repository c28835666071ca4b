// The Checker: reads values out of a raw configuration, collecting every problem with its key path and what was
// expected; and the small predicates validate.ts and its sections share.
import { didYouMean } from './suggest.js';
import { quote, shorten } from '../../format/quote.js';
import { WEIGHTS } from '../../io/weights.js';
import { expectation, meetsRule, type NumberRule } from '../../models/bounds.js';
import { WEIGHT_NAMES } from './types.js';

export interface ConfigIssue {
  /** Key path, e.g. `config.phases[1].lr`. */
  path: string;
  message: string;
}

export type Obj = Record<string, unknown>;

const WEIGHT_FILE_EXT = /\.(pth|pt|bin|safetensors)$/i;

/** Registry names and aliases usable as `model.weights` (besides 'none' and file paths). */
export function registryNames(): string[] {
  return [...new Set([...WEIGHT_NAMES.filter((n) => n !== 'none'), 'imagenet-v2', ...WEIGHTS.flatMap((w) => [w.name, ...w.aliases])])];
}

/** A `model.weights` value that is a file rather than a registry name. */
export function isWeightsPath(value: string): boolean {
  return !(WEIGHT_NAMES as readonly string[]).includes(value) && (/[\\/]/.test(value) || WEIGHT_FILE_EXT.test(value));
}

export function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How a value is shown in a message: strings quoted (at most ~100 characters of them), containers by kind. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return typeof v === 'string' ? quote(v) : shorten(String(v));
}

const YAML11_TRUE = new Set(['y', 'yes', 'on']);
const YAML11_BOOLEANS = new Set([...YAML11_TRUE, 'n', 'no', 'off']);

/** Collects issues while reading values; every reader returns a usable value (the default) after a failure. */
export class Checker {
  readonly issues: ConfigIssue[] = [];
  /** Key paths set from the command line, mapped to the flag that set them (named in messages). */
  constructor(private readonly sources: ReadonlyMap<string, string> = new Map()) {}

  fail(path: string, message: string): void {
    // The flag that set this key or a key above it (`--set phases[0].trainable=[...]` for trainable[0]).
    let flag: string | undefined;
    let best = -1;
    for (const [key, f] of this.sources) {
      const covers = path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`);
      if (covers && key.length > best) {
        flag = f;
        best = key.length;
      }
    }
    this.issues.push({ path: flag ? `${flag} (${path})` : path, message });
  }

  /**
   * An object section: undefined gives {}, unknown keys are reported with a suggestion. `shorthands` names the
   * other values the caller accepts (e.g. true, false), shown in the message.
   */
  section(v: unknown, path: string, keys: readonly string[], shorthands: readonly string[] = []): Obj {
    if (v === undefined) return {};
    if (!isPlainObject(v)) {
      const forms = shorthands.length > 0 ? `${shorthands.join(', ')} or an object` : 'an object';
      // YAML 1.1's booleans are text in YAML 1.2 (which the yaml package reads).
      const yaml11 = typeof v === 'string' && shorthands.includes('false') && YAML11_BOOLEANS.has(v.toLowerCase())
        ? `; YAML reads ${v} as text: write ${YAML11_TRUE.has(v.toLowerCase()) ? 'true' : 'false'}` : '';
      this.fail(path, `expected ${forms} with the keys ${keys.join(', ')}, got ${describe(v)}${yaml11}`);
      return {};
    }
    for (const k of Object.keys(v)) {
      if (keys.includes(k)) continue;
      // YAML's flow mappings read {a:1} as the one key "a:1" (the colon needs a space after it).
      const [name, ...rest] = k.split(':');
      const glued = rest.length > 0 && keys.includes(name!) ? `: YAML reads ${JSON.stringify(shorten(k))} as one word; write {${name}: ${shorten(rest.join(':'))}}` : '';
      this.fail(`${path}.${shorten(k)}`, glued ? `not a key${glued}` : `unknown key${didYouMean(k, keys)}; expected one of ${keys.join(', ')}`);
    }
    return v;
  }

  number(v: unknown, path: string, def: number, rule: NumberRule = {}): number {
    if (v === undefined) return def;
    if (meetsRule(v, rule)) return v;
    this.fail(path, `expected ${expectation(rule)}, got ${describe(v)}`);
    return def;
  }

  choice<T extends string>(v: unknown, path: string, def: T, choices: readonly T[]): T {
    if (v === undefined) return def;
    if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
    const hint = typeof v === 'string' ? didYouMean(v, choices) : '';
    this.fail(path, `expected one of ${choices.map((c) => `"${c}"`).join(', ')}, got ${describe(v)}${hint}`);
    return def;
  }

  bool(v: unknown, path: string, def: boolean): boolean {
    if (v === undefined) return def;
    if (typeof v === 'boolean') return v;
    this.fail(path, `expected true or false, got ${describe(v)}`);
    return def;
  }

  /** true, false, or the one word `word` (e.g. "auto"). */
  boolOr<W extends string>(v: unknown, path: string, def: boolean | W, word: W): boolean | W {
    if (v === undefined) return def;
    if (typeof v === 'boolean' || v === word) return v as boolean | W;
    this.fail(path, `expected true, false or "${word}", got ${describe(v)}`);
    return def;
  }

  string(v: unknown, path: string, def: string, what = 'a non-empty string'): string {
    if (v === undefined) return def;
    if (typeof v === 'string' && v.length > 0) return v;
    this.fail(path, `expected ${what}, got ${describe(v)}`);
    return def;
  }

  nullableString(v: unknown, path: string, def: string | null, what = 'a non-empty string or null'): string | null {
    if (v === null) return null;
    return v === undefined ? def : this.string(v, path, def ?? '', what) || def;
  }

  nullableNumber(v: unknown, path: string, def: number | null, rule: NumberRule = {}): number | null {
    if (v === null) return null;
    return v === undefined ? def : this.number(v, path, def ?? 0, rule);
  }

  numberTuple<N extends number>(v: unknown, path: string, def: number[], n: N, rule: NumberRule = {}): number[] {
    if (v === undefined) return [...def];
    if (!Array.isArray(v) || v.length !== n) {
      this.fail(path, `expected an array of ${n} numbers, got ${describe(v)}`);
      return [...def];
    }
    return v.map((x, i) => this.number(x, `${path}[${i}]`, def[i], rule));
  }
}
