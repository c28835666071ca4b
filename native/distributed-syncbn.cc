// torch.nn.SyncBatchNorm's training-mode forward and backward as a libtorch autograd function: the batch statistics
// all-reduced across the ranks of a process group, so that N ranks normalise as one process with the global batch.
#include "binding.h"
#include "distributed.h"

#ifdef TLEARN_DISTRIBUTED

#include <ATen/core/ivalue.h>
#include <torch/csrc/autograd/custom_function.h>

using tlearn::ArgError;
using namespace tlearn::dist;

namespace {

void allReduceNow(const c10::intrusive_ptr<c10d::ProcessGroup>& pg, at::Tensor& t, const std::string& what) {
  try {
    std::vector<at::Tensor> v{t};
    pg->allreduce(v)->wait();
  } catch (...) {
    throw std::runtime_error(what + " failed on rank " + std::to_string(pg->getRank()) + " of " +
                             std::to_string(pg->getSize()) + ": " + errorText(std::current_exception()));
  }
}

// Batch normalisation over the global batch of all ranks, as torch.nn.SyncBatchNorm in training mode:
// forward all-reduces each channel's sum, sum of squares and count; backward all-reduces sum(dy) and
// sum(dy * xhat). Weight and bias gradients stay local sums (DDP's all-reduce averages them).
struct SyncBatchNormFn : public torch::autograd::Function<SyncBatchNormFn> {
  // Optional tensors, as libtorch 1.13's custom functions refuse undefined ones; an absent one has no edge.
  using OT = c10::optional<at::Tensor>;
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x,
                                                const OT& weightArg, const OT& biasArg, const OT& runningMeanArg,
                                                const OT& runningVarArg, double momentum, double eps,
                                                c10::IValue group) {
    at::Tensor weight = weightArg.value_or(at::Tensor()), bias = biasArg.value_or(at::Tensor());
    at::Tensor runningMean = runningMeanArg.value_or(at::Tensor()), runningVar = runningVarArg.value_or(at::Tensor());
    auto pg = c10::static_intrusive_pointer_cast<c10d::ProcessGroup>(group.toCapsule());
    const int64_t C = x.size(1);
    std::vector<int64_t> dims{0};
    for (int64_t d = 2; d < x.dim(); d++) dims.push_back(d);
    std::vector<int64_t> shape(x.dim(), 1);
    shape[1] = C;
    // Local two-pass statistics, combined across ranks as sums in float64 (no cancellation in float32).
    auto vm = at::var_mean(x, dims, /*unbiased=*/false);
    at::Tensor mean = std::get<1>(vm).to(at::kDouble), var = std::get<0>(vm).to(at::kDouble);
    double n = static_cast<double>(x.numel() / std::max<int64_t>(C, 1));
    at::Tensor stats = at::cat({mean * n, (var + mean * mean) * n, at::full({1}, n, mean.options())});
    allReduceNow(pg, stats, "syncBatchNorm forward");
    double count = stats[2 * C].item<double>();
    if (count <= 1)
      throw std::runtime_error("syncBatchNorm: expected more than 1 value per channel over all ranks, got " +
                               std::to_string(static_cast<int64_t>(count)));
    at::Tensor gmean = stats.narrow(0, 0, C) / count;
    at::Tensor gvar = (stats.narrow(0, C, C) / count - gmean * gmean).clamp_min(0);
    at::Tensor invstd = (gvar + eps).rsqrt().to(x.scalar_type());
    at::Tensor meanT = gmean.to(x.scalar_type());
    at::Tensor y = (x - meanT.view(shape)) * invstd.view(shape);
    if (weight.defined()) y = y * weight.view(shape);
    if (bias.defined()) y = y + bias.view(shape);
    if (runningMean.defined()) runningMean.mul_(1 - momentum).add_(meanT.to(runningMean.scalar_type()), momentum);
    if (runningVar.defined())
      runningVar.mul_(1 - momentum).add_((gvar * (count / (count - 1))).to(runningVar.scalar_type()), momentum);
    ctx->save_for_backward(weight.defined() ? torch::autograd::variable_list{x, meanT, invstd, weight}
                                            : torch::autograd::variable_list{x, meanT, invstd});
    ctx->saved_data["count"] = count;
    ctx->saved_data["hasBias"] = bias.defined();
    ctx->saved_data["group"] = group;
    return {y};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    at::Tensor x = saved[0], mean = saved[1], invstd = saved[2], weight = saved.size() > 3 ? saved[3] : at::Tensor();
    // needs_input_grad counts the edges of the inputs given (x, then weight and bias where present).
    const size_t weightEdge = 1, biasEdge = weight.defined() ? 2 : 1;
    const bool hasBias = ctx->saved_data["hasBias"].toBool();
    double count = ctx->saved_data["count"].toDouble();
    auto pg = c10::static_intrusive_pointer_cast<c10d::ProcessGroup>(ctx->saved_data["group"].toCapsule());
    const int64_t C = x.size(1);
    std::vector<int64_t> dims{0};
    for (int64_t d = 2; d < x.dim(); d++) dims.push_back(d);
    std::vector<int64_t> shape(x.dim(), 1);
    shape[1] = C;
    at::Tensor dy = grads[0].defined() ? grads[0] : at::zeros_like(x);
    at::Tensor xhat = (x - mean.view(shape)) * invstd.view(shape);
    at::Tensor sumDy = dy.sum(dims), sumDyXhat = (dy * xhat).sum(dims);
    at::Tensor gradWeight, gradBias, gradInput;
    if (weight.defined() && ctx->needs_input_grad(weightEdge)) gradWeight = sumDyXhat.clone();
    if (hasBias && ctx->needs_input_grad(biasEdge)) gradBias = sumDy.clone();
    // Every rank reduces, whatever it needs: the ranks run the same graph, so the collective always matches.
    at::Tensor packed = at::cat({sumDy, sumDyXhat});
    allReduceNow(pg, packed, "syncBatchNorm backward");
    if (ctx->needs_input_grad(0)) {
      at::Tensor meanDy = packed.narrow(0, 0, C) / count, meanDyXhat = packed.narrow(0, C, C) / count;
      at::Tensor scale = weight.defined() ? invstd * weight : invstd;
      gradInput = (dy - meanDy.view(shape) - xhat * meanDyXhat.view(shape)) * scale.view(shape);
    }
    return {gradInput, gradWeight, gradBias, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

Napi::Value syncBatchNorm(const tlearn::Args& a) {
  at::Tensor x = a.T(0), weight = a.UT(1), bias = a.UT(2), rm = a.UT(3), rv = a.UT(4);
  double momentum = a.D(5), eps = a.D(6);
  GroupBox* g = unwrapGroup(a.raw(7));
  if (x.dim() < 2) throw ArgError("syncBatchNorm: expected an input with a channel dimension (N, C, ...)");
  checkTensor(g, x.contiguous(), "syncBatchNorm");
  const int64_t C = x.size(1);
  for (const at::Tensor* t : {&weight, &bias, &rm, &rv})
    if (t->defined() && (t->dim() != 1 || t->size(0) != C))
      throw ArgError("syncBatchNorm: weight, bias and running statistics must have " + std::to_string(C) + " elements");
  c10::intrusive_ptr<torch::CustomClassHolder> holder = g->pg;
  auto opt = [](const at::Tensor& t) { return t.defined() ? c10::optional<at::Tensor>(t) : c10::nullopt; };
  return tlearn::toJS(a.env(), SyncBatchNormFn::apply(x, opt(weight), opt(bias), opt(rm), opt(rv), momentum, eps,
                                                      c10::IValue::make_capsule(holder))[0]);
}

}  // namespace

OP(distSyncBatchNorm, return syncBatchNorm(a))


#endif  // TLEARN_DISTRIBUTED
