// Shared pieces of the addon: tensor handles, argument readers, result conversion, the op registry.
// The addon holds no model logic: each op checks its arguments, calls ATen and returns a handle.
#pragma once

#include <ATen/ATen.h>
#include <napi.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace tlearn {

// A JS handle owns one reference to a TensorImpl. Freeing it only drops that reference: storage that
// autograd or a parameter still uses stays alive (never release_resources(), which would wipe it).
struct TensorBox {
  static constexpr uint32_t kMagic = 0x544c524e;  // "TLRN"
  uint32_t magic = kMagic;
  at::Tensor tensor;
  bool live = true;
  explicit TensorBox(at::Tensor t);
  ~TensorBox();
  void release();
};

// Live handles, for memory(): counts and bytes of distinct storages.
size_t liveHandleCount();
std::pair<size_t, size_t> liveMemory();  // {handles, bytes}

Napi::Value wrapTensor(Napi::Env env, at::Tensor t);
TensorBox* unwrapBox(const Napi::Value& v, const char* what);

// Thrown for bad arguments; becomes a JS TypeError-like Error carrying the op name.
struct ArgError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Reads op arguments by position, with checks. Optional arguments are undefined or null.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op) : info_(info), op_(op) {}
  Napi::Env env() const { return info_.Env(); }
  size_t size() const { return info_.Length(); }
  bool has(size_t i) const { return i < info_.Length() && !info_[i].IsUndefined() && !info_[i].IsNull(); }
  bool isNum(size_t i) const { return i < info_.Length() && (info_[i].IsNumber() || info_[i].IsBoolean()); }

  const at::Tensor& T(size_t i) const;                 // a tensor handle
  c10::optional<at::Tensor> OT(size_t i) const;        // optional tensor
  at::Tensor UT(size_t i) const;                       // optional tensor as an undefined Tensor
  std::vector<at::Tensor> TL(size_t i) const;          // array of tensor handles
  double D(size_t i) const;
  double D(size_t i, double dflt) const { return has(i) ? D(i) : dflt; }
  int64_t I(size_t i) const;
  int64_t I(size_t i, int64_t dflt) const { return has(i) ? I(i) : dflt; }
  bool B(size_t i) const;
  bool B(size_t i, bool dflt) const { return has(i) ? B(i) : dflt; }
  at::Scalar S(size_t i) const;
  at::Scalar S(size_t i, at::Scalar dflt) const { return has(i) ? S(i) : dflt; }
  std::vector<int64_t> IL(size_t i) const;
  std::vector<at::Scalar> SL(size_t i) const;           // array of numbers as scalars
  c10::optional<std::vector<int64_t>> OIL(size_t i) const;
  std::string Str(size_t i) const;
  at::ScalarType DT(size_t i) const;
  c10::optional<at::ScalarType> ODT(size_t i) const;
  at::Device DV(size_t i) const;
  // dtype at i, device at i+1, requires_grad at i+2 (all optional)
  at::TensorOptions opts(size_t i) const;
  Napi::Value raw(size_t i) const { return info_[i]; }

 private:
  [[noreturn]] void fail(size_t i, const char* expected) const;
  const Napi::CallbackInfo& info_;
  const char* op_;
};

// Result conversion: tensors become handles (an undefined tensor becomes undefined), tuples become arrays.
struct Void {};
inline Napi::Value toJS(Napi::Env env, Void) { return env.Undefined(); }
inline Napi::Value toJS(Napi::Env env, const at::Tensor& t) { return wrapTensor(env, t); }
inline Napi::Value toJS(Napi::Env env, double v) { return Napi::Number::New(env, v); }
inline Napi::Value toJS(Napi::Env env, int64_t v) { return Napi::Number::New(env, static_cast<double>(v)); }
inline Napi::Value toJS(Napi::Env env, int v) { return Napi::Number::New(env, v); }
inline Napi::Value toJS(Napi::Env env, bool v) { return Napi::Boolean::New(env, v); }
inline Napi::Value toJS(Napi::Env env, const std::string& v) { return Napi::String::New(env, v); }
inline Napi::Value toJS(Napi::Env, Napi::Value v) { return v; }
Napi::Value toJS(Napi::Env env, const std::vector<int64_t>& v);
Napi::Value toJS(Napi::Env env, const std::vector<at::Tensor>& v);
template <typename A, typename B>
Napi::Value toJS(Napi::Env env, const std::tuple<A, B>& t) {
  auto arr = Napi::Array::New(env, 2);
  arr.Set(uint32_t(0), toJS(env, std::get<0>(t)));
  arr.Set(uint32_t(1), toJS(env, std::get<1>(t)));
  return arr;
}

// Runs an op body; every libtorch or argument error becomes a JS Error "op: message".
Napi::Value guard(Napi::Env env, const char* op, const std::function<Napi::Value()>& body);

using OpFn = Napi::Value (*)(const Napi::CallbackInfo&);
struct OpEntry {
  const char* name;
  OpFn fn;
};
std::vector<OpEntry>& opRegistry();
struct OpRegistrar {
  OpRegistrar(const char* name, OpFn fn) { opRegistry().push_back({name, fn}); }
};

std::string scalarTypeName(at::ScalarType t);

}  // namespace tlearn

// One line per op: OP(name, <body using a.T(0), a.D(1), ... that returns a value>).
#define OP(name, ...)                                                                  \
  static Napi::Value op_##name(const Napi::CallbackInfo& info) {                       \
    ::tlearn::Args a(info, #name);                                                     \
    return ::tlearn::guard(info.Env(), #name, [&]() -> Napi::Value {                   \
      return ::tlearn::toJS(info.Env(), [&]() { __VA_ARGS__; }());                     \
    });                                                                                \
  }                                                                                    \
  static ::tlearn::OpRegistrar reg_##name(#name, op_##name);

// In-place ops return nothing: the JS side returns the same handle, so no new handle is made.
#define OP_INPLACE(name, ...) OP(name, __VA_ARGS__; return ::tlearn::Void{})
