// Emitters of ConvNeXt, RegNet and ViT (issue 21), each following its module's eval-mode forward. The layers they
// share with EfficientNet/MobileNetV3 (GELU as an Erf subgraph, LayerNorm as LayerNormalization, squeeze-excitation,
// stochastic depth as the identity, the task's head) are emitted by zoo.ts. Here: Permute (Transpose), LayerNorm2d
// (Transpose, LayerNormalization over the channels, Transpose), ConvNeXt's block (branch · layer_scale + input),
// RegNet's residual bottleneck (BatchNorm folded), and ViT: the patch embedding (Conv, Reshape, Transpose), the
// class token (Expand to the batch, Concat), the position embedding (Add), multi-head self-attention as
// MatMul/Softmax nodes (torch's explicit path: in-projection, heads split by Reshape/Transpose, q·kᵀ/√d, Softmax,
// ·v, heads merged, out-projection), the MLP, and the class token's row (Gather).
import { MultiheadAttention, NamedSequential, Permute, type Module } from '../../nn/index.js';
import { CNBlock, ConvNeXt, LayerNorm2d } from '../../models/convnext.js';
import { RegNet, ResBottleneckBlock } from '../../models/regnet.js';
import { Encoder, EncoderBlock, Heads, MLPBlock, VisionTransformer } from '../../models/vit.js';
import { childPath, registerEmitter, type GraphEmitter } from './emitter.js';

const children = (m: Module, path: string): [string, Module][] => [...m.namedChildren()].map(([n, c]) => [childPath(path, n), c]);
const scalar = (e: GraphEmitter, name: string, v: number): string => e.g.floats(name, [v], []);

registerEmitter(Permute, (e, m, path, x) => e.g.node('Transpose', [x], { perm: [...m.dims] }, path));
registerEmitter(NamedSequential, (e, m, path, x) => e.chain(children(m, path), x));
registerEmitter(Heads, (e, m, path, x) => e.chain(children(m, path), x));

// LayerNorm2d: NCHW -> NHWC, LayerNormalization over the last axis (the channels), back to NCHW.
registerEmitter(LayerNorm2d, (e, m, path, x) => {
  const nhwc = e.g.node('Transpose', [x], { perm: [0, 2, 3, 1] }, `${path}.to_nhwc`);
  const w = e.tensor(`${path}.weight`, m.weight!);
  const b = e.tensor(`${path}.bias`, m.bias!);
  const y = e.g.node('LayerNormalization', [nhwc, w, b], { axis: -1, epsilon: { float: m.eps } }, `${path}.ln`);
  return e.g.node('Transpose', [y], { perm: [0, 3, 1, 2] }, path);
});

// CNBlock: layer_scale · block(x) + x (stochastic depth is the identity in eval mode). The block's Linears act
// on NHWC tensors: MatMul + Add (Gemm is 2-D only).
registerEmitter(CNBlock, (e, m, path, x) => {
  const b = m.block;
  const bp = childPath(path, 'block');
  let y = e.chain(children(b, bp).slice(0, 3), x);
  y = linear3d(e, b.at(3), childPath(bp, '3'), y);
  y = e.emit(b.at(4), childPath(bp, '4'), y);
  y = linear3d(e, b.at(5), childPath(bp, '5'), y);
  const branch = e.emit(b.at(6), childPath(bp, '6'), y);
  const scaled = e.g.node('Mul', [e.tensor(`${path}.layer_scale`, m.layerScale), branch], {}, `${path}.scale`);
  return e.g.node('Add', [scaled, x], {}, `${path}.add`);
});

/** ConvNeXt.runStage in order: features, avgpool, classifier.0 (LayerNorm2d), flatten, the head. */
registerEmitter(ConvNeXt, (e, m, path, x) => {
  let y = e.child(m, 'features', path, x);
  y = e.child(m, 'avgpool', path, y);
  y = e.chain(children(m.classifier, childPath(path, 'classifier')), y);
  return y;
});

// RegNet's block: f(x) + x (or proj(x)), then ReLU.
registerEmitter(ResBottleneckBlock, (e, m, path, x) => {
  const f = e.child(m, 'f', path, x);
  const shortcut = m.proj ? e.child(m, 'proj', path, x) : x;
  return e.g.node('Relu', [e.g.node('Add', [f, shortcut], {}, `${path}.add`)], {}, `${path}.out`);
});

registerEmitter(RegNet, (e, m, path, x) => {
  let y = e.child(m, 'stem', path, x);
  y = e.child(m, 'trunk_output', path, y);
  y = e.child(m, 'avgpool', path, y);
  y = e.g.node('Flatten', [y], { axis: 1 }, childPath(path, 'flatten'));
  return e.child(m, 'fc', path, y);
});

// Self-attention of x [N, L, E] (batch first), torch's explicit path.
registerEmitter(MultiheadAttention, (e, m, path, x) => {
  const g = e.g;
  const { embedDim: dim, numHeads: h, headDim: hd } = m;
  // x·W_inᵀ + b_in: [N, L, 3E]; then [N, L, 3, H, hd] -> [3, N, H, L, hd].
  const wIn = g.node('Transpose', [e.tensor(`${path}.in_proj_weight`, m.inProjWeight)], { perm: [1, 0] }, `${path}.in_proj_weight_t`);
  const proj = g.node('Add', [g.node('MatMul', [x, wIn], {}, `${path}.in_proj_mm`), e.tensor(`${path}.in_proj_bias`, m.inProjBias)], {}, `${path}.in_proj`);
  const split = g.node('Reshape', [proj, g.int64s(`${path}.qkv_shape`, [0, 0, 3, h, hd])], {}, `${path}.qkv`);
  const qkv = g.node('Transpose', [split], { perm: [2, 0, 3, 1, 4] }, `${path}.qkv_t`);
  const pick = (i: number, name: string): string =>
    g.node('Squeeze', [g.node('Gather', [qkv, g.int64s(`${path}.${name}_index`, [i], [1])], { axis: 0 }, `${path}.${name}_g`),
      g.int64s(`${path}.${name}_axes`, [0])], {}, `${path}.${name}`);
  const q = pick(0, 'q');
  const k = pick(1, 'k');
  const v = pick(2, 'v');
  // softmax(q/√hd · kᵀ) · v: [N, H, L, hd]
  const qScaled = g.node('Div', [q, scalar(e, `${path}.sqrt_head_dim`, Math.sqrt(hd))], {}, `${path}.q_scaled`);
  const kT = g.node('Transpose', [k], { perm: [0, 1, 3, 2] }, `${path}.k_t`);
  const scores = g.node('MatMul', [qScaled, kT], {}, `${path}.scores`);
  const weights = g.node('Softmax', [scores], { axis: -1 }, `${path}.weights`);
  const heads = g.node('MatMul', [weights, v], {}, `${path}.heads`);
  // [N, H, L, hd] -> [N, L, E] -> out_proj
  const merged = g.node('Reshape', [g.node('Transpose', [heads], { perm: [0, 2, 1, 3] }, `${path}.heads_t`), g.int64s(`${path}.merged_shape`, [0, 0, dim])], {}, `${path}.merged`);
  const wOut = g.node('Transpose', [e.tensor(`${path}.out_proj.weight`, m.outProj.weight)], { perm: [1, 0] }, `${path}.out_proj_weight_t`);
  return g.node('Add', [g.node('MatMul', [merged, wOut], {}, `${path}.out_proj_mm`), e.tensor(`${path}.out_proj.bias`, m.outProj.bias!)], {}, path);
});

// A Linear on a [N, L, F] tensor (ViT's MLP): MatMul with Wᵀ, then Add b (Gemm takes 2-D inputs only).
function linear3d(e: GraphEmitter, m: Module, path: string, x: string): string {
  const l = m as unknown as { weight: import('../../torch/index.js').Tensor; bias?: import('../../torch/index.js').Tensor };
  const wT = e.g.node('Transpose', [e.tensor(`${path}.weight`, l.weight)], { perm: [1, 0] }, `${path}.weight_t`);
  const y = e.g.node('MatMul', [x, wT], {}, `${path}.mm`);
  return l.bias ? e.g.node('Add', [y, e.tensor(`${path}.bias`, l.bias)], {}, path) : y;
}
registerEmitter(MLPBlock, (e, m, path, x) => {
  let y = linear3d(e, m.at(0), childPath(path, '0'), x);
  y = e.child(m, '1', path, y);
  return linear3d(e, m.at(3), childPath(path, '3'), y);
});

// x + attention(ln_1(x)), then + mlp(ln_2(·)) (dropouts are the identity in eval mode).
registerEmitter(EncoderBlock, (e, m, path, x) => {
  const a = e.child(m, 'self_attention', path, e.child(m, 'ln_1', path, x));
  const h = e.g.node('Add', [a, x], {}, `${path}.add_1`);
  const y = e.child(m, 'mlp', path, e.child(m, 'ln_2', path, h));
  return e.g.node('Add', [h, y], {}, `${path}.add_2`);
});

// The encoder's layers and ln (the position embedding is added by the network's embedding).
registerEmitter(Encoder, (e, m, path, x) => e.child(m, 'ln', path, e.child(m, 'layers', path, x)));

registerEmitter(VisionTransformer, (e, m, path, x) => {
  const g = e.g;
  const { hiddenDim } = m.config;
  // conv_proj, then [N, C, h, w] -> [N, C, h·w] -> [N, h·w, C]
  const patches = e.child(m, 'conv_proj', path, x);
  const flat = g.node('Reshape', [patches, g.int64s(`${path}.patches_shape`, [0, hiddenDim, -1])], {}, `${path}.patches_flat`);
  const tokens = g.node('Transpose', [flat], { perm: [0, 2, 1] }, `${path}.tokens`);
  // the class token expanded to the batch: [N, 1, C]
  const batch = g.node('Slice', [g.node('Shape', [x], {}, `${path}.input_shape`), g.int64s(`${path}.b0`, [0]), g.int64s(`${path}.b1`, [1])], {}, `${path}.batch`);
  const tokenShape = g.node('Concat', [batch, g.int64s(`${path}.token_dims`, [1, hiddenDim])], { axis: 0 }, `${path}.token_shape`);
  const token = g.node('Expand', [e.tensor(childPath(path, 'class_token'), m.classToken), tokenShape], {}, `${path}.class_tokens`);
  const joined = g.node('Concat', [token, tokens], { axis: 1 }, `${path}.joined`);
  const withPos = g.node('Add', [joined, e.tensor(childPath(path, 'encoder.pos_embedding'), m.encoder.posEmbedding)], {}, `${path}.with_pos`);
  const encoded = e.child(m, 'encoder', path, withPos);
  // x[:, 0]
  const cls = g.node('Gather', [encoded, g.int64s(`${path}.cls_index`, [0], [])], { axis: 1 }, `${path}.cls`);
  return e.child(m, 'heads', path, cls);
});
