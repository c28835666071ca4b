// What the c10d files share (distributed-group.cc: rendezvous, the group, heartbeats; distributed.cc: collectives
// and work handles; distributed-ddp.cc: DDP's Reducer and initial broadcast; distributed-syncbn.cc: SyncBatchNorm):
// the process group's handle and the check every collective makes of a tensor. Built only with TLEARN_DISTRIBUTED
// (c10d's and Gloo's headers found).
#pragma once
#ifdef TLEARN_DISTRIBUTED

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <memory>
#include <string>

#include "binding.h"
#include "distributed-watch.h"

namespace tlearn::dist {

// One process group with its store. Closing drops both; Gloo's destructor first finishes queued work.
struct GroupBox {
  static constexpr uint32_t kMagic = 0x54504730;  // "TPG0"
  uint32_t magic = kMagic;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  int rank = 0, size = 1;
  std::string backend;
  ms timeout{300000};
  std::shared_ptr<Watch> watch;
  std::string where(const std::string& op) const {
    return op + " failed on rank " + std::to_string(rank) + " of " + std::to_string(size) + " (" + backend + ")";
  }
};

// The group behind a JS handle; throws when it is not one, or is closed.
GroupBox* unwrapGroup(const Napi::Value& v);

// A tensor a collective of this group can take: defined, contiguous, on the backend's device.
void checkTensor(const GroupBox* g, const at::Tensor& t, const char* op);

}  // namespace tlearn::dist

#endif  // TLEARN_DISTRIBUTED
