// C API: batches (vkrope.h "Batches").
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "vkrope/vulkan_interop.hpp"

using namespace vkrope;
using namespace vkrope::capi;

extern "C" {

void vkrope_batch_options_init(vkrope_batch_options* options) {
  if (!options) return;
  *options = vkrope_batch_options{};
  options->struct_size = sizeof *options;
}

vkrope_status vkrope_batch_create(vkrope_context* context, const vkrope_batch_options* options, vkrope_batch** out) {
  return guard(__func__, [&] {
    vkrope_batch*& result = out_handle(out);
    const Context& c = need(context, "context").context;
    const vkrope_batch_options o = read_struct(options, "options", vkrope_batch_options_init);
    result = new vkrope_batch{Batch(c, BatchOptions{.profile = o.profile != 0}), {}};
  });
}

vkrope_status vkrope_batch_record_into(vkrope_context* context, VkCommandBuffer command_buffer, vkrope_batch** out) {
  return guard(__func__, [&] {
    vkrope_batch*& result = out_handle(out);
    const Context& c = need(context, "context").context;
    if (!command_buffer) invalid("command_buffer is VK_NULL_HANDLE");
    result = new vkrope_batch{interop::record_into(c, command_buffer), {}};
  });
}

// ~Batch waits for its work in flight and never throws.
void vkrope_batch_destroy(vkrope_batch* batch) { delete batch; }

vkrope_status vkrope_batch_submit(vkrope_batch* batch) {
  return guard(__func__, [&] { need(batch, "batch").batch.submit(); });
}

vkrope_status vkrope_batch_submit_async(vkrope_batch* batch) {
  return guard(__func__, [&] {
    vkrope_batch& b = need(batch, "batch");
    b.submission = b.batch.submit_async();
  });
}

vkrope_status vkrope_batch_ready(vkrope_batch* batch, int32_t* ready) {
  return guard(__func__, [&] {
    int32_t& result = need(ready, "ready");
    result = need(batch, "batch").submission.ready() ? 1 : 0;
  });
}

vkrope_status vkrope_batch_wait(vkrope_batch* batch) {
  return guard(__func__, [&] { need(batch, "batch").batch.wait(); });
}

vkrope_status vkrope_batch_timeline_value(const vkrope_batch* batch, uint64_t* value) {
  return guard(__func__, [&] {
    uint64_t& result = need(value, "value");
    result = interop::timeline_value(need(batch, "batch").submission);
  });
}

vkrope_status vkrope_batch_counts(const vkrope_batch* batch, size_t* dispatches, size_t* barriers) {
  return guard(__func__, [&] {
    const Batch& b = need(batch, "batch").batch;
    if (dispatches) *dispatches = b.dispatch_count();
    if (barriers) *barriers = b.barrier_count();
  });
}

vkrope_status vkrope_batch_profile_count(vkrope_batch* batch, size_t* count) {
  return guard(__func__, [&] {
    size_t& result = need(count, "count");
    result = need(batch, "batch").batch.profile().size();
  });
}

vkrope_status vkrope_batch_profile_entry(vkrope_batch* batch, size_t index, const char** label, double* milliseconds) {
  return guard(__func__, [&] {
    const std::vector<DispatchTiming>& profile = need(batch, "batch").batch.profile();
    if (index >= profile.size())
      invalid("index " + std::to_string(index) + " past the " + std::to_string(profile.size()) + " profiled dispatches");
    if (label) *label = keep(profile[index].label);
    if (milliseconds) *milliseconds = profile[index].milliseconds;
  });
}

}  // extern "C"
