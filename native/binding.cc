// Tensor handles, argument checks and error translation shared by every op.
#include "binding.h"

#include <c10/util/Exception.h>

#include <cmath>
#include <unordered_set>

namespace tlearn {

static std::unordered_set<TensorBox*>& liveBoxes() {
  static std::unordered_set<TensorBox*> boxes;
  return boxes;
}

TensorBox::TensorBox(at::Tensor t) : tensor(std::move(t)) { liveBoxes().insert(this); }
TensorBox::~TensorBox() { release(); }
void TensorBox::release() {
  if (!live) return;
  live = false;
  tensor = at::Tensor();  // drop our reference only
  liveBoxes().erase(this);
}

size_t liveHandleCount() { return liveBoxes().size(); }

std::pair<size_t, size_t> liveMemory() {
  std::unordered_set<const void*> seen;
  size_t bytes = 0;
  for (TensorBox* b : liveBoxes()) {
    const at::Tensor& t = b->tensor;
    if (!t.defined() || !t.has_storage()) continue;
    const void* key = t.storage().unsafeGetStorageImpl();
    if (seen.insert(key).second) bytes += t.storage().nbytes();
  }
  return {liveBoxes().size(), bytes};
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Undefined();
  auto* box = new TensorBox(std::move(t));
  // The finalizer runs if JS drops a handle without dispose(); it frees only our reference.
  return Napi::External<TensorBox>::New(env, box, [](Napi::Env, TensorBox* b) { delete b; });
}

TensorBox* unwrapBox(const Napi::Value& v, const char* what) {
  if (!v.IsExternal()) throw ArgError(std::string(what) + ": expected a tensor");
  auto* box = v.As<Napi::External<TensorBox>>().Data();
  if (box == nullptr || box->magic != TensorBox::kMagic) throw ArgError(std::string(what) + ": not a tensor handle");
  if (!box->live) throw ArgError(std::string(what) + ": tensor was disposed");
  return box;
}

void Args::fail(size_t i, const char* expected) const {
  throw ArgError("argument " + std::to_string(i) + ": expected " + expected);
}

const at::Tensor& Args::T(size_t i) const {
  if (i >= info_.Length()) fail(i, "a tensor");
  return unwrapBox(info_[i], ("argument " + std::to_string(i)).c_str())->tensor;
}
c10::optional<at::Tensor> Args::OT(size_t i) const {
  if (!has(i)) return c10::nullopt;
  return T(i);
}
at::Tensor Args::UT(size_t i) const { return has(i) ? T(i) : at::Tensor(); }
std::vector<at::Tensor> Args::TL(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsArray()) fail(i, "an array of tensors");
  auto arr = info_[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++)
    out.push_back(unwrapBox(arr.Get(k), ("argument " + std::to_string(i) + "[" + std::to_string(k) + "]").c_str())->tensor);
  return out;
}
double Args::D(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsNumber()) fail(i, "a number");
  return info_[i].As<Napi::Number>().DoubleValue();
}
int64_t Args::I(size_t i) const {
  double d = D(i);
  if (d != static_cast<double>(static_cast<int64_t>(d))) fail(i, "an integer");
  return static_cast<int64_t>(d);
}
bool Args::B(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsBoolean()) fail(i, "a boolean");
  return info_[i].As<Napi::Boolean>().Value();
}
at::Scalar Args::S(size_t i) const {
  if (i < info_.Length() && info_[i].IsBoolean()) return at::Scalar(info_[i].As<Napi::Boolean>().Value());
  double d = D(i);
  // An integral JS number acts as a Python int (so int64 tensors accept `add_(1)`), any other as a float.
  if (std::abs(d) < 9007199254740992.0 && d == static_cast<double>(static_cast<int64_t>(d))) return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}
std::vector<int64_t> Args::IL(size_t i) const {
  if (i < info_.Length() && info_[i].IsNumber()) return {I(i)};
  if (i >= info_.Length() || !info_[i].IsArray()) fail(i, "an array of integers");
  auto arr = info_[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsNumber()) fail(i, "an array of integers");
    double d = v.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int64_t>(d))) fail(i, "an array of integers");
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}
std::vector<at::Scalar> Args::SL(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsArray()) fail(i, "an array of numbers");
  auto arr = info_[i].As<Napi::Array>();
  std::vector<at::Scalar> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsNumber()) fail(i, "an array of numbers");
    out.emplace_back(v.As<Napi::Number>().DoubleValue());
  }
  return out;
}
c10::optional<std::vector<int64_t>> Args::OIL(size_t i) const {
  if (!has(i)) return c10::nullopt;
  return IL(i);
}
std::string Args::Str(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsString()) fail(i, "a string");
  return info_[i].As<Napi::String>().Utf8Value();
}

static const std::vector<std::pair<std::string, at::ScalarType>>& dtypeNames() {
  static const std::vector<std::pair<std::string, at::ScalarType>> names = {
      {"float32", at::kFloat}, {"float64", at::kDouble}, {"float16", at::kHalf},  {"bfloat16", at::kBFloat16},
      {"int64", at::kLong},    {"int32", at::kInt},      {"int16", at::kShort},   {"int8", at::kChar},
      {"uint8", at::kByte},    {"bool", at::kBool},
  };
  return names;
}
std::string scalarTypeName(at::ScalarType t) {
  for (auto& [n, st] : dtypeNames())
    if (st == t) return n;
  return c10::toString(t);
}
at::ScalarType Args::DT(size_t i) const {
  std::string s = Str(i);
  for (auto& [n, st] : dtypeNames())
    if (n == s) return st;
  throw ArgError("argument " + std::to_string(i) + ": unknown dtype '" + s + "'");
}
c10::optional<at::ScalarType> Args::ODT(size_t i) const {
  if (!has(i)) return c10::nullopt;
  return DT(i);
}
at::Device Args::DV(size_t i) const {
  std::string s = Str(i);
  try {
    return at::Device(s);
  } catch (const c10::Error&) {
    throw ArgError("argument " + std::to_string(i) + ": unknown device '" + s + "' (expected cpu, cuda or cuda:N)");
  }
}
at::TensorOptions Args::opts(size_t i) const {
  at::TensorOptions o = at::TensorOptions().dtype(has(i) ? DT(i) : at::kFloat);
  if (has(i + 1)) o = o.device(DV(i + 1));
  if (has(i + 2)) o = o.requires_grad(B(i + 2));
  return o;
}

Napi::Value toJS(Napi::Env env, const std::vector<int64_t>& v) {
  auto arr = Napi::Array::New(env, v.size());
  for (uint32_t k = 0; k < v.size(); k++) arr.Set(k, Napi::Number::New(env, static_cast<double>(v[k])));
  return arr;
}
Napi::Value toJS(Napi::Env env, const std::vector<at::Tensor>& v) {
  auto arr = Napi::Array::New(env, v.size());
  for (uint32_t k = 0; k < v.size(); k++) arr.Set(k, wrapTensor(env, v[k]));
  return arr;
}

Napi::Value guard(Napi::Env env, const char* op, const std::function<Napi::Value()>& body) {
  std::string msg;
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    msg = e.what_without_backtrace();
  } catch (const std::exception& e) {
    msg = e.what();
  } catch (...) {
    msg = "unknown native error";
  }
  Napi::Error err = Napi::Error::New(env, std::string(op) + ": " + msg);
  err.Set("op", Napi::String::New(env, op));
  err.Set("torchMessage", Napi::String::New(env, msg));
  throw err;
}

std::vector<OpEntry>& opRegistry() {
  static std::vector<OpEntry> ops;
  return ops;
}

}  // namespace tlearn
