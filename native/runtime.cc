// Process-level functions: data in and out of tensors, handle lifetime, threads, seeds, grad mode,
// autocast, devices and build information.
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Config.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstring>
#include <mutex>

#include "binding.h"

using tlearn::Void;

#define TLEARN_TORCH_AT_LEAST(maj, min) \
  (TORCH_VERSION_MAJOR > (maj) || (TORCH_VERSION_MAJOR == (maj) && TORCH_VERSION_MINOR >= (min)))

// OpenBLAS, when it is the BLAS libtorch calls (Debian's libtorch: libblas.so.3 of the pthreads build), keeps a
// thread pool of its own that at::set_num_threads does not size. Weak: null where no OpenBLAS is loaded.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));
extern "C" int openblas_get_num_threads() __attribute__((weak));

namespace {

// Copies a typed array's bytes into a new tensor of the given shape and dtype (sizes checked first).
at::Tensor fromBytes(const tlearn::Args& a) {
  const Napi::Value& v = a.raw(0);
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    length = ta.ByteLength();
  } else if (v.IsArrayBuffer()) {
    auto ab = v.As<Napi::ArrayBuffer>();
    data = static_cast<const uint8_t*>(ab.Data());
    length = ab.ByteLength();
  } else {
    throw tlearn::ArgError("argument 0: expected a typed array or ArrayBuffer");
  }
  std::vector<int64_t> shape = a.IL(1);
  at::ScalarType dtype = a.DT(2);
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) throw tlearn::ArgError("negative dimension in shape");
    numel *= d;
  }
  size_t need = static_cast<size_t>(numel) * c10::elementSize(dtype);
  if (need != length)
    throw tlearn::ArgError("data has " + std::to_string(length) + " bytes but shape and dtype need " +
                           std::to_string(need));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
  if (need > 0) std::memcpy(t.data_ptr(), data, need);
  return t;
}

// Copies a tensor's elements (row-major, on CPU) into a new ArrayBuffer.
Napi::Value toBytes(const tlearn::Args& a) {
  at::Tensor t = a.T(0).detach().to(at::kCPU).contiguous();
  size_t n = t.numel() * t.element_size();
  auto ab = Napi::ArrayBuffer::New(a.env(), n);
  if (n > 0) std::memcpy(ab.Data(), t.data_ptr(), n);
  return ab;
}

at::DeviceType deviceType(const std::string& s) {
  if (s == "cpu") return at::kCPU;
  if (s == "cuda") return at::kCUDA;
  throw tlearn::ArgError("autocast device must be 'cpu' or 'cuda', got '" + s + "'");
}

// Autocast state is thread-local in libtorch; every op runs on the JS thread, so setting it here is enough.
Napi::Value autocastSet(const tlearn::Args& a) {
  at::DeviceType dev = deviceType(a.Str(0));
  bool enabled = a.B(1);
  at::ScalarType dtype = a.DT(2);
  auto out = Napi::Array::New(a.env(), 2);
#if TLEARN_TORCH_AT_LEAST(2, 4)
  out.Set(uint32_t(0), at::autocast::is_autocast_enabled(dev));
  out.Set(uint32_t(1), tlearn::scalarTypeName(at::autocast::get_autocast_dtype(dev)));
  at::autocast::set_autocast_enabled(dev, enabled);
  at::autocast::set_autocast_dtype(dev, dtype);
#else
  if (dev == at::kCPU) {
    out.Set(uint32_t(0), at::autocast::is_cpu_enabled());
    out.Set(uint32_t(1), tlearn::scalarTypeName(at::autocast::get_autocast_cpu_dtype()));
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    out.Set(uint32_t(0), at::autocast::is_enabled());
    out.Set(uint32_t(1), tlearn::scalarTypeName(at::autocast::get_autocast_gpu_dtype()));
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
#endif
  return out;
}

}  // namespace

OP(fromBuffer, return fromBytes(a))
OP(toBuffer, return toBytes(a))
// A key that changes whenever one of the tensors may have: each one's version counter (every in-place op bumps it)
// and data address (set_data and moves change it). Empty when one has no counter (an inference tensor).
OP(versionKey, {
  std::string key;
  for (const at::Tensor& t : a.TL(0)) {
    if (t.is_inference()) return std::string();
    key += std::to_string(t._version()) + '@' + std::to_string(reinterpret_cast<uintptr_t>(t.data_ptr())) + ';';
  }
  return key;
})
OP(free, tlearn::unwrapBox(a.raw(0), "argument 0")->release(); return Void{})
OP(isLive, auto* box = a.raw(0).IsExternal() ? a.raw(0).As<Napi::External<tlearn::TensorBox>>().Data() : nullptr;
   return box != nullptr && box->magic == tlearn::TensorBox::kMagic && box->live)
OP(memory, auto m = tlearn::liveMemory(); auto o = Napi::Object::New(a.env());
   o.Set("tensors", double(m.first)); o.Set("bytes", double(m.second)); return Napi::Value(o))

OP(getNumThreads, return int64_t(at::get_num_threads()))
OP_INPLACE(setNumThreads, int n = static_cast<int>(a.I(0)); at::set_num_threads(n);
           if (openblas_set_num_threads != nullptr) openblas_set_num_threads(n))
OP(blasThreads, if (openblas_get_num_threads == nullptr) return Napi::Value(a.env().Null());
   return Napi::Value(Napi::Number::New(a.env(), openblas_get_num_threads())))
OP_INPLACE(manualSeed, at::manual_seed(static_cast<uint64_t>(a.I(0))))
OP(getRngState, auto gen = at::detail::getDefaultCPUGenerator(); std::lock_guard<std::mutex> lock(gen.mutex());
   return gen.get_state())
OP_INPLACE(setRngState, auto gen = at::detail::getDefaultCPUGenerator(); std::lock_guard<std::mutex> lock(gen.mutex());
           gen.set_state(a.T(0)))
OP(isGradEnabled, return at::GradMode::is_enabled())
OP(setGradEnabled, bool prev = at::GradMode::is_enabled(); at::GradMode::set_enabled(a.B(0)); return prev)
OP(autocastSet, return autocastSet(a))
OP(autocastEnter, return int64_t(at::autocast::increment_nesting()))
OP(autocastExit, int64_t n = at::autocast::decrement_nesting(); if (n == 0) at::autocast::clear_cache(); return n)

OP(cudaIsAvailable, return torch::cuda::is_available())
OP(cudaDeviceCount, return int64_t(torch::cuda::device_count()))
OP_INPLACE(cudaSynchronize, if (torch::cuda::is_available()) torch::cuda::synchronize(a.has(0) ? a.I(0) : -1))
OP_INPLACE(cudaManualSeed, if (torch::cuda::is_available()) torch::cuda::manual_seed_all(static_cast<uint64_t>(a.I(0))))

// ---- The current CUDA device (torch.cuda.set_device), through c10's device-guard interface so that it also
// compiles against a CPU-only libtorch: there it answers with a clear error. 'cuda' tensors are made on the
// current device, and ProcessGroupNCCL communicates on the device of its tensors.
namespace {
const c10::impl::DeviceGuardImplInterface& cudaGuard(const std::string& what) {
  if (!c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA))
    throw std::runtime_error("this libtorch has no CUDA support, so " + what +
                             " is impossible: build the addon against a CUDA libtorch (LIBTORCH=/path/to/libtorch-cuda npm run build:native)");
  const auto& g = *c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA);
  // A CUDA libtorch without a GPU would otherwise answer with a driver error, or "devices 0 to -1".
  if (g.deviceCount() == 0)
    throw std::runtime_error("this process sees no CUDA device (no GPU or driver here, or CUDA_VISIBLE_DEVICES hides them), so " +
                             what + " is impossible");
  return g;
}
Napi::Value cudaSetDevice(const tlearn::Args& a) {
  int64_t index = a.I(0);
  const auto& g = cudaGuard("selecting CUDA device " + std::to_string(index));
  int64_t count = g.deviceCount();
  if (index < 0 || index >= count)
    throw tlearn::ArgError("CUDA device " + std::to_string(index) + " does not exist: this process sees " + std::to_string(count) +
                           " (devices 0 to " + std::to_string(count - 1) + "; CUDA_VISIBLE_DEVICES chooses which)");
  g.setDevice(c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(index)));
  return tlearn::toJS(a.env(), index);
}
}  // namespace
OP(cudaSetDevice, return cudaSetDevice(a))
OP(cudaCurrentDevice, return int64_t(cudaGuard("reading the current CUDA device").getDevice().index()))

OP(version, return std::string(TORCH_VERSION))
OP(buildConfig, return at::show_config())
OP(parallelInfo, return at::get_parallel_info())
OP(liveHandles, return int64_t(tlearn::liveHandleCount()))
