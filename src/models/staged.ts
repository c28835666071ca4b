// A network as a list of named stages, run one after another: what every family of the zoo is (ResNet,
// EfficientNet, ...), so that a trainer can run a frozen prefix once and cache its output (forwardStages),
// find where the trainable part starts (firstTrainableStage) and name the stage of any parameter (stageOf).
// Stage names are lower-case letters and digits (they go into the feature cache's folder names); the last
// stage holds the head (the module at the family's headPath) and returns its logits.
import type { Tensor } from '../torch/index.js';
import { Module, underPrefix } from '../nn/index.js';
import { runChain } from './chain.js';

export interface StageDef {
  name: string;
  /** Top-level module-name prefixes of the stage's parameters and buffers ('layer3', 'features.4', 'classifier.0'). */
  prefixes: readonly string[];
}

export abstract class StagedNet extends Module {
  abstract readonly arch: string;
  /** Width of the features the head's Linear takes. */
  abstract readonly numFeatures: number;
  /** The stages in order; the last one ends with the head's logits. */
  abstract get stageDefs(): readonly StageDef[];
  /** One stage on its input (for the first stage, the image batch [N, 3, H, W]). */
  abstract runStage(stage: string, x: Tensor): Tensor;
  /** The module that the task's head replaces (torchvision's final Linear). */
  abstract get headModule(): Module;

  get stages(): string[] {
    return this.stageDefs.map((s) => s.name);
  }

  /** The stage a parameter or buffer name belongs to ('features.3.1.block.0.0.weight' → 'features3'). */
  stageOf(name: string): string {
    for (const s of this.stageDefs) if (s.prefixes.some((p) => underPrefix(name, p))) return s.name;
    throw new Error(`'${name}' is not the name of a parameter or buffer of ${this.arch}`);
  }

  /** The logits: every stage in order. */
  forward(x: Tensor): Tensor {
    return this.forwardStages(x);
  }

  /**
   * Runs the stages `from` … `to` (both included; default: all). `x` must be what `from` takes: an image batch
   * for the first stage, the previous stage's output otherwise. Intermediates are freed as they go.
   */
  forwardStages(x: Tensor, from?: string, to?: string): Tensor {
    const names = this.stages;
    const i = from === undefined ? 0 : names.indexOf(from);
    const j = to === undefined ? names.length - 1 : names.indexOf(to);
    if (i < 0 || j < 0) {
      const bad = i < 0 ? from : to;
      throw new Error(`${this.arch}.forwardStages: unknown stage ${JSON.stringify(bad)}; stages are ${names.join(', ')}`);
    }
    if (i > j) throw new Error(`${this.arch}.forwardStages: stage '${from}' comes after '${to}'`);
    return runChain(x, names.slice(i, j + 1).map((s) => (t: Tensor) => this.runStage(s, t)));
  }

  /** The first stage holding a parameter that requires grad (undefined when all are frozen). Everything
   *  before it is frozen and, with BatchNorm in eval mode and deterministic inputs, can be cached. */
  firstTrainableStage(): string | undefined {
    const names = this.stages;
    let first = names.length;
    for (const [name, p] of this.namedParameters()) {
      if (p.requiresGrad) first = Math.min(first, names.indexOf(this.stageOf(name)));
    }
    return names[first];
  }

  /** Checks an image batch's shape (the first stage's input). */
  protected checkImages(x: Tensor): void {
    if (x.ndim !== 4 || x.size(1) !== 3) {
      throw new Error(`${this.arch}: expected an image batch of shape [N, 3, H, W], got [${x.shape.join(', ')}]`);
    }
  }
}
