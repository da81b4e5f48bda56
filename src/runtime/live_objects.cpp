#include "runtime/live_objects.hpp"

#include <array>
#include <utility>
#include <string>

#include "vk/calls.hpp"
#include "vk/handles.hpp"
#include "vkrope/live_objects.hpp"

namespace vkrope {

namespace detail {

std::atomic<std::int64_t>& live_counter(Live kind) noexcept {
  static std::array<std::atomic<std::int64_t>, 3> counters{};
  return counters[static_cast<std::size_t>(kind)];
}

}  // namespace detail

LiveObjects live_objects() noexcept {
  using detail::Live;
  using detail::live_counter;
  return {live_counter(Live::Context).load(), live_counter(Live::Buffer).load(), live_counter(Live::Batch).load(),
          vk::live_object_count().load()};
}

std::string to_string(const LiveObjects& o) {
  return "contexts " + std::to_string(o.contexts) + ", buffers " + std::to_string(o.buffers) + ", batches " +
         std::to_string(o.batches) + ", vulkan objects " + std::to_string(o.vulkan_objects);
}

VulkanCalls vulkan_calls() noexcept {
  using vk::Call;
  using vk::calls;
  VulkanCalls c;
  c.allocate_memory = calls(Call::AllocateMemory);
  c.create_buffer = calls(Call::CreateBuffer);
  c.create_fence = calls(Call::CreateFence);
  c.create_semaphore = calls(Call::CreateSemaphore);
  c.create_command_pool = calls(Call::CreateCommandPool);
  c.allocate_command_buffers = calls(Call::AllocateCommandBuffers);
  c.create_descriptor_pool = calls(Call::CreateDescriptorPool);
  c.create_query_pool = calls(Call::CreateQueryPool);
  c.create_pipeline = calls(Call::CreatePipeline);
  c.queue_submit = calls(Call::QueueSubmit);
  c.wait = calls(Call::Wait);
  return c;
}

namespace {

// The fields of VulkanCalls with their names, for arithmetic and printing.
constexpr std::pair<const char*, std::int64_t VulkanCalls::*> kCallFields[] = {
    {"allocate_memory", &VulkanCalls::allocate_memory},
    {"create_buffer", &VulkanCalls::create_buffer},
    {"create_fence", &VulkanCalls::create_fence},
    {"create_semaphore", &VulkanCalls::create_semaphore},
    {"create_command_pool", &VulkanCalls::create_command_pool},
    {"allocate_command_buffers", &VulkanCalls::allocate_command_buffers},
    {"create_descriptor_pool", &VulkanCalls::create_descriptor_pool},
    {"create_query_pool", &VulkanCalls::create_query_pool},
    {"create_pipeline", &VulkanCalls::create_pipeline},
    {"queue_submit", &VulkanCalls::queue_submit},
    {"wait", &VulkanCalls::wait},
};

}  // namespace

std::int64_t VulkanCalls::creations() const noexcept {
  return allocate_memory + create_buffer + create_fence + create_semaphore + create_command_pool +
         allocate_command_buffers + create_descriptor_pool + create_query_pool + create_pipeline;
}

VulkanCalls VulkanCalls::operator-(const VulkanCalls& earlier) const noexcept {
  VulkanCalls d;
  for (const auto& [name, field] : kCallFields) d.*field = this->*field - earlier.*field;
  return d;
}

std::string to_string(const VulkanCalls& c) {
  std::string out;
  for (const auto& [name, field] : kCallFields)
    if (c.*field != 0) out += (out.empty() ? "" : ", ") + std::string(name) + " " + std::to_string(c.*field);
  return out.empty() ? "none" : out;
}

}  // namespace vkrope
