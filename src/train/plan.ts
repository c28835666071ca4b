// Turning a phase's configuration into the state of the model: which parameters train, which modules run
// in training mode, and which leading part of the network is frozen and deterministic enough to cache.
import { BatchNorm2d, underPrefix, type Module } from '../nn/index.js';
import type { Tensor } from '../torch/index.js';
import { RESNET_STAGES, StagedNet, stageOf as resnetStageOf } from '../models/index.js';
import type { BnPolicy } from './config/index.js';

/** Makes exactly the parameters under `trainable` (module-name prefixes, or 'all') require grad; returns their names. */
export function applyTrainable(model: Module, trainable: readonly string[]): string[] {
  const prefixes = trainable.includes('all') ? [''] : [...trainable];
  const named = model.namedParameters();
  for (const p of prefixes) {
    if (!named.some(([n]) => underPrefix(n, p))) {
      throw new Error(`phase trainable '${p}' matches no parameter of the model (top-level names: ${[...new Set(named.map(([n]) => n.split('.')[0]))].join(', ')})`);
    }
  }
  const names: string[] = [];
  for (const [name, t] of named) {
    const on = prefixes.some((p) => underPrefix(name, p));
    t.requiresGrad_(on);
    if (on) names.push(name);
  }
  return names;
}

/** The parameters that require grad, in the model's order (what the phase's optimizer gets). */
/**
 * The trainable parameters by module of `trainable` (each parameter under its most specific entry), the
 * modules in the network's order (of their first parameter): the groups of discriminative learning rates.
 */
export function trainableGroups(model: Module, trainable: readonly string[]): { module: string; params: [string, Tensor][] }[] {
  const prefixes = trainable.includes('all') ? [''] : [...trainable];
  const groups = new Map<string, [string, Tensor][]>();
  for (const [name, t] of model.namedParameters()) {
    if (!t.requiresGrad) continue;
    const owner = prefixes.filter((p) => underPrefix(name, p)).sort((a, b) => b.length - a.length)[0];
    if (owner === undefined) continue;
    const group = groups.get(owner);
    if (group) group.push([name, t]);
    else groups.set(owner, [[name, t]]);
  }
  return [...groups].map(([module, params]) => ({ module, params }));
}

export function trainableParameters(model: Module): ReturnType<Module['parameters']> {
  return model.parameters().filter((p) => p.requiresGrad);
}

/**
 * Training modes for a phase. Everything trains (Dropout active) except, under bnPolicy 'eval', the
 * BatchNorm layers whose parameters are all frozen: they normalise with their running statistics and
 * never update them (as Keras does for frozen layers). bnPolicy 'train' is the seed's literal
 * `model.train()`, which also updates the running statistics of frozen BatchNorm layers.
 */
export function setTrainModes(model: Module, bnPolicy: BnPolicy): void {
  model.train();
  if (bnPolicy === 'train') return;
  for (const m of model.modules()) {
    if (m instanceof BatchNorm2d && !m.parameters().some((p) => p.requiresGrad)) m.training = false;
  }
}

/** The stages of a model (a StagedNet's own; ResNet's for any other module, whose names must be ResNet's). */
function stagesOf(model: Module): { names: readonly string[]; index: (name: string) => number } {
  if (model instanceof StagedNet) {
    const names = model.stages;
    return { names, index: (n) => names.indexOf(model.stageOf(n)) };
  }
  return { names: RESNET_STAGES, index: (n) => (RESNET_STAGES as readonly string[]).indexOf(resnetStageOf(n)) };
}

/**
 * The last stage of the frozen prefix whose output can be cached per image view, or null when nothing
 * can be: the first stage holding a trainable parameter must not be the stem, the frozen BatchNorm
 * layers must be in eval mode (bnPolicy 'eval'; under 'train' their output depends on the batch), and
 * the image views must be deterministic (augmentation 'none' or 'flip'). Phase 1 of the seed protocol
 * (fc only) gives 'pool' (the pooled features); phase 2 (layer4 + fc) gives 'layer3'. Any family of the zoo
 * splits the same way at its own stages (the input of the first trainable one is cached).
 */
export function cacheStage(model: Module, o: CacheConditions): string | null {
  return prefixStage(model, model.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n), o);
}

/** cacheStage for a phase that will train `trainable` (prefixes or 'all'), read without changing the model. */
export function cacheStageFor(model: Module, trainable: readonly string[], o: CacheConditions): string | null {
  const prefixes = trainable.includes('all') ? [''] : trainable;
  return prefixStage(model, model.namedParameters().map(([n]) => n).filter((n) => prefixes.some((p) => underPrefix(n, p))), o);
}

export interface CacheConditions { bnPolicy: BnPolicy; viewsCacheable: boolean; enabled: boolean }

/** The last frozen stage given the names of the trainable parameters (see cacheStage). */
function prefixStage(model: Module, trainableNames: readonly string[], o: CacheConditions): string | null {
  if (!o.enabled || o.bnPolicy !== 'eval' || !o.viewsCacheable) return null;
  const { names, index } = stagesOf(model);
  let first: number = names.length;
  for (const name of trainableNames) first = Math.min(first, index(name));
  if (first === 0 || first >= names.length) return null;
  return names[first - 1]!;
}

/**
 * The cache a phase that caches `current` can fill for the next phase that trains, which caches `next`:
 * `next` itself when it is `current` or an earlier stage (this phase runs every stage up to `current`
 * frozen, so their outputs are what the next phase will see), else null.
 */
export function carriedStage(current: string | null, next: string | null, stages: readonly string[] = RESNET_STAGES): string | null {
  if (current === null || next === null) return null;
  return stages.indexOf(next) <= stages.indexOf(current) ? next : null;
}

/** The stage after `stage` (where the trainable rest of the network starts) among the model's `stages`. */
export function nextStage(stage: string | null, stages: readonly string[] = RESNET_STAGES): string {
  return stages[stage === null ? 0 : stages.indexOf(stage) + 1]!;
}
