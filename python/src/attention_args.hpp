// Keyword options of attention() and KvCache.attend(), shared by both bindings.
#pragma once

#include "bindings.hpp"

namespace vkrope::python {

// An AttentionConfig: `config` (or the defaults) with `options` set over it by field name;
// a fused RoPE config with head_dim 0 takes `head_dim`. TypeError naming `function` for an
// unknown option.
AttentionConfig attention_config(const py::object& config, const py::kwargs& options, std::int64_t head_dim,
                                 const char* function);

// The last dimension of a tensor or numpy array (0 when it has none).
std::int64_t last_dim(const py::handle& object);

}  // namespace vkrope::python
