#include "runtime/texel_view.hpp"

#include <algorithm>
#include <string>

#include "vk/fault.hpp"

namespace vkrope::detail {

bool texel_viewable(const DeviceInfo& info, const BufferStorage& storage, std::uint32_t texel_bytes) {
  const std::uint64_t align = std::max<std::uint64_t>(1, info.min_texel_buffer_offset_alignment);
  return storage.texel_usage && storage.offset % align == 0 && storage.size / texel_bytes >= 1 &&
         storage.size / texel_bytes <= info.max_texel_buffer_elements;
}

VkBufferView texel_view(ContextState& ctx, BufferStorage& storage, VkFormat format, std::uint32_t texel_bytes) {
  if (!texel_viewable(ctx.effective, storage, texel_bytes))
    throw Error(ErrorKind::Internal, "a buffer of " + std::to_string(storage.size) + " bytes at offset " +
                                         std::to_string(storage.offset) + " cannot be one texel view of " +
                                         std::to_string(texel_bytes) + "-byte texels on " + ctx.effective.name);
  std::lock_guard lock(storage.views_mutex);
  for (const auto& [f, view] : storage.views)
    if (f == format) return view.handle();
  VkBufferViewCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
  info.buffer = storage.buffer;
  info.format = format;
  info.offset = storage.offset;
  info.range = storage.size / texel_bytes * texel_bytes;
  VkBufferView handle = VK_NULL_HANDLE;
  VK_TRY(CreateBufferView, ctx.fn.vkCreateBufferView(ctx.device, &info, nullptr, &handle));
  storage.views.emplace_back(format, vk::BufferView(ctx.ref(), handle));
  return handle;
}

}  // namespace vkrope::detail
