// NamedSequential: torch's nn.Sequential(OrderedDict(...)), children under given names applied in order.
// torchvision names them in RegNet (trunk_output.block1, block1.block1-0, f.a / f.b / f.se / f.c) and ViT
// (encoder.layers.encoder_layer_0, heads.head), so the names are part of the state_dict keys.
import type { Tensor } from '../torch/index.js';
import { Module } from './module.js';

export class NamedSequential extends Module {
  readonly #items: Module[] = [];

  constructor(entries: Iterable<readonly [string, Module]> = []) {
    super();
    for (const [name, m] of entries) this.add(name, m);
  }
  /** Adds a module under `name` (after the others). */
  add(name: string, m: Module): this {
    this.registerModule(name, m);
    this.#items.push(m);
    return this;
  }
  get length(): number {
    return this.#items.length;
  }
  /** The module registered under `name`; throws naming the known ones. */
  get<M extends Module = Module>(name: string): M {
    for (const [n, m] of this.namedChildren()) if (n === name) return m as M;
    throw new Error(`${this.typeName}: no module '${name}' (known: ${[...this.namedChildren()].map(([n]) => n).join(', ')})`);
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.#items[Symbol.iterator]();
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.#items) y = m.forward(y);
    return y;
  }
}
