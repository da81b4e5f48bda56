// Uniform texel-buffer views of tensors' buffers, for kernels that read through texel
// fetches (a CPU driver's fastest load path: lavapipe gathers them). A view covers a
// storage's whole range in one format; it is made on first use and lives as long as the
// storage, which every batch that binds it keeps alive.
#pragma once

#include <cstdint>

#include "runtime/context_state.hpp"
#include "runtime/memory.hpp"
#include "vkrope/device_info.hpp"

namespace vkrope::detail {

// Whether `storage` can be one view of `texel_bytes`-byte texels on this device: created
// for texel use, its range starting on minTexelBufferOffsetAlignment and holding at most
// maxTexelBufferElements texels (the effective limits: baseline emulation caps them).
bool texel_viewable(const DeviceInfo& info, const BufferStorage& storage, std::uint32_t texel_bytes);

// The view of the whole range in `format` (texels of `texel_bytes`); throws Internal when
// !texel_viewable, and what vkCreateBufferView throws. Thread-safe.
VkBufferView texel_view(ContextState& ctx, BufferStorage& storage, VkFormat format, std::uint32_t texel_bytes);

}  // namespace vkrope::detail
