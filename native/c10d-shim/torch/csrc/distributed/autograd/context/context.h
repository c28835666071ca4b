// Stand-in for torch/csrc/distributed/autograd/context/context.h, which Debian's libtorch-dev 1.13 leaves out
// although c10d/reducer.hpp includes it. The Reducer only names two types from it: the GradCallback type (a
// static_assert) and ContextPtr, held in a member whose layout does not depend on the class. CMakeLists.txt
// adds this folder to the include path only when libtorch's own copy is missing.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
