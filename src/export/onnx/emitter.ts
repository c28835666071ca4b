// Module → ONNX nodes: a registry of small emitter functions, one per module class, and the context they
// write through. A class is matched exactly (a subclass may compute something else, e.g. ImageClassifier's
// forward leaves out the head's Sigmoid), so a module without its own emitter is refused by path and type,
// never exported as a guess. New architectures add their emitters with registerEmitter.
import { BatchNorm2d, Conv2d, type Module } from '../../nn/index.js';
import type { GraphBuilder } from '../../onnx/index.js';
import type { Tensor } from '../../torch/index.js';
import { float32Bytes, foldConvBn } from './weights.js';

/** Writes the nodes computing `m.forward(x)` for the value named `x`; returns the output value's name. */
export type Emitter<M extends Module = Module> = (e: GraphEmitter, m: M, path: string, x: string) => string;

type ModuleClass<M extends Module> = abstract new (...args: any[]) => M;

const EMITTERS = new Map<ModuleClass<Module>, Emitter>();

/** Registers how modules of exactly this class are exported (a later registration replaces an earlier one). */
export function registerEmitter<M extends Module>(type: ModuleClass<M>, emit: Emitter<M>): void {
  EMITTERS.set(type, emit as Emitter);
}

/** The module classes that export, by name (for messages). */
export function exportableTypes(): string[] {
  return [...EMITTERS.keys()].map((c) => c.name).sort();
}

/** A module the ONNX writer has no mapping for. */
export class UnsupportedModuleError extends Error {
  override name = 'UnsupportedModuleError';
  constructor(readonly path: string, readonly typeName: string) {
    super(`cannot export ${path === '' ? 'the model' : `module '${path}'`} of type ${typeName} to ONNX: no mapping for that type ` +
      `(types that export: ${exportableTypes().join(', ')})`);
  }
}

/** Dotted path of a child ('' is the root). */
export const childPath = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

/** The context emitters write through: the graph, plus emission of children, chains and (folded) convolutions. */
export class GraphEmitter {
  constructor(readonly g: GraphBuilder) {}

  /** The nodes of `m.forward(x)`, by m's exact class. */
  emit(m: Module, path: string, x: string): string {
    const emit = EMITTERS.get(m.constructor as ModuleClass<Module>);
    if (!emit) throw new UnsupportedModuleError(path, m.typeName);
    return emit(this, m, path, x);
  }

  /** A child module by name, emitted under its dotted path. */
  child(parent: Module, name: string, parentPath: string, x: string): string {
    return this.emit(parent.getSubmodule(name), childPath(parentPath, name), x);
  }

  /**
   * Modules applied in order (a Sequential's children, a block's branch). A Conv2d directly followed by a
   * BatchNorm2d becomes one Conv with the BatchNorm folded in.
   */
  chain(items: readonly (readonly [string, Module])[], x: string): string {
    let y = x;
    for (let i = 0; i < items.length; i++) {
      const [path, m] = items[i]!;
      const next = items[i + 1];
      if (m instanceof Conv2d && m.constructor === Conv2d && next && next[1].constructor === BatchNorm2d) {
        y = this.conv(m, path, y, next[1] as BatchNorm2d, next[0]);
        i++;
      } else {
        y = this.emit(m, path, y);
      }
    }
    return y;
  }

  /** A Conv node for `conv`, with `bn` (at `bnPath`) folded into its weight and bias when given. */
  conv(conv: Conv2d, path: string, x: string, bn?: BatchNorm2d, bnPath?: string): string {
    let w: string, b: string | undefined;
    if (bn) {
      const folded = foldConvBn(conv, bn, `${path} + ${bnPath}`);
      try {
        w = this.tensor(`${path}.weight`, folded.weight);
        b = this.tensor(`${path}.bias`, folded.bias);
      } finally {
        folded.weight.dispose();
        folded.bias.dispose();
      }
    } else {
      w = this.tensor(`${path}.weight`, conv.weight);
      b = conv.bias ? this.tensor(`${path}.bias`, conv.bias) : undefined;
    }
    const [ph, pw] = conv.padding;
    return this.g.node('Conv', b ? [x, w, b] : [x, w], {
      kernel_shape: conv.kernelSize, strides: conv.stride, pads: [ph, pw, ph, pw], dilations: conv.dilation, group: conv.groups,
    }, bn ? bnPath : path);
  }

  /** An initializer holding the tensor's values as float32. */
  tensor(name: string, t: Tensor): string {
    return this.g.initializer(name, 'float32', t.shape, float32Bytes(t));
  }
}
