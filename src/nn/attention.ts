// torch.nn.MultiheadAttention (torch 1.13) for what ViT uses: self-attention, batch_first, packed q/k/v
// projection (in_proj_weight [3E, E], in_proj_bias [3E]), out_proj Linear, no masks, no bias_k/bias_v.
// The keys and their order are torch's: in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias.
//
// Two paths, chosen as torch chooses them so that the outputs are the same to the rounding:
//  - the explicit one of F.multi_head_attention_forward (linear, chunk, per-head bmm, softmax, dropout, bmm,
//    out_proj), which autograd differentiates: in training mode and whenever a gradient is recorded;
//  - ATen's fused _native_multi_head_attention in eval mode when nothing requires grad (or under noGrad) and
//    the number of heads is even, torch's "fast path" conditions for this configuration.
// libtorch 1.13 also has at::_scaled_dot_product_attention (tuple-returning, private), but torch 1.13's
// Python MultiheadAttention does not call it, so it would not reproduce torch's rounding.
import { F, isGradEnabled, empty, type Tensor } from '../torch/index.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { constant_, xavierUniform_ } from './init.js';

/** fn(x) for each fn in order, freeing each intermediate (never x itself). */
function chain(x: Tensor, fns: ((t: Tensor) => Tensor)[]): Tensor {
  let y = x;
  for (const fn of fns) {
    const z = fn(y);
    if (y !== x && z !== y) y.dispose();
    y = z;
  }
  return y;
}

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights in training (torch's `dropout`). */
  dropout?: number;
}

export class MultiheadAttention extends Module {
  readonly inProjWeight: Tensor;
  readonly inProjBias: Tensor;
  readonly outProj: Linear;
  readonly headDim: number;
  readonly dropout: number;

  constructor(readonly embedDim: number, readonly numHeads: number, o: MultiheadAttentionOptions = {}) {
    super();
    if (!Number.isInteger(embedDim) || embedDim <= 0 || !Number.isInteger(numHeads) || numHeads <= 0) {
      throw new Error(`MultiheadAttention(${embedDim}, ${numHeads}): sizes must be positive integers`);
    }
    if (embedDim % numHeads) throw new Error(`MultiheadAttention: embed_dim ${embedDim} must be divisible by num_heads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    this.dropout = o.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new Error(`MultiheadAttention: dropout must be in [0, 1], got ${this.dropout}`);
    // torch's order: the two tensors are allocated, out_proj is built (drawing its default init), then
    // _reset_parameters: xavier_uniform_(in_proj_weight), zeros for both biases.
    this.inProjWeight = this.registerParameter('in_proj_weight', empty([3 * embedDim, embedDim]));
    this.inProjBias = this.registerParameter('in_proj_bias', empty([3 * embedDim]));
    this.outProj = this.registerModule('out_proj', new Linear(embedDim, embedDim));
    xavierUniform_(this.inProjWeight);
    constant_(this.inProjBias, 0);
    if (this.outProj.bias) constant_(this.outProj.bias, 0);
  }

  /** Self-attention of x [N, L, E] (query = key = value), the attention output [N, L, E]. */
  forward(x: Tensor): Tensor {
    if (x.ndim !== 3 || x.size(2) !== this.embedDim) {
      throw new Error(`MultiheadAttention: expected input [N, L, ${this.embedDim}] (batch first), got [${x.shape.join(', ')}]`);
    }
    if (this.#fastPath(x)) {
      return F.nativeSelfAttention(x, this.numHeads, this.inProjWeight, this.inProjBias, this.outProj.weight, this.outProj.bias!);
    }
    return this.#explicit(x);
  }

  #fastPath(x: Tensor): boolean {
    if (this.training || this.numHeads % 2 === 1) return false;
    if (!isGradEnabled()) return true;
    return ![x, this.inProjWeight, this.inProjBias, this.outProj.weight, this.outProj.bias!].some((t) => t.requiresGrad);
  }

  /** F.multi_head_attention_forward's steps, in torch's order. */
  #explicit(x: Tensor): Tensor {
    const [n, l, e] = x.shape;
    const bh = n * this.numHeads;
    const hd = this.headDim;
    // batch_first: torch transposes to [L, N, E] first.
    const xt = x.transpose(1, 0);
    const proj = F.linear(xt, this.inProjWeight, this.inProjBias);
    xt.dispose();
    const [q, k, v] = proj.chunk(3, -1);
    proj.dispose();
    // [L, N, E] -> [N·H, L, hd]
    const heads = (t: Tensor): Tensor => chain(t, [(u) => u.contiguous(), (u) => u.view(l, bh, hd), (u) => u.transpose(0, 1)]);
    const qh = heads(q);
    const kh = heads(k);
    const vh = heads(v);
    q.dispose(); k.dispose(); v.dispose();
    const qScaled = qh.div(Math.sqrt(hd));
    qh.dispose();
    const kT = kh.transpose(-2, -1);
    kh.dispose();
    const scores = F.bmm(qScaled, kT);
    qScaled.dispose(); kT.dispose();
    let weights = F.softmax(scores, -1);
    scores.dispose();
    if (this.training && this.dropout > 0) {
      const dropped = F.dropout(weights, this.dropout, true);
      weights.dispose();
      weights = dropped;
    }
    const attn = F.bmm(weights, vh);
    weights.dispose(); vh.dispose();
    // [N·H, L, hd] -> [L·N, E] -> out_proj -> [L, N, E] -> [N, L, E]
    const out = chain(attn, [
      (t) => t.transpose(0, 1), (t) => t.contiguous(), (t) => t.view(l * n, e),
      (t) => this.outProj.forward(t), (t) => t.view(l, n, e), (t) => t.transpose(1, 0),
    ]);
    attn.dispose();
    return out;
  }
}
