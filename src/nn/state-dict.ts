// Loading a state dict into a module: check every key and shape first, report problems by name, then copy
// in place under noGrad (copy_ converts dtype and device, as torch's param.copy_(input_param) does).
import { Tensor, noGrad } from '../torch/index.js';

export type StateDictInput = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;
export interface LoadOptions {
  /** Throw on any missing, unexpected or mismatched key (default true). */
  strict?: boolean;
}
export interface ShapeMismatch {
  key: string;
  /** The shape in the model. */
  expected: number[];
  /** The shape in the state dict. */
  got: number[];
}
export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
  mismatched: ShapeMismatch[];
}

/**
 * What loading needs of a module, as Module provides it; stated here so that this file, which module.ts
 * imports, does not import module.ts back.
 */
export interface StateOwner {
  readonly typeName: string;
  /** [full key, owning module, its local name, the tensor] for every parameter and buffer. */
  stateSlots(): [string, StateOwner, string, Tensor][];
  canFillMissingState(local: string): boolean;
  fillMissingState(local: string): void;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

export function applyStateDict(model: StateOwner, sd: StateDictInput, opts: LoadOptions = {}): LoadResult {
  const strict = opts.strict ?? true;
  const input: Map<string, unknown> = sd instanceof Map ? new Map(sd) : new Map(Object.entries(sd));
  const slots = model.stateSlots();
  const known = new Set(slots.map(([key]) => key));
  const result: LoadResult = { missingKeys: [], unexpectedKeys: [], mismatched: [] };
  const copies: [Tensor, Tensor][] = [];
  const fills: [StateOwner, string][] = [];

  for (const [key, owner, local, target] of slots) {
    if (!input.has(key)) {
      // Keys a module can fill itself (BatchNorm's num_batches_tracked) are not missing; the filling waits
      // until the checks have passed, so that a strict failure changes nothing.
      if (owner.canFillMissingState(local)) fills.push([owner, local]);
      else result.missingKeys.push(key);
      continue;
    }
    const value = input.get(key);
    if (!(value instanceof Tensor) || value.isDisposed) {
      throw new Error(`loadStateDict: the value of '${key}' is not a live Tensor`);
    }
    if (!sameShape(value.shape, target.shape)) {
      result.mismatched.push({ key, expected: target.shape, got: value.shape });
      continue;
    }
    copies.push([target, value]);
  }
  for (const key of input.keys()) if (!known.has(key)) result.unexpectedKeys.push(key);

  const failed = result.missingKeys.length + result.unexpectedKeys.length + result.mismatched.length > 0;
  if (strict && failed) throw new Error(describe(model.typeName, result));
  noGrad(() => {
    for (const [target, value] of copies) target.copy_(value);
    for (const [owner, local] of fills) owner.fillMissingState(local);
  });
  return result;
}

const MAX_LISTED = 40;
function list(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED).map((k) => `"${k}"`).join(', ');
  return items.length > MAX_LISTED ? `${shown}, … (${items.length - MAX_LISTED} more)` : shown;
}

/** The error text, in the shape of torch's load_state_dict message. */
export function describe(typeName: string, r: LoadResult): string {
  const lines = [`loadStateDict: error(s) in loading the state dict for ${typeName}:`];
  if (r.missingKeys.length) lines.push(`  Missing key(s) (${r.missingKeys.length}): ${list(r.missingKeys)}.`);
  if (r.unexpectedKeys.length) lines.push(`  Unexpected key(s) (${r.unexpectedKeys.length}): ${list(r.unexpectedKeys)}.`);
  for (const m of r.mismatched.slice(0, MAX_LISTED)) {
    lines.push(`  Size mismatch for ${m.key}: the state dict has shape [${m.got}], the model has shape [${m.expected}].`);
  }
  if (r.mismatched.length > MAX_LISTED) lines.push(`  … and ${r.mismatched.length - MAX_LISTED} more size mismatches.`);
  return lines.join('\n');
}
