// Ops of the ConvNeXt / RegNet / ViT families (issue 21), kept apart from ops.cc so that the zoo branches
// merge without touching the same lines.
#include "binding.h"

using tlearn::Void;

// torch.nn.init.trunc_normal_ draws uniform numbers and maps them through erfinv, in place.
OP_INPLACE(erfinv_, a.T(0).erfinv_())
// nn.MultiheadAttention's inference fast path (torch 1.13 takes it in eval mode when no gradient is
// recorded, for self-attention with an even number of heads): query = key = value [N, L, E], the packed
// in-projection [3E, E] + [3E] and the out-projection [E, E] + [E]; no mask; only the output is returned.
OP(nativeMultiHeadAttention,
   return std::get<0>(at::_native_multi_head_attention(a.T(0), a.T(0), a.T(0), a.I(1), a.I(2), a.T(3), a.T(4), a.T(5), a.T(6),
                                                        c10::nullopt, false, true, c10::nullopt)))
