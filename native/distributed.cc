// Data-parallel training on libtorch's c10d: the collectives of a process group (all-reduce, broadcast,
// all-gather, barrier) with awaitable work handles. The group itself (rendezvous, heartbeats, close) lives in
// distributed-group.cc, c10d's Reducer in distributed-ddp.cc, SyncBatchNorm in distributed-syncbn.cc.
// src/distributed is the typed API.
//
// Every failure becomes a JS Error that names the operation and the rank ("allReduce failed on rank 1 of 2:
// ..."), whether it comes from c10d, from Gloo's worker threads or from a timeout.
#include "binding.h"
#include "distributed.h"

#include <c10/core/GradMode.h>

namespace {
#ifdef TLEARN_DISTRIBUTED
constexpr bool kHasGloo = true;
#else
constexpr bool kHasGloo = false;
#endif
#ifdef USE_C10D_NCCL
constexpr bool kHasNccl = true;
#else
constexpr bool kHasNccl = false;
#endif
}  // namespace

// Which backends this build has; the other dist* ops exist only when it has any.
OP(distAvailable, auto o = Napi::Object::New(a.env()); o.Set("gloo", kHasGloo); o.Set("nccl", kHasNccl);
   return Napi::Value(o))

#ifdef TLEARN_DISTRIBUTED

#include <ATen/core/ivalue.h>

using tlearn::ArgError;
using tlearn::Void;
using namespace tlearn::dist;

namespace {

// One launched collective: the c10d work, what it returns and how to name it in an error.
struct WorkBox {
  static constexpr uint32_t kMagic = 0x54574b30;  // "TWK0"
  uint32_t magic = kMagic;
  c10::intrusive_ptr<c10d::Work> work;
  std::vector<at::Tensor> outputs;  // allGather's per-rank tensors
  std::string label;                // "allReduce failed on rank 1 of 2 (gloo)"
  ms timeout{300000};
};

WorkBox* unwrapWork(const Napi::Value& v) {
  if (!v.IsExternal()) throw ArgError("argument 0: expected a work handle");
  auto* w = v.As<Napi::External<WorkBox>>().Data();
  if (w == nullptr || w->magic != WorkBox::kMagic) throw ArgError("argument 0: not a work handle");
  return w;
}

Napi::Value wrapWork(Napi::Env env, WorkBox* w) {
  return Napi::External<WorkBox>::New(env, w, [](Napi::Env, WorkBox* b) { delete b; });
}

WorkBox* newWork(const GroupBox* g, const char* op) {
  if (g->watch) g->watch->launched++;
  auto* w = new WorkBox();
  w->label = g->where(op);
  w->timeout = g->timeout;
  return w;
}

// Launching a collective only queues it; errors found while queueing are named like those found later.
template <typename F>
void launch(WorkBox* w, F&& f) {
  try {
    w->work = f();
  } catch (...) {
    std::string msg = w->label + ": " + errorText(std::current_exception());
    delete w;
    throw std::runtime_error(msg);
  }
}

c10d::ReduceOp::RedOpType reduceOp(const std::string& op) {
  if (op == "sum" || op == "avg") return c10d::ReduceOp::SUM;
  if (op == "max") return c10d::ReduceOp::MAX;
  if (op == "min") return c10d::ReduceOp::MIN;
  if (op == "product") return c10d::ReduceOp::PRODUCT;
  throw ArgError("reduce op must be sum, avg, max, min or product, got '" + op + "'");
}

Napi::Value allReduce(const tlearn::Args& a) {
  GroupBox* g = unwrapGroup(a.raw(0));
  at::Tensor t = a.T(1);
  std::string op = a.has(2) ? a.Str(2) : "sum";
  auto red = reduceOp(op);
  checkTensor(g, t, "allReduce");
  if (op == "avg") {
    // 1.13's Gloo has no AVG: divide first, then sum (as DDP divides gradients before its all-reduce).
    if (!at::isFloatingType(t.scalar_type())) throw ArgError("allReduce: avg needs a floating-point tensor");
    c10::NoGradGuard ng;
    t.div_(g->size);
  }
  WorkBox* w = newWork(g, "allReduce");
  launch(w, [&] {
    std::vector<at::Tensor> v{t};
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp(red);
    return g->pg->allreduce(v, o);
  });
  return wrapWork(a.env(), w);
}

Napi::Value broadcast(const tlearn::Args& a) {
  GroupBox* g = unwrapGroup(a.raw(0));
  at::Tensor t = a.T(1);
  int64_t root = a.I(2, 0);
  if (root < 0 || root >= g->size) throw ArgError("broadcast: root must be a rank in [0, " + std::to_string(g->size) + ")");
  checkTensor(g, t, "broadcast");
  WorkBox* w = newWork(g, "broadcast");
  launch(w, [&] {
    std::vector<at::Tensor> v{t};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    return g->pg->broadcast(v, o);
  });
  return wrapWork(a.env(), w);
}

Napi::Value allGather(const tlearn::Args& a) {
  GroupBox* g = unwrapGroup(a.raw(0));
  at::Tensor t = a.T(1);
  checkTensor(g, t, "allGather");
  WorkBox* w = newWork(g, "allGather");
  for (int r = 0; r < g->size; r++) w->outputs.push_back(at::empty_like(t));
  launch(w, [&] {
    std::vector<std::vector<at::Tensor>> outs{w->outputs};
    std::vector<at::Tensor> in{t};
    return g->pg->allgather(outs, in);
  });
  return wrapWork(a.env(), w);
}

Napi::Value barrier(const tlearn::Args& a) {
  GroupBox* g = unwrapGroup(a.raw(0));
  WorkBox* w = newWork(g, "barrier");
  launch(w, [&] {
    c10d::BarrierOptions o;
    o.timeout = g->timeout;
    return g->pg->barrier(o);
  });
  return wrapWork(a.env(), w);
}

// Blocks until the work is done (or the timeout passes): for use inside a training step.
Napi::Value workWait(const tlearn::Args& a) {
  WorkBox* w = unwrapWork(a.raw(0));
  ms timeout = a.has(1) ? ms(a.I(1)) : w->timeout;
  try {
    w->work->wait(timeout);
  } catch (...) {
    throw std::runtime_error(w->label + ": " + errorText(std::current_exception()));
  }
  return a.env().Undefined();
}

// A promise settled on the JS thread when the work completes: c10d's future calls back on a Gloo thread,
// which only hands over to the event loop through a thread-safe function. Nothing blocks the loop.
struct Settle {
  Napi::Promise::Deferred deferred;
  std::string error;  // empty when the work succeeded
};
void settleOnJs(Napi::Env env, Napi::Function, std::nullptr_t*, Settle* s) {
  if (env != nullptr) {
    if (s->error.empty()) s->deferred.Resolve(env.Undefined());
    else s->deferred.Reject(Napi::Error::New(env, s->error).Value());
  }
  delete s;
}
using SettleFn = Napi::TypedThreadSafeFunction<std::nullptr_t, Settle, settleOnJs>;

Napi::Value workPromise(const tlearn::Args& a) {
  WorkBox* w = unwrapWork(a.raw(0));
  auto* s = new Settle{Napi::Promise::Deferred::New(a.env()), ""};
  Napi::Promise p = s->deferred.Promise();
  SettleFn tsfn = SettleFn::New(a.env(), "tlearn-dist-work", 0, 1);
  std::string label = w->label;
  auto done = [tsfn, s, label](std::string error) mutable {
    if (!error.empty()) s->error = label + ": " + error;
    tsfn.NonBlockingCall(s);
    tsfn.Release();
  };
  c10::intrusive_ptr<c10::ivalue::Future> fut;
  try {
    fut = w->work->getFuture();
  } catch (...) {
    fut.reset();  // a backend without futures: a waiter thread instead
  }
  if (fut) {
    fut->addCallback([done](c10::ivalue::Future& f) mutable { done(f.hasError() ? f.tryRetrieveErrorMessage() : ""); });
  } else {
    auto work = w->work;
    ms timeout = w->timeout;
    std::thread([work, timeout, done]() mutable {
      try {
        work->wait(timeout);
        done("");
      } catch (...) {
        done(errorText(std::current_exception()));
      }
    }).detach();
  }
  return p;
}

Napi::Value workResult(const tlearn::Args& a) {
  WorkBox* w = unwrapWork(a.raw(0));
  return tlearn::toJS(a.env(), w->outputs);
}

}  // namespace

OP(distAllReduce, return allReduce(a))
OP(distBroadcast, return broadcast(a))
OP(distAllGather, return allGather(a))
OP(distBarrier, return barrier(a))
OP(distWorkWait, return workWait(a))
OP(distWorkPromise, return workPromise(a))
OP(distWorkIsCompleted, return unwrapWork(a.raw(0))->work->isCompleted())
OP(distWorkResult, return workResult(a))

#endif  // TLEARN_DISTRIBUTED
