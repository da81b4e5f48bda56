// Fault injection: make one of vkrope's fallible calls (a Vulkan function that returns a
// VkResult, or a pipeline-cache file access) fail the way a driver or a disk could, so an
// application's error paths, and vkrope's own, can be run on demand.
//
// The hook is always compiled in and inactive until armed: each fallible call then costs one
// relaxed atomic load. It is process-wide (all Contexts, all threads), for tests and
// debugging; arming it while another thread does work makes that work fail too.
//
// What an injected fault does, per call (failure_results() lists what may be injected):
// - creations, allocations, maps, command-buffer calls, vkQueueSubmit, file accesses: the
//   call is not made and the result is returned instead, as a driver refusing it would;
// - waits and status queries (vkWaitForFences, vkWaitSemaphores, vkDeviceWaitIdle,
//   vkGetFenceStatus, vkGetSemaphoreCounterValue, vkGetQueryPoolResults): the call is made,
//   then its result replaced, so the GPU work has finished, as after a real device loss.
//
// The CLI arms a fault from VKROPE_FAULT (parse_fault's syntax), e.g.
//   VKROPE_FAULT=vkQueueSubmit:1:VK_ERROR_DEVICE_LOST vkrope rope ...
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope::fault {

// Every call vkrope makes that can fail. name() gives the Vulkan function's name.
enum class Point : std::uint8_t {
  EnumerateInstanceLayerProperties,  // (only when the validation layer is asked for)
  CreateInstance,
  CreateDebugUtilsMessenger,
  EnumeratePhysicalDevices,
  EnumerateDeviceExtensionProperties,
  CreateDevice,
  CreateSemaphore,
  CreatePipelineCache,
  GetPipelineCacheData,
  PipelineCacheFileRead,   // reading the persisted pipeline cache (ContextOptions::pipeline_cache_dir)
  PipelineCacheFileWrite,  // writing it
  CreateDescriptorSetLayout,
  CreatePipelineLayout,
  CreateShaderModule,
  CreateComputePipelines,
  CreateBuffer,
  AllocateMemory,
  BindBufferMemory,
  MapMemory,
  FlushMappedMemoryRanges,
  InvalidateMappedMemoryRanges,
  CreateCommandPool,
  AllocateCommandBuffers,
  CreateFence,
  ResetCommandPool,
  ResetCommandBuffer,
  BeginCommandBuffer,
  EndCommandBuffer,
  CreateDescriptorPool,
  AllocateDescriptorSets,
  CreateQueryPool,
  GetQueryPoolResults,
  ResetFences,
  QueueSubmit,
  WaitForFences,
  WaitSemaphores,
  GetFenceStatus,
  GetSemaphoreCounterValue,
  DeviceWaitIdle,
  CreateBufferView,  // a texel view of a tensor's buffer (rows_texel attention, the load floor)
  Count  // (the number of points)
};

// "vkQueueSubmit", "pipeline cache file read".
std::string_view name(Point point) noexcept;
// The point a name() names (exactly), or none.
std::optional<Point> point_named(std::string_view name) noexcept;

// The results the Vulkan specification lets `point` return on failure (as VkResult values),
// VK_TIMEOUT included for waits; for the file points, the result a disk failure maps to
// (VK_ERROR_INITIALIZATION_FAILED). arm() accepts only these.
std::span<const std::int32_t> failure_results(Point point) noexcept;
// "VK_ERROR_DEVICE_LOST" for -4; "VkResult(n)" for a value vkrope does not know.
std::string result_name(std::int32_t result);

// The `nth` call of `point` (1-based, counted from arm()) returns `result`; one fault at a time.
struct Fault {
  Point point = Point::QueueSubmit;
  std::int64_t nth = 1;
  std::int32_t result = 0;
};

// Arms `fault`, replacing any armed one. Throws vkrope::Error (InvalidArgument) when nth < 1
// or the result is not one of failure_results(point).
void arm(const Fault& fault);
// No fault armed (tracing, if on, goes on).
void disarm() noexcept;
// Whether the last armed fault has been delivered.
bool fired() noexcept;

// Recording every fallible call in order, from all threads: start_trace() clears and starts,
// stop_trace() stops and returns the calls seen (faults injected or not).
void start_trace();
std::vector<Point> stop_trace();

// "POINT:N:RESULT", e.g. "vkAllocateMemory:2:VK_ERROR_OUT_OF_DEVICE_MEMORY"; N defaults to 1
// and RESULT to the point's first failure result ("vkQueueSubmit" alone fails the first
// submit with VK_ERROR_OUT_OF_HOST_MEMORY). Throws vkrope::Error (InvalidArgument) naming what
// is wrong and listing what is allowed.
Fault parse_fault(std::string_view text);
// The inverse of parse_fault: "vkQueueSubmit:1:VK_ERROR_DEVICE_LOST".
std::string to_string(const Fault& fault);

}  // namespace vkrope::fault

VKROPE_PUBLIC_END
