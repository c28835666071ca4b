// Explicit tensor lifetime. Node finalizers do not run inside a synchronous training loop, so tensors
// made inside `scope(fn)` are freed when fn returns, except those it returns or `keep`s (like TF.js tidy).
import { native, type Handle } from './native.js';

/** Anything that owns native memory and can be freed now. */
export interface Disposable {
  dispose(): void;
}

const stack: Set<Disposable>[] = [];
const kept = new WeakSet<Disposable>();

/** Called by every new tensor: the innermost open scope takes ownership of it. */
export function track(t: Disposable): void {
  if (stack.length > 0) stack[stack.length - 1].add(t);
}

/** Exempts tensors from every enclosing scope; they live until `dispose()`. */
export function keep<T>(value: T): T {
  for (const t of collect(value)) {
    kept.add(t);
    for (const s of stack) s.delete(t);
  }
  return value;
}

/**
 * Runs `fn` and frees every tensor created inside it, except the ones it returns (found in arrays,
 * plain objects and Maps) and the ones passed to `keep`. Returned tensors belong to the enclosing scope.
 * `fn` must be synchronous.
 */
export function scope<T>(fn: () => T): T {
  const mine = new Set<Disposable>();
  stack.push(mine);
  let result: T;
  try {
    result = fn();
    if (result && typeof (result as { then?: unknown }).then === 'function') {
      throw new Error('scope(fn): fn must be synchronous (it returned a Promise); await outside the scope');
    }
  } catch (err) {
    stack.pop();
    for (const t of mine) if (!kept.has(t)) t.dispose();
    throw err;
  }
  stack.pop();
  const returned = collect(result);
  const parent = stack[stack.length - 1];
  for (const t of mine) {
    if (kept.has(t)) continue;
    if (returned.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Disposes every tensor found in `value` (a tensor, array, plain object or Map). */
export function dispose(value: unknown): void {
  for (const t of collect(value)) t.dispose();
}

function isDisposable(v: unknown): v is Disposable {
  return typeof v === 'object' && v !== null && typeof (v as Disposable).dispose === 'function' && 'handle' in v;
}

function collect(value: unknown, out = new Set<Disposable>(), depth = 0): Set<Disposable> {
  if (value === null || typeof value !== 'object' || depth > 8) return out;
  if (isDisposable(value)) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out, depth + 1);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, depth + 1);
  return out;
}

/** Live tensor handles held by JS and the bytes of their distinct storages. */
export function memory(): { tensors: number; bytes: number } {
  return native.memory();
}

export function isLive(h: Handle): boolean {
  return native.isLive(h);
}
