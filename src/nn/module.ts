// Module: the base of every layer and model. It owns named parameters (leaf tensors that require grad),
// named buffers (running statistics and the like) and named child modules, in registration order, so that
// dotted names and stateDict() order equal PyTorch's state_dict() for the equivalent torch model.
import { type Tensor, keep, noGrad, scope, isDType, type DType, type DeviceName } from '../torch/index.js';
import { applyStateDict, type LoadOptions, type LoadResult, type StateDictInput } from './state-dict.js';

export type StateDict = Map<string, Tensor>;

const FLOATING: ReadonlySet<DType> = new Set(['float32', 'float64', 'float16', 'bfloat16']);
export const isFloating = (t: Tensor): boolean => FLOATING.has(t.dtype);

/** `name` is `prefix` itself or lies under it: 'layer4' matches 'layer4.0.conv1.weight' but not 'layer40.x'. */
export function underPrefix(name: string, prefix: string): boolean {
  return prefix === '' || name === prefix || name.startsWith(prefix + '.');
}

export abstract class Module {
  /** Training mode (dropout active, batch statistics used and updated); see train()/eval(). */
  training = true;
  readonly #params = new Map<string, Tensor | undefined>();
  readonly #buffers = new Map<string, Tensor | undefined>();
  readonly #nonPersistent = new Set<string>();
  readonly #children = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;
  /** Alias of forward, as calling a torch module. */
  call(x: Tensor): Tensor {
    return this.forward(x);
  }

  // ---- registration (order of calls = order of names, as attribute assignment in PyTorch) ----

  /** Registers a parameter: a floating leaf tensor, made to require grad and kept out of every scope.
   *  `undefined` reserves the name (like `register_parameter('bias', None)`); it is skipped everywhere. */
  registerParameter(name: string, t: Tensor): Tensor;
  registerParameter(name: string, t: Tensor | undefined): Tensor | undefined;
  registerParameter(name: string, t: Tensor | undefined): Tensor | undefined {
    this.#checkName(name, this.#params);
    if (t !== undefined) {
      if (!isFloating(t)) throw new Error(`${this.typeName}.registerParameter('${name}'): a parameter must be floating point, got ${t.dtype}`);
      if (!t.isLeaf) throw new Error(`${this.typeName}.registerParameter('${name}'): a parameter must be a leaf tensor; pass t.detach()`);
      keep(t).requiresGrad_(true);
    }
    this.#params.set(name, t);
    return t;
  }

  /** Registers a buffer (state that is not trained). Non-persistent buffers are left out of stateDict(). */
  registerBuffer(name: string, t: Tensor, persistent?: boolean): Tensor;
  registerBuffer(name: string, t: Tensor | undefined, persistent?: boolean): Tensor | undefined;
  registerBuffer(name: string, t: Tensor | undefined, persistent = true): Tensor | undefined {
    this.#checkName(name, this.#buffers);
    if (t !== undefined) keep(t);
    this.#buffers.set(name, t);
    if (persistent) this.#nonPersistent.delete(name);
    else this.#nonPersistent.add(name);
    return t;
  }

  /** Registers a child module; its names get the prefix `name.`. Returns the child for field assignment. */
  registerModule<M extends Module>(name: string, m: M): M {
    this.#checkName(name, this.#children);
    if (!(m instanceof Module)) throw new Error(`${this.typeName}.registerModule('${name}'): expected a Module`);
    this.#children.set(name, m);
    return m;
  }

  #checkName(name: string, own: Map<string, unknown>): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new Error(`${this.typeName}: invalid name ${JSON.stringify(name)} (non-empty, without '.')`);
    }
    for (const m of [this.#params, this.#buffers, this.#children] as Map<string, unknown>[]) {
      if (m !== own && m.has(name)) throw new Error(`${this.typeName}: the name '${name}' is already used by another parameter, buffer or module`);
    }
  }

  get typeName(): string {
    return this.constructor.name;
  }

  // ---- lookup ----

  getParameter(name: string): Tensor | undefined {
    return this.#params.get(name);
  }
  getBuffer(name: string): Tensor | undefined {
    return this.#buffers.get(name);
  }
  /** The module at a dotted path ('' is this module); throws naming the first missing part. */
  getSubmodule(path: string): Module {
    let m: Module = this;
    if (path === '') return m;
    for (const part of path.split('.')) {
      const next = m.#children.get(part);
      if (!next) throw new Error(`${this.typeName}.getSubmodule('${path}'): ${m.typeName} has no child '${part}'`);
      m = next;
    }
    return m;
  }

  // ---- traversal (PyTorch's orders) ----

  *namedChildren(): Generator<[string, Module]> {
    yield* this.#children.entries();
  }
  children(): Module[] {
    return [...this.#children.values()];
  }
  /** Pre-order, this module first with name prefix; each module once. */
  *namedModules(prefix = '', memo = new Set<Module>()): Generator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [name, child] of this.#children) yield* child.namedModules(prefix ? `${prefix}.${name}` : name, memo);
  }
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }
  /** Parameters by dotted name, module by module in pre-order, each tensor once. */
  namedParameters(prefix = ''): [string, Tensor][] {
    return this.#namedMembers(prefix, (m) => m.#params);
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }
  /** Buffers by dotted name (persistent or not), each tensor once. */
  namedBuffers(prefix = ''): [string, Tensor][] {
    return this.#namedMembers(prefix, (m) => m.#buffers);
  }
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }
  #namedMembers(prefix: string, members: (m: Module) => Map<string, Tensor | undefined>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [modName, m] of this.namedModules(prefix)) {
      for (const [name, t] of members(m)) {
        if (t === undefined || seen.has(t)) continue;
        seen.add(t);
        out.push([modName ? `${modName}.${name}` : name, t]);
      }
    }
    return out;
  }
  /** Calls fn on every descendant, children before parents (as torch's Module.apply). */
  apply(fn: (m: Module) => void): this {
    for (const child of this.#children.values()) child.apply(fn);
    fn(this);
    return this;
  }
  /** Number of parameter elements, all or only those that require grad. */
  countParameters(trainableOnly = false): number {
    return this.parameters().reduce((n, p) => (trainableOnly && !p.requiresGrad ? n : n + p.numel), 0);
  }

  // ---- modes ----

  train(on = true): this {
    for (const m of this.modules()) m.training = on;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  // ---- state ----

  /**
   * Parameters then persistent buffers of each module, children after their parent: the keys and order of
   * torch's state_dict(). Values are new handles on the same storage (as `detach()`); dispose them (or call
   * inside a scope). With keepVars the module's own tensors are returned: do not dispose those.
   */
  stateDict(opts: { keepVars?: boolean; prefix?: string } = {}): StateDict {
    const out: StateDict = new Map();
    this.#saveTo(out, opts.prefix ?? '', opts.keepVars ?? false);
    return out;
  }
  #saveTo(out: StateDict, prefix: string, keepVars: boolean): void {
    for (const [name, t] of this.#params) if (t) out.set(prefix + name, keepVars ? t : t.detach());
    for (const [name, t] of this.#buffers) {
      if (t && !this.#nonPersistent.has(name)) out.set(prefix + name, keepVars ? t : t.detach());
    }
    for (const [name, child] of this.#children) child.#saveTo(out, `${prefix}${name}.`, keepVars);
  }
  /** The slots a state dict fills: [key, module, local name, tensor], in stateDict() order. */
  stateSlots(prefix = ''): [string, Module, string, Tensor][] {
    const out: [string, Module, string, Tensor][] = [];
    for (const [name, t] of this.#params) if (t) out.push([prefix + name, this, name, t]);
    for (const [name, t] of this.#buffers) if (t && !this.#nonPersistent.has(name)) out.push([prefix + name, this, name, t]);
    for (const [name, child] of this.#children) out.push(...child.stateSlots(`${prefix}${name}.`));
    return out;
  }

  /**
   * Copies values into this module's tensors, in place and without recording gradients. Missing, unexpected
   * and shape-mismatched keys are reported by name: with strict (the default) nothing is copied and an Error
   * lists them; otherwise the matching keys are copied and the lists are returned.
   */
  loadStateDict(sd: StateDictInput, opts: LoadOptions = {}): LoadResult {
    return applyStateDict(this, sd, opts);
  }

  /** Whether loadStateDict may leave this local key out of the input (then it calls fillMissingState).
   *  BatchNorm answers yes for num_batches_tracked, as torch does for state dicts without version metadata. */
  canFillMissingState(_name: string): boolean {
    return false;
  }
  fillMissingState(name: string): void {
    throw new Error(`${this.typeName}: cannot fill the missing state '${name}'`);
  }

  // ---- freezing ----

  /** Sets requiresGrad on the parameters under `prefix` (all when omitted); throws if none matches. */
  requiresGrad_(on = true, prefix?: string | readonly string[]): this {
    const prefixes = prefix === undefined ? [''] : typeof prefix === 'string' ? [prefix] : [...prefix];
    const named = this.namedParameters();
    for (const p of prefixes) {
      const hits = named.filter(([name]) => underPrefix(name, p));
      if (hits.length === 0) {
        const tops = [...new Set(named.map(([n]) => n.split('.')[0]))].join(', ');
        throw new Error(`${this.typeName}: no parameter under '${p}' (top-level names: ${tops || 'none'})`);
      }
      for (const [, t] of hits) t.requiresGrad_(on);
    }
    return this;
  }
  /** Stops training the parameters under the given prefixes (all when omitted). */
  freeze(prefixes?: string | readonly string[]): this {
    return this.requiresGrad_(false, prefixes);
  }
  unfreeze(prefixes?: string | readonly string[]): this {
    return this.requiresGrad_(true, prefixes);
  }
  /** Clears (or zeroes) every parameter's gradient. */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone) p.setGrad(undefined);
      else scope(() => p.grad?.zero_());
    }
  }

  // ---- placement and lifetime ----

  /**
   * Moves every parameter and buffer to a device, or converts the floating ones to a dtype (integer buffers
   * such as num_batches_tracked stay integer, as in torch). The tensor objects stay the same (their data is
   * replaced, as `param.data = …`), so optimizers built before the move keep working. Gradients follow.
   */
  to(target: DType | DeviceName | string): this {
    const toDtype = isDType(target);
    const tensors = new Set([...this.parameters(), ...this.buffers()]);
    noGrad(() =>
      scope(() => {
        for (const t of tensors) {
          if (toDtype && !isFloating(t)) continue;
          const grad = t.grad;
          const moved = t.to(target);
          if (grad) t.setGrad(undefined);
          t.setData_(moved);
          if (grad) t.setGrad(grad.to(target));
        }
      }),
    );
    return this;
  }

  /** Frees every parameter and buffer of this module and its descendants, and what they keep besides (caches).
   *  The module is unusable after. */
  dispose(): void {
    for (const m of this.modules()) {
      for (const t of m.#params.values()) t?.dispose();
      for (const t of m.#buffers.values()) t?.dispose();
      m.disposeCaches();
    }
  }

  /** Frees tensors this module keeps besides its parameters and buffers (values derived from them); dispose()
   *  calls it for every module. Nothing here; a module with such a cache overrides it. */
  protected disposeCaches(): void {}
}
