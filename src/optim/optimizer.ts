// Optimizer: parameter groups with their own hyper-parameters, lazily created per-parameter state, and a
// state dict split into tensors and a JSON-able part (so a checkpoint can hold both). Subclasses implement
// updateGroup() with torch's exact update rules; step() runs it without autograd and inside a scope, so
// every temporary is freed and only the state tensors (kept) survive.
import { Tensor, keep, noGrad, scope } from '../torch/index.js';

export interface ParamGroup {
  params: Tensor[];
  lr: number;
  weightDecay: number;
  /** Written by LR schedulers (torch's initial_lr, max_lr, min_lr, max_momentum, base_momentum). */
  initialLr?: number;
  maxLr?: number;
  minLr?: number;
  maxMomentum?: number;
  baseMomentum?: number;
}
export type Hyper<G extends ParamGroup> = Omit<G, 'params'>;
/** A group as given by the caller: params plus any hyper-parameters that differ from the defaults. */
export type GroupInput<G extends ParamGroup> = Partial<Hyper<G>> & { params: Iterable<Tensor> | Tensor };
/** A plain list of tensors (one group), or a list of groups. */
export type ParamsInput<G extends ParamGroup> = Iterable<Tensor> | readonly GroupInput<G>[];

/** Per-parameter state: tensors (owned by the optimizer) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

/** The JSON-able half of an optimizer's state dict. Parameters are numbered across groups in order. */
export interface OptimizerMeta {
  type: string;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
  /** Number-valued state per parameter index, e.g. { "0": { "step": 4 } }. */
  state: Record<string, Record<string, number>>;
}
export interface OptimizerStateDict {
  meta: OptimizerMeta;
  /** State tensors keyed "<param index>.<name>", e.g. "3.exp_avg" (torch's state names). */
  tensors: Map<string, Tensor>;
}

const SCHEDULER_KEYS = ['initialLr', 'maxLr', 'minLr', 'maxMomentum', 'baseMomentum'];
const copyValue = <T>(v: T): T => (Array.isArray(v) ? ([...v] as T) : v);

export abstract class Optimizer<G extends ParamGroup = ParamGroup> {
  readonly paramGroups: G[] = [];
  readonly defaults: Readonly<Hyper<G>>;
  #state = new Map<Tensor, ParamState>();

  constructor(params: ParamsInput<G>, defaults: Hyper<G>) {
    this.defaults = defaults;
    this.validateGroup({ ...defaults, params: [] } as unknown as G, 'defaults');
    const list = [...(params as Iterable<Tensor | GroupInput<G>>)];
    if (list.length === 0) throw new Error(`${(this as { kind: string }).kind}: got an empty parameter list`);
    const groups = list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as GroupInput<G>] : (list as GroupInput<G>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** The optimizer's name in state dicts ('SGD', 'Adam', 'AdamW'). */
  abstract get kind(): string;
  /** Updates the parameters of one group that have a gradient (runs under noGrad inside a scope). */
  protected abstract updateGroup(group: G): void;
  /** Throws on invalid hyper-parameters (where names the group). */
  protected abstract validateGroup(group: G, where: string): void;
  /** State names that must be present for a parameter once it has state (checked on load). */
  protected requiredState(_group: G): string[] {
    return [];
  }

  /** Adds a group; missing hyper-parameters come from the defaults. Throws on a parameter already present. */
  addParamGroup(input: GroupInput<G>): void {
    const where = `param group ${this.paramGroups.length}`;
    const params = input.params instanceof Tensor ? [input.params] : [...input.params];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new Error(`${this.kind}: ${where}: optimizer can only optimize Tensors`);
      if (!p.isLeaf) throw new Error(`${this.kind}: ${where}: can't optimize a non-leaf Tensor`);
    }
    if (new Set(params).size !== params.length) throw new Error(`${this.kind}: ${where} contains a parameter twice`);
    const taken = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => taken.has(p))) throw new Error(`${this.kind}: some parameters appear in more than one parameter group`);
    const allowed = new Set([...Object.keys(this.defaults), ...SCHEDULER_KEYS, 'params']);
    for (const k of Object.keys(input)) if (!allowed.has(k)) throw new Error(`${this.kind}: ${where}: unknown option '${k}' (known: ${[...allowed].join(', ')})`);
    const group = { params } as unknown as G;
    const rec = group as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(this.defaults)) rec[k] = copyValue((input as Record<string, unknown>)[k] ?? v);
    for (const k of SCHEDULER_KEYS) if ((input as Record<string, unknown>)[k] !== undefined) rec[k] = (input as Record<string, unknown>)[k];
    this.validateGroup(group, where);
    this.paramGroups.push(group);
  }

  /** Clears every gradient (setToNone, torch 2's default) or zeroes it in place. */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (setToNone) p.setGrad(undefined);
        else scope(() => p.grad?.zero_());
      }
    }
  }

  /** One update of every parameter that has a gradient; parameters without one are skipped. */
  step(): void {
    noGrad(() => scope(() => {
      for (const g of this.paramGroups) this.updateGroup(g);
    }));
  }

  /** The state of a parameter, created empty on first use. Tensors put in it must be kept (see keep()). */
  protected stateOf(p: Tensor): ParamState {
    let s = this.#state.get(p);
    if (!s) this.#state.set(p, (s = {}));
    return s;
  }
  /** A parameter's state (for inspection), or undefined before its first update. */
  getState(p: Tensor): Readonly<ParamState> | undefined {
    return this.#state.get(p);
  }

  /**
   * The state: hyper-parameters of every group (with parameter indices) and per-parameter state. The tensors
   * are new handles on the optimizer's storage: dispose them (or call inside a scope) after saving.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> & { params: number[] } = { params: [] };
      for (const [k, v] of Object.entries(g)) if (k !== 'params') packed[k] = copyValue(v);
      for (const p of g.params) {
        index.set(p, index.size);
        packed.params.push(index.size - 1);
      }
      return packed;
    });
    const state: OptimizerMeta['state'] = {};
    const tensors = new Map<string, Tensor>();
    for (const [p, s] of this.#state) {
      const i = index.get(p);
      if (i === undefined) continue;
      for (const [name, v] of Object.entries(s)) {
        if (v instanceof Tensor) tensors.set(`${i}.${name}`, v.detach());
        else (state[i] ??= {})[name] = v;
      }
    }
    return { meta: { type: this.kind, paramGroups, state }, tensors };
  }

  /**
   * Restores a state dict made by stateDict() of the same optimizer type with the same group sizes: the
   * groups' hyper-parameters are replaced by the saved ones and the state tensors are copied (to each
   * parameter's dtype and device). Everything is checked before anything changes.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const fail = (msg: string): never => {
      throw new Error(`${this.kind}.loadStateDict: ${msg}`);
    };
    const meta = sd?.meta;
    if (!meta || typeof meta !== 'object' || !(sd.tensors instanceof Map)) fail('expected { meta, tensors: Map }');
    if (meta.type !== this.kind) fail(`the state was saved by ${String(meta.type)}, not ${this.kind}`);
    if (!Array.isArray(meta.paramGroups) || meta.paramGroups.length !== this.paramGroups.length) {
      fail(`loaded state dict has ${meta.paramGroups?.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
    }
    const params = this.paramGroups.flatMap((g) => g.params);
    const allowed = new Set([...Object.keys(this.defaults), ...SCHEDULER_KEYS]);
    const newGroups = meta.paramGroups.map((saved, gi) => {
      const cur = this.paramGroups[gi];
      if (!Array.isArray(saved?.params) || saved.params.length !== cur.params.length) {
        fail(`parameter group ${gi} has ${saved?.params?.length} parameters in the state dict, ${cur.params.length} in the optimizer`);
      }
      const g = { ...cur } as Record<string, unknown>;
      for (const [k, v] of Object.entries(saved)) {
        if (k === 'params') continue;
        if (!allowed.has(k)) fail(`parameter group ${gi} has an unknown option '${k}'`);
        const ok = typeof v === 'number' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
        if (!ok) fail(`parameter group ${gi}: option '${k}' must be a number, a boolean or a list of numbers`);
        g[k] = copyValue(v);
      }
      this.validateGroup(g as unknown as G, `parameter group ${gi} of the state dict`);
      return g as unknown as G;
    });

    // Gather the per-parameter entries by index from both halves.
    const entries = new Map<number, { scalars: Record<string, number>; tensors: Record<string, Tensor> }>();
    const entry = (key: string): { scalars: Record<string, number>; tensors: Record<string, Tensor> } => {
      const i = Number(key);
      if (!/^\d+$/.test(key) || i >= params.length) fail(`state for parameter '${key}', but there are ${params.length} parameters`);
      let e = entries.get(i);
      if (!e) entries.set(i, (e = { scalars: {}, tensors: {} }));
      return e;
    };
    for (const [key, rec] of Object.entries(meta.state ?? {})) {
      const e = entry(key);
      for (const [name, v] of Object.entries(rec ?? {})) {
        if (typeof v !== 'number' || !Number.isFinite(v)) fail(`state ${key}.${name} must be a finite number`);
        e.scalars[name] = v;
      }
    }
    for (const [key, t] of sd.tensors) {
      const m = /^(\d+)\.(\w+)$/.exec(key);
      if (!m) fail(`tensor key '${key}' is not "<param index>.<name>"`);
      if (!(t instanceof Tensor) || t.isDisposed) fail(`tensor '${key}' is not a live Tensor`);
      const p = params[Number(m![1])];
      const e = entry(m![1]);
      if (p && t.shape.join(',') !== p.shape.join(',')) fail(`tensor '${key}' has shape [${t.shape}], parameter ${m![1]} has shape [${p.shape}]`);
      e.tensors[m![2]] = t;
    }
    const groupOf = (p: Tensor): G => newGroups[this.paramGroups.findIndex((g) => g.params.includes(p))];
    for (const [i, e] of entries) {
      for (const name of this.requiredState(groupOf(params[i]))) {
        if (!(name in e.scalars) && !(name in e.tensors)) fail(`parameter ${i} has state but no '${name}'`);
      }
    }

    // All checked: copy the tensors, then swap state and hyper-parameters.
    const state = new Map<Tensor, ParamState>();
    noGrad(() => scope(() => {
      for (const [i, e] of entries) {
        const p = params[i];
        const s: ParamState = { ...e.scalars };
        for (const [name, t] of Object.entries(e.tensors)) s[name] = keep(t.to(p.dtype).to(p.device).clone());
        state.set(p, s);
      }
    }));
    this.dispose();
    this.#state = state;
    newGroups.forEach((g, gi) => Object.assign(this.paramGroups[gi], g));
  }

  /** Frees the state tensors (the optimizer starts afresh on its next step). */
  dispose(): void {
    for (const s of this.#state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.#state.clear();
  }
}

/** Checks a numeric hyper-parameter; the message names the optimizer, the group and the option. */
export function check(ok: boolean, kind: string, where: string, what: string, value: unknown): void {
  if (!ok) throw new Error(`${kind}: invalid ${what} in ${where}: ${JSON.stringify(value)}`);
}
