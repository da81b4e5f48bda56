// The device copy of a RoPE angle table (rope/angle_table.hpp), built once per Context and
// frequency set and shared by every kernel that rotates (rope.comp, flash_attention.comp,
// kv_append.comp).
#pragma once

#include <memory>

#include "runtime/batch_state.hpp"
#include "vkrope/rope.hpp"

namespace vkrope::detail {

std::shared_ptr<BufferStorage> angle_table_buffer(BatchState& state, const RopeFrequencies& frequencies);

}  // namespace vkrope::detail
