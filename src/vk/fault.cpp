// The fault-injection hook and the table of fallible calls: each point's Vulkan function,
// the failures the specification allows it (its "Return Codes", failure part), whether an
// injected failure still makes the call, and which vulkan_calls() count it feeds.
#include "vk/fault.hpp"

#include <array>
#include <mutex>
#include <string>
#include <string_view>

#include "vk/calls.hpp"

namespace vkrope::vk {

std::atomic<bool> g_fault_hook_on{false};

namespace {

constexpr std::int32_t kHost = VK_ERROR_OUT_OF_HOST_MEMORY;
constexpr std::int32_t kDevice = VK_ERROR_OUT_OF_DEVICE_MEMORY;
constexpr std::int32_t kLost = VK_ERROR_DEVICE_LOST;

struct PointInfo {
  const char* name;
  std::array<std::int32_t, 7> results;  // 0-terminated
  bool runs_before_failing = false;
  Call counted = Call::Count;  // Count: not counted
};

constexpr std::array<std::int32_t, 7> oom{kHost, kDevice};

// In enum order (checked below).
constexpr std::array<PointInfo, static_cast<std::size_t>(Point::Count)> kPoints{{
    {"vkEnumerateInstanceLayerProperties", oom},
    {"vkCreateInstance",
     {kHost, kDevice, VK_ERROR_INITIALIZATION_FAILED, VK_ERROR_LAYER_NOT_PRESENT, VK_ERROR_EXTENSION_NOT_PRESENT,
      VK_ERROR_INCOMPATIBLE_DRIVER}},
    {"vkCreateDebugUtilsMessengerEXT", {kHost}},
    {"vkEnumeratePhysicalDevices", {kHost, kDevice, VK_ERROR_INITIALIZATION_FAILED}},
    {"vkEnumerateDeviceExtensionProperties", {kHost, kDevice, VK_ERROR_LAYER_NOT_PRESENT}},
    {"vkCreateDevice",
     {kHost, kDevice, VK_ERROR_INITIALIZATION_FAILED, VK_ERROR_EXTENSION_NOT_PRESENT, VK_ERROR_FEATURE_NOT_PRESENT,
      VK_ERROR_TOO_MANY_OBJECTS, kLost}},
    {"vkCreateSemaphore", oom, false, Call::CreateSemaphore},
    {"vkCreatePipelineCache", oom},
    {"vkGetPipelineCacheData", oom},
    // A disk failure has no VkResult; INITIALIZATION_FAILED stands for it.
    {"pipeline cache file read", {VK_ERROR_INITIALIZATION_FAILED}},
    {"pipeline cache file write", {VK_ERROR_INITIALIZATION_FAILED}},
    {"vkCreateDescriptorSetLayout", oom},
    {"vkCreatePipelineLayout", oom},
    {"vkCreateShaderModule", oom},
    {"vkCreateComputePipelines", oom, false, Call::CreatePipeline},
    {"vkCreateBuffer", oom, false, Call::CreateBuffer},
    {"vkAllocateMemory", {kHost, kDevice, VK_ERROR_TOO_MANY_OBJECTS}, false, Call::AllocateMemory},
    {"vkBindBufferMemory", oom},
    {"vkMapMemory", {kHost, kDevice, VK_ERROR_MEMORY_MAP_FAILED}},
    {"vkFlushMappedMemoryRanges", oom},
    {"vkInvalidateMappedMemoryRanges", oom},
    {"vkCreateCommandPool", oom, false, Call::CreateCommandPool},
    {"vkAllocateCommandBuffers", oom, false, Call::AllocateCommandBuffers},
    {"vkCreateFence", oom, false, Call::CreateFence},
    {"vkResetCommandPool", {kDevice}},
    {"vkResetCommandBuffer", {kDevice}},
    {"vkBeginCommandBuffer", oom},
    {"vkEndCommandBuffer", oom},
    {"vkCreateDescriptorPool", {kHost, kDevice, VK_ERROR_FRAGMENTATION}, false, Call::CreateDescriptorPool},
    {"vkAllocateDescriptorSets", {kHost, kDevice, VK_ERROR_FRAGMENTED_POOL, VK_ERROR_OUT_OF_POOL_MEMORY}},
    {"vkCreateQueryPool", oom, false, Call::CreateQueryPool},
    {"vkGetQueryPoolResults", {kHost, kDevice, kLost}, true},
    {"vkResetFences", {kDevice}},
    {"vkQueueSubmit", {kHost, kDevice, kLost}, false, Call::QueueSubmit},
    {"vkWaitForFences", {VK_TIMEOUT, kHost, kDevice, kLost}, true, Call::Wait},
    {"vkWaitSemaphores", {VK_TIMEOUT, kHost, kDevice, kLost}, true, Call::Wait},
    {"vkGetFenceStatus", {kHost, kDevice, kLost}, true},
    {"vkGetSemaphoreCounterValue", {kHost, kDevice, kLost}, true},
    {"vkDeviceWaitIdle", {kHost, kDevice, kLost}, true, Call::Wait},
    {"vkCreateBufferView", oom},
}};

constexpr bool named(Point point, std::string_view name) {
  return std::string_view(kPoints[static_cast<std::size_t>(point)].name) == name;
}
// The table follows the enum: spot checks at its start, middle and end.
static_assert(named(Point::EnumerateInstanceLayerProperties, "vkEnumerateInstanceLayerProperties"));
static_assert(named(Point::CreateComputePipelines, "vkCreateComputePipelines"));
static_assert(named(Point::QueueSubmit, "vkQueueSubmit"));
static_assert(named(Point::DeviceWaitIdle, "vkDeviceWaitIdle"));

const PointInfo& info(Point point) noexcept { return kPoints[static_cast<std::size_t>(point)]; }

// The armed fault and the trace, behind one mutex (the slow path only).
struct HookState {
  std::mutex mutex;
  bool armed = false;
  bool fired = false;
  fault::Fault fault;
  std::int64_t seen = 0;  // calls of fault.point since arm()
  bool tracing = false;
  std::vector<Point> trace;

  void update_switch() { g_fault_hook_on.store(armed || tracing, std::memory_order_relaxed); }
};

HookState& hook() {
  static HookState state;
  return state;
}

}  // namespace

VkResult take_fault(Point point) noexcept {
  HookState& h = hook();
  std::lock_guard lock(h.mutex);
  if (h.tracing) {
    try {
      h.trace.push_back(point);
    } catch (...) {
      // Out of host memory while tracing: the trace misses a call, the run goes on.
    }
  }
  if (!h.armed || h.fault.point != point || ++h.seen < h.fault.nth) return VK_SUCCESS;
  h.armed = false;
  h.fired = true;
  h.update_switch();
  return static_cast<VkResult>(h.fault.result);
}

bool runs_before_failing(Point point) noexcept { return info(point).runs_before_failing; }

void count_point(Point point) noexcept {
  const Call counted = info(point).counted;
  if (counted != Call::Count) count(counted);
}

void throw_failed(Point point, VkResult result, const char* file, int line) {
  throw_result(result, info(point).name, file, line);
}

}  // namespace vkrope::vk

namespace vkrope::fault {

std::string_view name(Point point) noexcept { return vk::info(point).name; }

std::optional<Point> point_named(std::string_view name) noexcept {
  for (std::size_t i = 0; i < vk::kPoints.size(); ++i)
    if (name == vk::kPoints[i].name) return static_cast<Point>(i);
  return std::nullopt;
}

std::span<const std::int32_t> failure_results(Point point) noexcept {
  const auto& results = vk::info(point).results;
  std::size_t n = 0;
  while (n < results.size() && results[n] != 0) ++n;
  return {results.data(), n};
}

std::string result_name(std::int32_t result) {
  const std::string_view known = vk::result_name(static_cast<VkResult>(result));
  if (known != "VkResult(unknown)") return std::string(known);
  return "VkResult(" + std::to_string(result) + ")";
}

void arm(const Fault& fault) {
  if (fault.point >= Point::Count) throw Error(ErrorKind::InvalidArgument, "fault injection: no such call");
  if (fault.nth < 1)
    throw Error(ErrorKind::InvalidArgument,
                "fault injection: call number " + std::to_string(fault.nth) + " of " + std::string(name(fault.point)) +
                    "; expected 1 or more");
  bool allowed = false;
  std::string list;
  for (const std::int32_t r : failure_results(fault.point)) {
    allowed = allowed || r == fault.result;
    list += (list.empty() ? "" : ", ") + result_name(r);
  }
  if (!allowed)
    throw Error(ErrorKind::InvalidArgument, "fault injection: " + std::string(name(fault.point)) +
                                                " cannot fail with " + result_name(fault.result) + "; expected " + list);
  vk::HookState& h = vk::hook();
  std::lock_guard lock(h.mutex);
  h.fault = fault;
  h.seen = 0;
  h.armed = true;
  h.fired = false;
  h.update_switch();
}

void disarm() noexcept {
  vk::HookState& h = vk::hook();
  std::lock_guard lock(h.mutex);
  h.armed = false;
  h.update_switch();
}

bool fired() noexcept {
  vk::HookState& h = vk::hook();
  std::lock_guard lock(h.mutex);
  return h.fired;
}

void start_trace() {
  vk::HookState& h = vk::hook();
  std::lock_guard lock(h.mutex);
  h.trace.clear();
  h.tracing = true;
  h.update_switch();
}

std::vector<Point> stop_trace() {
  vk::HookState& h = vk::hook();
  std::lock_guard lock(h.mutex);
  h.tracing = false;
  h.update_switch();
  return std::move(h.trace);
}

Fault parse_fault(std::string_view text) {
  const auto bad = [&](const std::string& what) -> Error {
    return Error(ErrorKind::InvalidArgument, "fault '" + std::string(text) + "': " + what +
                                                 "; expected CALL[:N[:RESULT]], e.g. vkQueueSubmit:1:VK_ERROR_DEVICE_LOST");
  };
  const std::size_t first = text.find(':');
  const std::string_view call = text.substr(0, first);
  const std::optional<Point> point = point_named(call);
  if (!point) {
    std::string names;
    for (const auto& p : vk::kPoints) names += (names.empty() ? "" : ", ") + std::string(p.name);
    throw bad("no fallible call named '" + std::string(call) + "' (one of: " + names + ")");
  }
  Fault fault{*point, 1, failure_results(*point)[0]};
  if (first == std::string_view::npos) return fault;
  const std::string_view rest = text.substr(first + 1);
  const std::size_t second = rest.find(':');
  const std::string number(rest.substr(0, second));
  if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos || number.size() > 12)
    throw bad("call number '" + number + "' is not a positive integer");
  fault.nth = std::stoll(number);
  if (second != std::string_view::npos) {
    const std::string_view result = rest.substr(second + 1);
    bool found = false;
    for (const std::int32_t r : failure_results(*point))
      if (result_name(r) == result) {
        fault.result = r;
        found = true;
      }
    if (!found) {
      std::string list;
      for (const std::int32_t r : failure_results(*point)) list += (list.empty() ? "" : ", ") + result_name(r);
      throw bad(std::string(call) + " cannot fail with '" + std::string(result) + "' (one of: " + list + ")");
    }
  }
  if (fault.nth < 1) throw bad("call number 0; calls count from 1");
  return fault;
}

std::string to_string(const Fault& fault) {
  return std::string(name(fault.point)) + ":" + std::to_string(fault.nth) + ":" + result_name(fault.result);
}

}  // namespace vkrope::fault
