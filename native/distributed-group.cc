// A data-parallel process group on libtorch's c10d: the TCPStore rendezvous (MASTER_ADDR/MASTER_PORT, torchrun's
// prefix), the group (Gloo on CPU, NCCL in CUDA builds) built on a worker thread, its heartbeat connection to the
// store (distributed-watch.h), and closing it. The collectives are in distributed.cc.
#include "binding.h"
#include "distributed.h"

#ifdef TLEARN_DISTRIBUTED

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/version.h>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <mutex>

using tlearn::ArgError;
using tlearn::Void;
using namespace tlearn::dist;

namespace tlearn::dist {

GroupBox* unwrapGroup(const Napi::Value& v) {
  if (!v.IsExternal()) throw ArgError("argument 0: expected a process group");
  auto* g = v.As<Napi::External<GroupBox>>().Data();
  if (g == nullptr || g->magic != GroupBox::kMagic) throw ArgError("argument 0: not a process group handle");
  if (!g->pg) throw ArgError("the process group is closed");
  return g;
}

void checkTensor(const GroupBox* g, const at::Tensor& t, const char* op) {
  if (!t.defined()) throw ArgError(std::string(op) + ": the tensor is undefined");
  if (!t.is_contiguous()) throw ArgError(std::string(op) + ": the tensor must be contiguous (call .contiguous())");
  if (g->backend == "gloo" && !t.device().is_cpu())
    throw ArgError(std::string(op) + ": the gloo backend takes CPU tensors, got one on " + t.device().str());
  if (g->backend == "nccl" && !t.device().is_cuda())
    throw ArgError(std::string(op) + ": the nccl backend takes CUDA tensors, got one on " + t.device().str());
}

}  // namespace tlearn::dist

namespace {

// Gloo's transport device: GLOO_SOCKET_IFNAME as in PyTorch; loopback when the master is local (a single
// machine, also in containers whose hostname resolves elsewhere); else the address of this host's name.
std::shared_ptr<::gloo::transport::Device> glooDevice(const std::string& masterAddr) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (masterAddr == "localhost" || masterAddr.rfind("127.", 0) == 0)
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// libtorch 2 splits a group into a c10d::ProcessGroup that dispatches and per-device c10d::Backend objects that
// communicate (Gloo, NCCL); torch.distributed's _new_process_group_helper assembles them as here. 1.13's
// ProcessGroupGloo and ProcessGroupNCCL are process groups themselves.
enum class Engine { Gloo, Nccl };
#if TORCH_VERSION_MAJOR >= 2
template <typename Pg>
auto nameGroup(Pg& pg, int) -> decltype(pg->setGroupName(std::string()), void()) { pg->setGroupName("0"); }
template <typename Pg>
void nameGroup(Pg&, long) {}

c10::intrusive_ptr<c10d::ProcessGroup> asGroup(const c10::intrusive_ptr<c10d::Backend>& backend, const GroupBox& box,
                                               Engine engine) {
  using Type = c10d::ProcessGroup::BackendType;
  const Type type = engine == Engine::Gloo ? Type::GLOO : Type::NCCL;
  auto pg = c10::make_intrusive<c10d::ProcessGroup>(box.store, box.rank, box.size);
  pg->setBackend(engine == Engine::Gloo ? c10::DeviceType::CPU : c10::DeviceType::CUDA, type, backend);
  pg->setDefaultBackend(type);
  nameGroup(pg, 0);
  return pg;
}
#else
c10::intrusive_ptr<c10d::ProcessGroup> asGroup(c10::intrusive_ptr<c10d::ProcessGroup> pg, const GroupBox&, Engine) {
  return pg;
}
#endif

// The rendezvous and the group's construction wait for every rank, so they run on a worker thread and
// init() returns a promise. No tensor is made here (the handle registry is not thread-safe).
class InitWorker : public Napi::AsyncWorker {
 public:
  InitWorker(Napi::Env env, int rank, int size, std::string addr, int port, std::string backend, ms timeout,
             ms connectTimeout, bool serveStore, std::string prefix, ms peerTimeout, std::string storeOwner)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), addr_(std::move(addr)), port_(port),
        connectTimeout_(connectTimeout), serveStore_(serveStore), prefix_(std::move(prefix)), peerTimeout_(peerTimeout),
        storeOwner_(std::move(storeOwner)) {
    box_ = new GroupBox();
    box_->rank = rank;
    box_->size = size;
    box_->backend = std::move(backend);
    box_->timeout = timeout;
  }
  ~InitWorker() override { delete box_; }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      c10d::TCPStoreOptions o;
      o.port = static_cast<uint16_t>(port_);
      // Under torchrun the agent already serves the store at MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE): connect only.
      o.isServer = serveStore_;
      o.numWorkers = static_cast<size_t>(box_->size);
      o.waitWorkers = false;
      o.timeout = connectTimeout_;
      box_->store = c10::make_intrusive<c10d::TCPStore>(addr_, o);
      // torch.distributed's keys under torchrun live below /worker/attempt_N of the agent's store.
      if (!prefix_.empty()) box_->store = c10::make_intrusive<c10d::PrefixStore>(prefix_, box_->store);
      box_->store->setTimeout(connectTimeout_);
      if (box_->backend == "gloo") {
        auto opts = c10d::ProcessGroupGloo::Options::create(box_->timeout);
        opts->devices.push_back(glooDevice(addr_));
        opts->threads = 2;
        box_->pg = asGroup(c10::make_intrusive<c10d::ProcessGroupGloo>(box_->store, box_->rank, box_->size, opts),
                           *box_, Engine::Gloo);
      } else {
#ifdef USE_C10D_NCCL
        auto opts = c10d::ProcessGroupNCCL::Options::create();
        opts->timeout = box_->timeout;
        box_->pg = asGroup(c10::make_intrusive<c10d::ProcessGroupNCCL>(box_->store, box_->rank, box_->size, opts),
                           *box_, Engine::Nccl);
#else
        throw std::runtime_error("this libtorch has no NCCL backend");
#endif
      }
      box_->store->setTimeout(box_->timeout);
      auto w = std::make_shared<Watch>();
      w->prefix = prefix_;
      w->host = addr_;
      w->port = port_;
      w->rank = box_->rank;
      w->size = box_->size;
      w->peerTimeout = peerTimeout_;
      w->storeOwner = storeOwner_;
      w->start();
      box_->watch = w;
    } catch (...) {
      SetError(box_->where("init") + " (rendezvous at " + addr_ + ":" + std::to_string(port_) + "): " +
               errorText(std::current_exception()));
    }
  }
  void OnOK() override {
    GroupBox* g = box_;
    box_ = nullptr;
    deferred_.Resolve(Napi::External<GroupBox>::New(Env(), g, [](Napi::Env, GroupBox* b) { delete b; }));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  GroupBox* box_;
  std::string addr_;
  int port_;
  ms connectTimeout_;
  bool serveStore_;
  std::string prefix_;
  ms peerTimeout_;
  std::string storeOwner_;
};

Napi::Value initGroup(const tlearn::Args& a) {
  int64_t rank = a.I(0), size = a.I(1), port = a.I(3);
  std::string addr = a.Str(2), backend = a.Str(4);
  int64_t timeoutMs = a.I(5), connectMs = a.I(6, timeoutMs);
  bool serveStore = a.B(7, rank == 0);
  std::string prefix = a.has(8) ? a.Str(8) : std::string();
  int64_t peerMs = a.I(9, 30000);
  std::string storeOwner = a.has(10) ? a.Str(10) : std::string("rank 0");
  if (peerMs < 0) throw ArgError("peerTimeoutMs must be 0 (no watchdog) or positive milliseconds");
  if (size < 1) throw ArgError("worldSize must be at least 1, got " + std::to_string(size));
  if (rank < 0 || rank >= size)
    throw ArgError("rank must be in [0, " + std::to_string(size) + "), got " + std::to_string(rank));
  if (port < 1 || port > 65535) throw ArgError("masterPort must be in [1, 65535], got " + std::to_string(port));
  if (backend != "gloo" && backend != "nccl") throw ArgError("backend must be 'gloo' or 'nccl', got '" + backend + "'");
  if (timeoutMs < 1 || connectMs < 1) throw ArgError("timeouts must be positive milliseconds");
  // NCCL's collectives honour the timeout only with async error handling (libtorch 1.13 leaves it off);
  // set here, on the JS thread, before the group reads it. A value the user set is kept.
  if (backend == "nccl") setenv("NCCL_ASYNC_ERROR_HANDLING", "1", 0);
  auto* w = new InitWorker(a.env(), static_cast<int>(rank), static_cast<int>(size), addr, static_cast<int>(port),
                           backend, ms(timeoutMs), ms(connectMs), serveStore, prefix, ms(peerMs), storeOwner);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// The group's heartbeat connection to the store, for src/distributed/faults.ts.
Watch& watchOf(const tlearn::Args& a) {
  GroupBox* g = unwrapGroup(a.raw(0));
  if (!g->watch) throw ArgError("the process group has no heartbeat");
  return *g->watch;
}

template <typename F>
auto onStore(Watch& w, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (...) {
    throw std::runtime_error("the store at " + w.host + ":" + std::to_string(w.port) + ": " + errorText(std::current_exception()));
  }
}

Napi::Value watchInfo(const tlearn::Args& a) {
  Watch& w = watchOf(a);
  auto o = Napi::Object::New(a.env());
  o.Set("launched", double(w.launched.load()));
  o.Set("host", w.host);
  o.Set("port", w.port);
  o.Set("intervalMs", double(w.interval.count()));
  o.Set("nowMs", double(Watch::nowMs()));
  return o;
}

Napi::Value storeGet(const tlearn::Args& a) {
  Watch& w = watchOf(a);
  std::string key = a.Str(1);
  auto v = onStore(w, [&] { return w.get(key); });
  return v ? Napi::Value(Napi::String::New(a.env(), *v)) : a.env().Null();
}

}  // namespace

OP(distInit, return initGroup(a))
OP(distWatch, return watchInfo(a))
OP(distStoreGet, return storeGet(a))
OP_INPLACE(distStoreSet, Watch& w = watchOf(a); std::string k = a.Str(1), v = a.Str(2); onStore(w, [&] { w.set(k, v); }))
OP(distStoreCheck, Watch& w = watchOf(a); std::vector<std::string> keys;
   auto arr = a.raw(1); if (!arr.IsArray()) throw ArgError("argument 1: expected an array of keys");
   for (uint32_t i = 0; i < arr.As<Napi::Array>().Length(); i++) keys.push_back(arr.As<Napi::Array>().Get(i).ToString().Utf8Value());
   return onStore(w, [&] { return w.op([&] { return w.store->check(keys); }); }))
// Marks this rank as gone for the others ("exited" from the process's exit handler) and stops its heartbeat.
OP_INPLACE(distLeave, GroupBox* g = unwrapGroup(a.raw(0)); if (g->watch) g->watch->leave(a.has(1) ? a.Str(1) : "closed"))
OP(distRank, return int64_t(unwrapGroup(a.raw(0))->rank))
OP(distWorldSize, return int64_t(unwrapGroup(a.raw(0))->size))
OP(distBackend, return unwrapGroup(a.raw(0))->backend)
OP_INPLACE(distClose, if (a.raw(0).IsExternal()) {
  auto* g = a.raw(0).As<Napi::External<GroupBox>>().Data();
  if (g != nullptr && g->magic == GroupBox::kMagic) {
    if (g->watch) g->watch->leave("closed");
    g->pg.reset();
    g->store.reset();
    g->watch.reset();
  }
})

#endif  // TLEARN_DISTRIBUTED
