// The op table: one line per ATen op. Argument order follows ATen; optional arguments may be undefined.
// Binary ops accept a tensor or a JS number as the second operand (PyTorch's wrapped-number promotion).
#include "binding.h"

#include <c10/core/GradMode.h>

using tlearn::Void;

#define BINARY(name, fn) OP(name, return a.isNum(1) ? at::fn(a.T(0), a.S(1)) : at::fn(a.T(0), a.T(1)))
#define UNARY(name, fn) OP(name, return at::fn(a.T(0)))

// ---- tensor properties ----
OP(shape, return a.T(0).sizes().vec())
OP(strides, return a.T(0).strides().vec())
OP(dtype, return tlearn::scalarTypeName(a.T(0).scalar_type()))
OP(device, return a.T(0).device().str())
OP(numel, return a.T(0).numel())
OP(dim, return a.T(0).dim())
OP(isContiguous, return a.T(0).is_contiguous(a.B(1, false) ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous))
OP(item, return a.T(0).item<double>())
OP(requiresGrad, return a.T(0).requires_grad())
OP(isLeaf, return a.T(0).is_leaf())
OP(sameStorage, return a.T(0).is_alias_of(a.T(1)))

// ---- creation ----
OP(zeros, return at::zeros(a.IL(0), a.opts(1)))
OP(ones, return at::ones(a.IL(0), a.opts(1)))
OP(empty, return at::empty(a.IL(0), a.opts(1)))
OP(full, return at::full(a.IL(0), a.S(1), a.opts(2)))
OP(randn, return at::randn(a.IL(0), a.opts(1)))
OP(rand, return at::rand(a.IL(0), a.opts(1)))
OP(randint, return at::randint(a.I(0), a.I(1), a.IL(2), a.opts(3)))
OP(randperm, return at::randperm(a.I(0), a.opts(1).dtype(a.has(1) ? a.DT(1) : at::kLong)))
OP(arange, return at::arange(a.S(0), a.S(1), a.S(2, 1), a.opts(3)))
OP(linspace, return at::linspace(a.S(0), a.S(1), a.I(2), a.opts(3)))
OP(eye, return at::eye(a.I(0), a.opts(1)))
OP(zerosLike, return at::zeros_like(a.T(0)))
OP(onesLike, return at::ones_like(a.T(0)))
OP(fullLike, return at::full_like(a.T(0), a.S(1)))
OP(scalarTensor, return at::scalar_tensor(a.S(0), a.opts(1)))

// ---- conversion and memory layout ----
OP(toDtype, return a.T(0).to(a.DT(1)))
OP(toDevice, return a.T(0).to(a.DV(1), a.B(2, false)))
OP(contiguous, return a.T(0).contiguous(a.B(1, false) ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous))
OP(clone, return a.T(0).clone())
OP(detach, return a.T(0).detach())

// ---- autograd ----
OP_INPLACE(setRequiresGrad, a.T(0).requires_grad_(a.B(1)))
OP_INPLACE(setData, a.T(0).set_data(a.T(1)))
OP(grad, return a.T(0).grad())
OP_INPLACE(setGrad, const_cast<at::Tensor&>(a.T(0)).mutable_grad() = a.UT(1))
OP_INPLACE(backward, a.T(0).backward(a.UT(1), a.has(2) ? c10::optional<bool>(a.B(2)) : c10::nullopt, a.B(3, false)))
OP_INPLACE(retainGrad, a.T(0).retain_grad())

// ---- elementwise arithmetic ----
OP(add, return a.isNum(1) ? at::add(a.T(0), a.S(1), a.S(2, 1)) : at::add(a.T(0), a.T(1), a.S(2, 1)))
OP(sub, return a.isNum(1) ? at::sub(a.T(0), a.S(1), a.S(2, 1)) : at::sub(a.T(0), a.T(1), a.S(2, 1)))
OP(rsub, return at::rsub(a.T(0), a.S(1)))
BINARY(mul, mul)
BINARY(div, div)
BINARY(pow, pow)
BINARY(remainder, remainder)
BINARY(bitwiseAnd, bitwise_and)
OP(maximum, return at::maximum(a.T(0), a.T(1)))
OP(minimum, return at::minimum(a.T(0), a.T(1)))
UNARY(neg, neg)
UNARY(abs, abs)
UNARY(exp, exp)
UNARY(log, log)
UNARY(log1p, log1p)
UNARY(sqrt, sqrt)
UNARY(rsqrt, rsqrt)
UNARY(sign, sign)
UNARY(floor, floor)
UNARY(ceil, ceil)
UNARY(round, round)
UNARY(reciprocal, reciprocal)
UNARY(sigmoid, sigmoid)
UNARY(tanh, tanh)
UNARY(relu, relu)
UNARY(logsigmoid, log_sigmoid)
OP(clamp, return at::clamp(a.T(0), a.has(1) ? c10::optional<at::Scalar>(a.S(1)) : c10::nullopt,
                           a.has(2) ? c10::optional<at::Scalar>(a.S(2)) : c10::nullopt))
OP(where, return at::where(a.T(0), a.T(1), a.T(2)))
OP(lerp, return a.isNum(2) ? at::lerp(a.T(0), a.T(1), a.S(2)) : at::lerp(a.T(0), a.T(1), a.T(2)))
OP(addcmul, return at::addcmul(a.T(0), a.T(1), a.T(2), a.S(3, 1)))
OP(addcdiv, return at::addcdiv(a.T(0), a.T(1), a.T(2), a.S(3, 1)))

// ---- comparisons and logic ----
BINARY(eq, eq)
BINARY(ne, ne)
BINARY(lt, lt)
BINARY(le, le)
BINARY(gt, gt)
BINARY(ge, ge)
UNARY(logicalNot, logical_not)
OP(logicalAnd, return at::logical_and(a.T(0), a.T(1)))
OP(logicalOr, return at::logical_or(a.T(0), a.T(1)))
UNARY(isfinite, isfinite)
UNARY(isnan, isnan)
OP(allclose, return at::allclose(a.T(0), a.T(1), a.D(2, 1e-5), a.D(3, 1e-8)))
OP(equal, return at::equal(a.T(0), a.T(1)))

// ---- reductions (dims optional: undefined reduces everything) ----
OP(sum, return a.has(1) ? at::sum(a.T(0), a.IL(1), a.B(2, false)) : at::sum(a.T(0)))
OP(mean, return a.has(1) ? at::mean(a.T(0), a.IL(1), a.B(2, false)) : at::mean(a.T(0)))
OP(prod, return a.has(1) ? at::prod(a.T(0), a.I(1), a.B(2, false)) : at::prod(a.T(0)))
OP(varDim, return a.has(1) ? at::var(a.T(0), at::IntArrayRef(a.IL(1)), a.B(2, true), a.B(3, false)) : at::var(a.T(0), a.B(2, true)))
OP(stdDim, return a.has(1) ? at::std(a.T(0), at::IntArrayRef(a.IL(1)), a.B(2, true), a.B(3, false)) : at::std(a.T(0), a.B(2, true)))
OP(amax, return at::amax(a.T(0), a.has(1) ? a.IL(1) : std::vector<int64_t>{}, a.B(2, false)))
OP(amin, return at::amin(a.T(0), a.has(1) ? a.IL(1) : std::vector<int64_t>{}, a.B(2, false)))
OP(maxAll, return at::max(a.T(0)))
OP(minAll, return at::min(a.T(0)))
OP(maxDim, return at::max(a.T(0), a.I(1), a.B(2, false)))
OP(minDim, return at::min(a.T(0), a.I(1), a.B(2, false)))
OP(argmax, return a.has(1) ? at::argmax(a.T(0), a.I(1), a.B(2, false)) : at::argmax(a.T(0)))
OP(argmin, return a.has(1) ? at::argmin(a.T(0), a.I(1), a.B(2, false)) : at::argmin(a.T(0)))
OP(all, return at::all(a.T(0)))
OP(any, return at::any(a.T(0)))
OP(norm, return at::norm(a.T(0), a.S(1, 2)))
OP(cumsum, return at::cumsum(a.T(0), a.I(1)))
OP(sort, return at::sort(a.T(0), a.I(1, -1), a.B(2, false)))
OP(topk, return at::topk(a.T(0), a.I(1), a.I(2, -1), a.B(3, true), a.B(4, true)))

// ---- linear algebra ----
OP(matmul, return at::matmul(a.T(0), a.T(1)))
OP(mm, return at::mm(a.T(0), a.T(1)))
OP(bmm, return at::bmm(a.T(0), a.T(1)))
OP(t, return a.T(0).t())
OP(transpose, return a.T(0).transpose(a.I(1), a.I(2)))
OP(outer, return at::outer(a.T(0), a.T(1)))

// ---- neural network functions ----
OP(conv2d, return at::conv2d(a.T(0), a.T(1), a.OT(2), a.IL(3), a.IL(4), a.IL(5), a.I(6, 1)))
// An eval-mode BatchNorm folded into the convolution before it, so that one convolution does both: with
// r = rsqrt(running_var + ε), weight W·(γ·r) per output channel and bias ((b - running_mean)·r)·γ + β, in the
// order of operations of PyTorch's fuse_conv_bn_weights (b = 0 without a conv bias; γ = 1, β = 0 without affine).
// Arguments: conv weight, conv bias?, running_mean, running_var, γ?, β?, ε. Never part of an autograd graph.
static std::tuple<at::Tensor, at::Tensor> foldBatchNorm(const tlearn::Args& a) {
  c10::NoGradGuard noGrad;
  const at::Tensor &weight = a.T(0), &mean = a.T(2);
  const at::Tensor invStd = (a.T(3) + a.D(6)).rsqrt();
  const at::Tensor scale = a.has(4) ? a.T(4) * invStd : invStd;
  at::Tensor shift = (a.has(1) ? a.T(1) - mean : -mean) * invStd;
  if (a.has(4)) shift = shift * a.T(4);
  if (a.has(5)) shift = shift + a.T(5);
  std::vector<int64_t> perOutputChannel(weight.dim(), 1);
  perOutputChannel[0] = -1;
  return {weight * scale.reshape(perOutputChannel), shift};
}
OP(foldBatchNorm, return foldBatchNorm(a))
OP(batchNorm, return at::batch_norm(a.T(0), a.OT(1), a.OT(2), a.OT(3), a.OT(4), a.B(5), a.D(6, 0.1), a.D(7, 1e-5), true))
OP(maxPool2d, return at::max_pool2d(a.T(0), a.IL(1), a.IL(2), a.IL(3), a.IL(4), a.B(5, false)))
OP(avgPool2d, return at::avg_pool2d(a.T(0), a.IL(1), a.IL(2), a.IL(3), a.B(4, false), a.B(5, true)))
OP(adaptiveAvgPool2d, return at::adaptive_avg_pool2d(a.T(0), a.IL(1)))
OP(linear, return at::linear(a.T(0), a.T(1), a.OT(2)))
OP(dropout, return at::dropout(a.T(0), a.D(1), a.B(2)))
OP(softmax, return at::softmax(a.T(0), a.I(1)))
OP(logSoftmax, return at::log_softmax(a.T(0), a.I(1)))
OP(gelu, return at::gelu(a.T(0)))
// reduction: 0 none, 1 mean, 2 sum (at::Reduction)
OP(binaryCrossEntropyWithLogits,
   return at::binary_cross_entropy_with_logits(a.T(0), a.T(1), a.OT(2), a.OT(3), a.I(4, at::Reduction::Mean)))
OP(binaryCrossEntropy, return at::binary_cross_entropy(a.T(0), a.T(1), a.OT(2), a.I(3, at::Reduction::Mean)))
OP(mseLoss, return at::mse_loss(a.T(0), a.T(1), a.I(2, at::Reduction::Mean)))
OP(nllLoss, return at::nll_loss(a.T(0), a.T(1), a.OT(2), a.I(3, at::Reduction::Mean), a.I(4, -100)))
OP(crossEntropy, return at::cross_entropy_loss(a.T(0), a.T(1), a.OT(2), a.I(3, at::Reduction::Mean), a.I(4, -100), a.D(5, 0.0)))
OP(flip, return at::flip(a.T(0), a.IL(1)))

// ---- shape and indexing ----
OP(cat, return at::cat(a.TL(0), a.I(1, 0)))
OP(stack, return at::stack(a.TL(0), a.I(1, 0)))
OP(view, return a.T(0).view(a.IL(1)))
OP(reshape, return a.T(0).reshape(a.IL(1)))
OP(permute, return a.T(0).permute(a.IL(1)))
OP(flatten, return a.T(0).flatten(a.I(1, 0), a.I(2, -1)))
OP(squeeze, return a.has(1) ? a.T(0).squeeze(a.I(1)) : a.T(0).squeeze())
OP(unsqueeze, return a.T(0).unsqueeze(a.I(1)))
OP(expand, return a.T(0).expand(a.IL(1)))
OP(indexSelect, return at::index_select(a.T(0), a.I(1), a.T(2)))
OP(slice, return a.T(0).slice(a.I(1), a.I(2), a.I(3), a.I(4, 1)))
OP(narrow, return a.T(0).narrow(a.I(1), a.I(2), a.I(3)))
OP(select, return a.T(0).select(a.I(1), a.I(2)))
OP(maskedSelect, return at::masked_select(a.T(0), a.T(1)))
OP(maskedFill, return a.T(0).masked_fill(a.T(1), a.S(2)))
OP(gather, return at::gather(a.T(0), a.I(1), a.T(2)))
OP(split, return a.T(0).split(a.I(1), a.I(2, 0)))
OP(chunk, return a.T(0).chunk(a.I(1), a.I(2, 0)))

// ---- in-place ops (optimizers, initialisation, loading state) ----
OP_INPLACE(add_, a.isNum(1) ? a.T(0).add_(a.S(1), a.S(2, 1)) : a.T(0).add_(a.T(1), a.S(2, 1)))
OP_INPLACE(sub_, a.isNum(1) ? a.T(0).sub_(a.S(1), a.S(2, 1)) : a.T(0).sub_(a.T(1), a.S(2, 1)))
OP_INPLACE(mul_, a.isNum(1) ? a.T(0).mul_(a.S(1)) : a.T(0).mul_(a.T(1)))
OP_INPLACE(div_, a.isNum(1) ? a.T(0).div_(a.S(1)) : a.T(0).div_(a.T(1)))
OP_INPLACE(addcmul_, a.T(0).addcmul_(a.T(1), a.T(2), a.S(3, 1)))
OP_INPLACE(addcdiv_, a.T(0).addcdiv_(a.T(1), a.T(2), a.S(3, 1)))
OP_INPLACE(lerp_, a.isNum(2) ? a.T(0).lerp_(a.T(1), a.S(2)) : a.T(0).lerp_(a.T(1), a.T(2)))
OP_INPLACE(sqrt_, a.T(0).sqrt_())
OP_INPLACE(neg_, a.T(0).neg_())
OP_INPLACE(clamp_, a.T(0).clamp_(a.has(1) ? c10::optional<at::Scalar>(a.S(1)) : c10::nullopt,
                                  a.has(2) ? c10::optional<at::Scalar>(a.S(2)) : c10::nullopt))
OP_INPLACE(maximum_, at::maximum_out(const_cast<at::Tensor&>(a.T(0)), a.T(0), a.T(1)))
OP_INPLACE(copy_, a.T(0).copy_(a.T(1)))
OP_INPLACE(zero_, a.T(0).zero_())
OP_INPLACE(fill_, a.T(0).fill_(a.S(1)))
OP_INPLACE(uniform_, a.T(0).uniform_(a.D(1, 0), a.D(2, 1)))
OP_INPLACE(normal_, a.T(0).normal_(a.D(1, 0), a.D(2, 1)))
OP_INPLACE(bernoulli_, a.T(0).bernoulli_(a.D(1)))
OP_INPLACE(relu_, a.T(0).relu_())

// ---- multi-tensor (foreach) ops: one call updates a whole list (fused kernels on CUDA) ----
OP_INPLACE(foreachMul_, at::_foreach_mul_(a.TL(0), a.S(1)))
OP_INPLACE(foreachAddList_, at::_foreach_add_(a.TL(0), a.TL(1), a.S(2, 1)))
OP_INPLACE(foreachAddScalar_, at::_foreach_add_(a.TL(0), a.S(1)))
OP_INPLACE(foreachAddcmul_, at::_foreach_addcmul_(a.TL(0), a.TL(1), a.TL(2), a.S(3, 1)))
OP_INPLACE(foreachAddcdivScalars_, at::_foreach_addcdiv_(a.TL(0), a.TL(1), a.TL(2), at::ArrayRef<at::Scalar>(a.SL(3))))
OP_INPLACE(foreachDivScalars_, at::_foreach_div_(a.TL(0), at::ArrayRef<at::Scalar>(a.SL(1))))
OP(foreachSqrt, return at::_foreach_sqrt(a.TL(0)))

// ---- issue 20 (explain): bilinear resizing of feature maps (Grad-CAM's upsampling to the input size) ----
// F.interpolate(x, size=(h, w), mode='bilinear', align_corners=...) on an [N, C, H, W] tensor.
OP(upsampleBilinear2d, return at::upsample_bilinear2d(a.T(0), a.IL(1), a.B(2, false), c10::nullopt, c10::nullopt))
// ---- end issue 20 ----

// ---- augment trivial (data/trivial-augment.ts): torchvision's TrivialAugmentWide on uint8 images ----
// F.grid_sample(x, grid, mode, padding_mode, align_corners) with ATen's mode numbers (interpolation: 0 bilinear,
// 1 nearest, 2 bicubic; padding: 0 zeros, 1 border, 2 reflection): the shears, translations and rotations.
OP(gridSampler, return at::grid_sampler(a.T(0), a.T(1), a.I(2), a.I(3), a.B(4)))
// torch.bincount(x, minlength=m) of a 1-D non-negative integer tensor: equalize's histogram.
OP(bincount, return at::bincount(a.T(0), c10::nullopt, a.I(1)))
// ---- end augment trivial ----

// ==== backbone zoo (issue 21): activations and normalisation of EfficientNet, MobileNetV3, ConvNeXt, ViT ====
UNARY(silu, silu)
UNARY(hardswish, hardswish)
UNARY(hardsigmoid, hardsigmoid)
// layer_norm(x, normalized_shape, weight?, bias?, eps): over the last len(normalized_shape) dimensions.
OP(layerNorm, return at::layer_norm(a.T(0), a.IL(1), a.OT(2), a.OT(3), a.D(4, 1e-5)))
// ==== end backbone zoo ====
