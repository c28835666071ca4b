// An average of the weights a phase trains, as torch.optim.swa_utils.AveragedModel keeps one; the first update
// copies the live weights. Two rules:
// - 'ema' (config ema; timm's ModelEma, Keras's use_ema): after every optimizer step each averaged tensor moves
//   toward the live one, avg = lerp(avg, live, 1 - decay); it averages what a phase can change: the trainable
//   parameters and the floating buffers (BatchNorm statistics; the integer step counters are the live ones).
// - 'swa' (a phase's swa; Izmailov et al. 2018): after every epoch of its span the trainable parameters' running
//   mean over the updates, avg + (live - avg) / (n + 1), AveragedModel's default. Buffers are not averaged but
//   swapped with the parameters, as AveragedModel's own copies made at the start (use_buffers False): the phase
//   recomputes the statistics of the BatchNorm layers that train for the averaged weights (updateBatchNorm).
// Validation and the best checkpoint see the averages (`swapIn` until `swapOut`), training the live weights;
// RUN/last keeps both.
import { dispose, noGrad, scope, type Tensor } from '../torch/index.js';
import type { Module } from '../nn/index.js';

const FLOATING = new Set(['float32', 'float64', 'float16', 'bfloat16']);

export type AverageRule = { kind: 'ema'; decay: number } | { kind: 'swa' };

export class WeightAverage {
  readonly #names: string[];
  readonly #live: Tensor[];
  readonly #avg: Tensor[];
  /** How many of the tracked tensors (the first ones) update() averages; the others are only swapped. */
  readonly #averaged: number;
  /** The live tensors' values while the averages are in the model (null: they are not). */
  #parked: Tensor[] | null = null;
  /** Steps averaged so far (AveragedModel's n_averaged). */
  updates = 0;

  constructor(model: Module, readonly rule: AverageRule) {
    const params = model.namedParameters().filter(([, p]) => p.requiresGrad);
    const buffers = model.namedBuffers().filter(([, b]) => rule.kind === 'swa' || FLOATING.has(b.dtype));
    const tracked = [...params, ...buffers];
    this.#averaged = rule.kind === 'swa' ? params.length : tracked.length;
    this.#names = tracked.map(([n]) => n);
    this.#live = tracked.map(([, t]) => t);
    this.#avg = noGrad(() => this.#live.map((t) => t.detach().clone()));
  }

  /** The first update copies the live weights, the next ones move the averages toward them (see the rules above). */
  update(): void {
    const n = this.updates;
    const rule = this.rule;
    noGrad(() => scope(() => {
      for (let i = 0; i < this.#averaged; i++) {
        const avg = this.#avg[i]!;
        const live = this.#live[i]!;
        if (n === 0) avg.copy_(live);
        else if (rule.kind === 'ema') avg.lerp_(live, 1 - rule.decay);
        else avg.add_(live.sub(avg).div(n + 1));
      }
    }));
    this.updates++;
  }

  /** Puts the averages into the model (the live values are kept aside until swapOut). */
  swapIn(): void {
    if (this.#parked) throw new Error('the weight averages are already in the model');
    this.#parked = noGrad(() => this.#live.map((t, i) => {
      const kept = t.detach().clone();
      t.copy_(this.#avg[i]!);
      return kept;
    }));
  }

  /** Puts the live weights back. */
  swapOut(): void {
    const parked = this.#parked;
    if (!parked) throw new Error('the weight averages are not in the model');
    noGrad(() => this.#live.forEach((t, i) => t.copy_(parked[i]!)));
    dispose(parked);
    this.#parked = null;
  }

  /** Leaves the averages in the model for good (the phase's result when no checkpoint holds them). */
  adopt(): void {
    if (!this.#parked) this.swapIn();
    dispose(this.#parked);
    this.#parked = null;
  }

  /** Copies of the averages by state-dict key (for RUN/last; the caller disposes them). */
  tensors(): Map<string, Tensor> {
    return new Map(noGrad(() => this.#names.map((n, i) => [n, this.#avg[i]!.clone()] as const)));
  }

  /** Loads averages saved by tensors() (every key, the same shapes), with the number of steps they average. */
  load(saved: ReadonlyMap<string, Tensor>, updates: number): void {
    const missing = this.#names.filter((n) => !saved.has(n));
    if (missing.length > 0 || saved.size !== this.#names.length) {
      throw new Error(`the saved weight averages do not fit this phase: ${missing.length > 0 ? `missing ${missing.slice(0, 3).join(', ')}` : `${saved.size} tensors for ${this.#names.length}`}`);
    }
    this.#names.forEach((n, i) => {
      const t = saved.get(n)!;
      if (t.shape.join() !== this.#avg[i]!.shape.join()) throw new Error(`the saved weight average ${n} has shape [${t.shape}], the model's is [${this.#avg[i]!.shape}]`);
      noGrad(() => this.#avg[i]!.copy_(t));
    });
    this.updates = updates;
  }

  dispose(): void {
    if (this.#parked) this.swapOut();
    dispose(this.#avg);
  }
}
