// Compute pipelines built from the embedded SPIR-V, cached by (shader, specialization
// constants), on top of a VkPipelineCache that can be persisted between runs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/device_query.hpp"
#include "runtime/instance.hpp"
#include "vk/handles.hpp"
#include "vkrope/context.hpp"

namespace vkrope::detail {

// What defines a pipeline. Every kernel binds `buffer_count` buffers at set 0, bindings
// 0..buffer_count-1 (storage buffers, but those whose bit is set in `texel_bindings`: uniform
// texel buffers, read through a VkBufferView), and takes `push_constant_bytes` of push
// constants.
// Specialization constant i (constant_id = i) is constants[i]; a float constant is passed
// as its bit pattern.
struct KernelSpec {
  std::string_view shader;  // an embedded shader's name, or the name of `words`
  std::uint32_t buffer_count = 0;
  std::uint32_t push_constant_bytes = 0;
  std::vector<std::uint32_t> constants;
  std::span<const std::uint32_t> words;  // SPIR-V from the caller (vkrope::Kernel); empty: embedded
  std::uint32_t texel_bindings = 0;  // bit b: binding b is a uniform texel buffer
};

// The descriptor type of binding b of a kernel whose texel_bindings mask is `texel_bindings`.
inline VkDescriptorType descriptor_type(std::uint32_t texel_bindings, std::uint32_t b) {
  return (texel_bindings >> b & 1u) ? VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
}

struct ComputePipeline {
  std::string name;
  std::uint32_t buffer_count = 0;
  std::uint32_t push_constant_bytes = 0;
  std::uint32_t texel_bindings = 0;
  vk::DescriptorSetLayout set_layout;
  vk::PipelineLayout layout;
  vk::Pipeline pipeline;
};

class PipelineTable {
 public:
  // Loads the persisted cache from `cache_file` when it exists and matches this device
  // (empty path: in-memory only). A file that cannot be used, or a cache that cannot be saved,
  // is never an error: a line in `warnings`, and the cache is rebuilt.
  PipelineTable(vk::DeviceRef device, const PhysicalDevice& physical, std::string cache_file, MessageLog& warnings);
  ~PipelineTable();  // saves the cache; never throws

  // The pipeline for `spec`, built on first use. Thread-safe; the reference stays valid
  // for the table's lifetime. Throws InvalidArgument for an unknown shader name.
  const ComputePipeline& get(const KernelSpec& spec);

  PipelineStats stats() const;
  // Writes the cache file (when there is one); a failure is a warning. Never throws.
  void save() const noexcept;

 private:
  vk::DeviceRef device_;
  const PhysicalDevice& physical_;
  std::string cache_file_;
  MessageLog& warnings_;
  vk::PipelineCache cache_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<ComputePipeline>> pipelines_;
  PipelineStats stats_;
};

// Pipeline-cache persistence (pipeline_cache_file.cpp).
std::string pipeline_cache_path(const std::string& dir, const PhysicalDevice& physical);
struct PipelineCacheFile {
  std::vector<std::uint8_t> data;  // the driver's bytes, checked; empty when none are usable
  std::string problem;             // why a file that exists was not used (a warning); empty if none
};
// The file's cache data when it exists, is whole and was made by this device and driver.
PipelineCacheFile read_pipeline_cache(const std::string& path, const PhysicalDevice& physical);
// Writes atomically (temporary file + rename). Returns the problem (a warning), empty on success.
std::string write_pipeline_cache(const std::string& path, const std::vector<std::uint8_t>& data);

}  // namespace vkrope::detail
