// Containers: Sequential (children "0", "1", … applied in order) and ModuleList (children held, not called).
import type { Tensor } from '../torch/index.js';
import { Module } from './module.js';

abstract class IndexedModules extends Module {
  #items: Module[] = [];

  constructor(modules: Iterable<Module>) {
    super();
    for (const m of modules) this.append(m);
  }
  /** Adds a module under the next index. */
  append(m: Module): this {
    this.registerModule(String(this.#items.length), m);
    this.#items.push(m);
    return this;
  }
  get length(): number {
    return this.#items.length;
  }
  /** The i-th module (negative counts from the end); the type argument is an unchecked convenience. */
  at<M extends Module = Module>(i: number): M {
    const j = i < 0 ? this.#items.length + i : i;
    if (!Number.isInteger(j) || j < 0 || j >= this.#items.length) {
      throw new Error(`${this.typeName}.at(${i}): index out of range for ${this.#items.length} modules`);
    }
    return this.#items[j] as M;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.#items[Symbol.iterator]();
  }
}

export class Sequential extends IndexedModules {
  constructor(...modules: Module[]) {
    super(modules);
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this) y = m.forward(y);
    return y;
  }
}

export class ModuleList extends IndexedModules {
  constructor(modules: Iterable<Module> = []) {
    super(modules);
  }
  forward(_x: Tensor): Tensor {
    throw new Error('ModuleList has no forward: iterate over its modules');
  }
}
