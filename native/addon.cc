// Module entry: exports every registered op as a function of the same name.
#include "binding.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (const auto& op : tlearn::opRegistry()) exports.Set(op.name, Napi::Function::New(env, op.fn, op.name));
  return exports;
}

NODE_API_MODULE(tlearn_native, Init)
