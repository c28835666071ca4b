// What torch.nn.parallel.DistributedDataParallel does, with c10d's own code: the Reducer (gradients averaged in
// ~25 MB buckets, each all-reduced as soon as backward has filled it) and the initial broadcast of rank 0's
// parameters and buffers. src/distributed/reducer.ts is the typed API.
#include "binding.h"
#include "distributed.h"

#ifdef TLEARN_DISTRIBUTED

#include <ATen/core/ivalue.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

#include <algorithm>
#include <type_traits>

using tlearn::ArgError;
using tlearn::Void;
using namespace tlearn::dist;

namespace {

// The all-reduce of one gradient bucket, as DDP's default (divide by the world size, then sum), with a
// future whose error names the rank: the Reducer waits on it at the end of backward.
class NamedAllreduceHook : public c10d::CommHookInterface {
 public:
  NamedAllreduceHook(c10::intrusive_ptr<c10d::ProcessGroup> pg, std::string label, std::shared_ptr<Watch> watch)
      : pg_(std::move(pg)), label_(std::move(label)), watch_(std::move(watch)) {}
  c10::intrusive_ptr<c10::ivalue::Future> runHook(c10d::GradBucket& bucket) override {
    if (watch_) watch_->launched++;
    at::Tensor buffer = bucket.getBufferRef();
    buffer.div_(pg_->getSize());
    std::vector<at::Tensor> v{buffer};
    auto fut = pg_->allreduce(v)->getFuture();
    auto out = c10::make_intrusive<c10::ivalue::Future>(c10::ListType::ofTensors(), fut->devices());
    std::string label = label_ + " (gradient bucket " + std::to_string(bucket.getIndex()) + ")";
    fut->addCallback([out, buffer, label](c10::ivalue::Future& f) {
      if (f.hasError())
        out->setError(std::make_exception_ptr(std::runtime_error(label + ": " + f.tryRetrieveErrorMessage())));
      else
        out->markCompleted(c10::IValue(std::vector<at::Tensor>{buffer}));
    });
    return out;
  }
  at::Tensor parseHookResult(const c10::IValue& result) override { return result.toTensorVector()[0]; }

 private:
  c10::intrusive_ptr<c10d::ProcessGroup> pg_;
  std::string label_;
  std::shared_ptr<Watch> watch_;
};

struct ReducerBox {
  static constexpr uint32_t kMagic = 0x54524430;  // "TRD0"
  uint32_t magic = kMagic;
  std::shared_ptr<c10d::Reducer> reducer;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  std::vector<std::vector<size_t>> buckets;  // parameter indices per bucket, in reduction order
  std::string label;
};

ReducerBox* unwrapReducer(const Napi::Value& v) {
  if (!v.IsExternal()) throw ArgError("argument 0: expected a gradient reducer");
  auto* r = v.As<Napi::External<ReducerBox>>().Data();
  if (r == nullptr || r->magic != ReducerBox::kMagic) throw ArgError("argument 0: not a gradient reducer handle");
  if (!r->reducer) throw ArgError("the gradient reducer is closed");
  return r;
}

// c10d::Reducer's constructor as this libtorch has it, defaults as DDP's: every parameter used, gradients
// copied out of the buckets, no per-bucket caps beyond `cap`. 1.13 takes the per-bucket limits; later releases
// take instead the flags torch.nn.parallel.DistributedDataParallel passes after `first` (two, then four in 2.13).
template <typename R = c10d::Reducer>
std::shared_ptr<R> makeReducer(const std::vector<at::Tensor>& params, const std::vector<std::vector<size_t>>& buckets,
                               const std::vector<size_t>& limits, const c10::intrusive_ptr<c10d::ProcessGroup>& pg,
                               const std::vector<bool>& sparse, int64_t cap, int64_t first) {
  using Names = std::unordered_map<size_t, std::string>;
  using Params = std::vector<at::Tensor>;
  using Buckets = std::vector<std::vector<size_t>>;
  using Pg = c10::intrusive_ptr<c10d::ProcessGroup>;
  using Sparse = std::vector<bool>;
  if constexpr (std::is_constructible_v<R, Params, Buckets, Pg, Sparse, int64_t, bool, bool, Names, int64_t, bool, bool,
                                        std::vector<int64_t>>) {
    return std::make_shared<R>(params, buckets, pg, sparse, cap, false, false, Names{}, first,
                               /*skip_all_reduce_unused_params=*/false, /*use_python_reducer=*/false,
                               /*bucket_bytes_cap_list=*/std::vector<int64_t>{});
  } else if constexpr (std::is_constructible_v<R, Params, Buckets, Pg, Sparse, int64_t, bool, bool, Names, int64_t,
                                               bool, bool>) {
    return std::make_shared<R>(params, buckets, pg, sparse, cap, false, false, Names{}, first, false, false);
  } else {
    static_assert(std::is_constructible_v<R, Params, Buckets, std::vector<size_t>, Pg, Sparse, int64_t, bool, bool,
                                          Names, int64_t>,
                  "this libtorch's c10d::Reducer constructor is not one tlearn knows: add it to makeReducer");
    return std::make_shared<R>(params, buckets, limits, pg, sparse, cap, false, false, Names{}, first);
  }
}

Napi::Value reducerCreate(const tlearn::Args& a) {
  GroupBox* g = unwrapGroup(a.raw(0));
  std::vector<at::Tensor> params = a.TL(1);
  int64_t cap = a.I(2, c10d::kDefaultBucketBytesCap);
  int64_t first = a.I(3, c10d::kDefaultFirstBucketBytes);
  if (params.empty()) throw ArgError("GradientReducer: no parameters to reduce");
  if (cap < 1 || first < 1) throw ArgError("GradientReducer: bucket sizes must be positive bytes");
  for (size_t i = 0; i < params.size(); i++) {
    if (!params[i].requires_grad() || !params[i].is_leaf())
      throw ArgError("GradientReducer: parameter " + std::to_string(i) + " is not a leaf tensor that requires grad");
    checkTensor(g, params[i], "GradientReducer");
  }
  auto* box = new ReducerBox();
  box->pg = g->pg;
  box->label = g->where("gradient allReduce");
  try {
    // As torch.nn.parallel.DistributedDataParallel: buckets by size in parameter order (the first one capped
    // at 1 MB), then reversed, since backward produces gradients roughly in reverse order.
    std::vector<bool> sparse(params.size(), false);
    std::vector<std::vector<size_t>> buckets;
    std::vector<size_t> limits;
    std::tie(buckets, limits) = c10d::compute_bucket_assignment_by_size(
        params, {static_cast<size_t>(first), static_cast<size_t>(cap)}, sparse);
    std::reverse(buckets.begin(), buckets.end());
    std::reverse(limits.begin(), limits.end());
    box->buckets = buckets;
    box->reducer = makeReducer(params, buckets, limits, g->pg, sparse, cap, first);
    box->reducer->register_comm_hook(std::make_unique<NamedAllreduceHook>(g->pg, box->label, g->watch));
  } catch (...) {
    std::string msg = g->where("GradientReducer") + ": " + errorText(std::current_exception());
    delete box;
    throw std::runtime_error(msg);
  }
  return Napi::External<ReducerBox>::New(a.env(), box, [](Napi::Env, ReducerBox* b) { delete b; });
}

// Before backward, as DDP's forward does: rebuild the buckets once in the order gradients arrived in the
// first iteration (a collective: every rank calls it at the same step), then arm the autograd hooks.
Napi::Value reducerPrepare(const tlearn::Args& a) {
  ReducerBox* r = unwrapReducer(a.raw(0));
  std::vector<at::Tensor> outputs = a.TL(1);
  try {
    r->reducer->rebuild_buckets();
    r->reducer->prepare_for_backward(outputs);
  } catch (...) {
    throw std::runtime_error(r->label + ": " + errorText(std::current_exception()));
  }
  return a.env().Undefined();
}

Napi::Value reducerBuckets(const tlearn::Args& a) {
  ReducerBox* r = unwrapReducer(a.raw(0));
  auto arr = Napi::Array::New(a.env(), r->buckets.size());
  for (uint32_t k = 0; k < r->buckets.size(); k++) {
    std::vector<int64_t> idx(r->buckets[k].begin(), r->buckets[k].end());
    arr.Set(k, tlearn::toJS(a.env(), idx));
  }
  return arr;
}

// The initial broadcast of parameters and buffers from rank 0 (DDP's _sync_module_states), coalesced into
// 250 MB buffers as DDP does.
Napi::Value broadcastCoalesced(const tlearn::Args& a) {
  GroupBox* g = unwrapGroup(a.raw(0));
  std::vector<at::Tensor> tensors = a.TL(1);
  int64_t root = a.I(2, 0);
  if (root < 0 || root >= g->size) throw ArgError("broadcastModule: root must be a rank in [0, " + std::to_string(g->size) + ")");
  for (const auto& t : tensors) checkTensor(g, t, "broadcastModule");
  if (g->watch) g->watch->launched++;
  try {
    c10::NoGradGuard ng;
    c10d::broadcast_coalesced(g->pg, tensors, 250 * 1024 * 1024, static_cast<int>(root));
  } catch (...) {
    throw std::runtime_error(g->where("broadcastModule") + ": " + errorText(std::current_exception()));
  }
  return a.env().Undefined();
}

}  // namespace

OP(distReducerCreate, return reducerCreate(a))
OP(distReducerPrepare, return reducerPrepare(a))
OP(distReducerBuckets, return reducerBuckets(a))
OP_INPLACE(distReducerClose, if (a.raw(0).IsExternal()) {
  auto* r = a.raw(0).As<Napi::External<ReducerBox>>().Data();
  if (r != nullptr && r->magic == ReducerBox::kMagic) r->reducer.reset();
})
OP(distBroadcastCoalesced, return broadcastCoalesced(a))

#endif  // TLEARN_DISTRIBUTED
