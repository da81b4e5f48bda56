#include "runtime/pipelines.hpp"

#include "runtime/shader_table.hpp"
#include "vk/fault.hpp"

namespace vkrope::detail {

namespace {

std::string cache_key(const KernelSpec& spec) {
  std::string key(spec.shader);
  for (std::uint32_t c : spec.constants) key += ":" + std::to_string(c);
  if (spec.texel_bindings) key += ":texel" + std::to_string(spec.texel_bindings);
  return key;
}

}  // namespace

PipelineTable::PipelineTable(vk::DeviceRef device, const PhysicalDevice& physical, std::string cache_file,
                             MessageLog& warnings)
    : device_(device), physical_(physical), cache_file_(std::move(cache_file)), warnings_(warnings) {
  PipelineCacheFile initial;
  if (!cache_file_.empty()) initial = read_pipeline_cache(cache_file_, physical_);
  if (!initial.problem.empty()) warnings_.add(initial.problem);
  VkPipelineCacheCreateInfo info{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  info.initialDataSize = initial.data.size();
  info.pInitialData = initial.data.empty() ? nullptr : initial.data.data();
  VkPipelineCache cache = VK_NULL_HANDLE;
  VkResult result = VK_CALL(CreatePipelineCache, device_.fn->vkCreatePipelineCache(device_.device, &info, nullptr, &cache));
  if (result != VK_SUCCESS && info.initialDataSize > 0) {
    // The driver refused the saved bytes: start from an empty cache.
    warnings_.add("pipeline cache " + cache_file_ + " refused by the driver (" +
                  std::string(vk::result_name(result)) + "); it is rebuilt");
    info.initialDataSize = 0;
    info.pInitialData = nullptr;
    result = VK_CALL(CreatePipelineCache, device_.fn->vkCreatePipelineCache(device_.device, &info, nullptr, &cache));
  }
  if (result != VK_SUCCESS) vk::throw_failed(fault::Point::CreatePipelineCache, result, __FILE__, __LINE__);
  cache_ = vk::PipelineCache(device_, cache);
}

PipelineTable::~PipelineTable() { save(); }

const ComputePipeline& PipelineTable::get(const KernelSpec& spec) {
  const std::string key = cache_key(spec);
  std::lock_guard lock(mutex_);
  if (auto it = pipelines_.find(key); it != pipelines_.end()) {
    ++stats_.reused;
    return *it->second;
  }
  std::span<const std::uint32_t> code = spec.words;
  if (code.empty()) {
    const ShaderEntry* shader = find_shader(spec.shader);
    if (!shader) throw Error(ErrorKind::InvalidArgument, "no embedded shader named '" + std::string(spec.shader) + "'");
    code = {shader->words, shader->word_count};
  }

  auto p = std::make_unique<ComputePipeline>();
  p->name = key;
  p->buffer_count = spec.buffer_count;
  p->push_constant_bytes = spec.push_constant_bytes;
  p->texel_bindings = spec.texel_bindings;
  const auto& fn = *device_.fn;

  std::vector<VkDescriptorSetLayoutBinding> bindings(spec.buffer_count);
  for (std::uint32_t b = 0; b < spec.buffer_count; ++b)
    bindings[b] = {b, descriptor_type(spec.texel_bindings, b), 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = spec.buffer_count;
  set_info.pBindings = bindings.data();
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  VK_TRY(CreateDescriptorSetLayout, fn.vkCreateDescriptorSetLayout(device_.device, &set_info, nullptr, &set_layout));
  p->set_layout = vk::DescriptorSetLayout(device_, set_layout);

  VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, spec.push_constant_bytes};
  VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &set_layout;
  layout_info.pushConstantRangeCount = spec.push_constant_bytes > 0 ? 1 : 0;
  layout_info.pPushConstantRanges = &range;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VK_TRY(CreatePipelineLayout, fn.vkCreatePipelineLayout(device_.device, &layout_info, nullptr, &layout));
  p->layout = vk::PipelineLayout(device_, layout);

  VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  module_info.codeSize = code.size() * sizeof(std::uint32_t);
  module_info.pCode = code.data();
  VkShaderModule module_handle = VK_NULL_HANDLE;
  VK_TRY(CreateShaderModule, fn.vkCreateShaderModule(device_.device, &module_info, nullptr, &module_handle));
  const vk::ShaderModule module(device_, module_handle);  // only needed until the pipeline exists

  std::vector<VkSpecializationMapEntry> entries(spec.constants.size());
  for (std::uint32_t i = 0; i < entries.size(); ++i)
    entries[i] = {i, i * static_cast<std::uint32_t>(sizeof(std::uint32_t)), sizeof(std::uint32_t)};
  VkSpecializationInfo specialization{};
  specialization.mapEntryCount = static_cast<std::uint32_t>(entries.size());
  specialization.pMapEntries = entries.data();
  specialization.dataSize = spec.constants.size() * sizeof(std::uint32_t);
  specialization.pData = spec.constants.data();

  VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = module.handle();
  info.stage.pName = "main";
  info.stage.pSpecializationInfo = entries.empty() ? nullptr : &specialization;
  info.layout = layout;
  VkPipeline pipeline = VK_NULL_HANDLE;
  VK_TRY(CreateComputePipelines, fn.vkCreateComputePipelines(device_.device, cache_.handle(), 1, &info, nullptr, &pipeline));
  p->pipeline = vk::Pipeline(device_, pipeline);

  ++stats_.created;
  return *pipelines_.emplace(key, std::move(p)).first->second;
}

PipelineStats PipelineTable::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void PipelineTable::save() const noexcept {
  if (cache_file_.empty() || !cache_) return;
  try {
    std::size_t size = 0;
    VkResult result = VK_CALL(GetPipelineCacheData,
                              device_.fn->vkGetPipelineCacheData(device_.device, cache_.handle(), &size, nullptr));
    std::vector<std::uint8_t> data;
    if (result == VK_SUCCESS) {
      data.resize(size);
      result = VK_CALL(GetPipelineCacheData,
                       device_.fn->vkGetPipelineCacheData(device_.device, cache_.handle(), &size, data.data()));
    }
    if (result != VK_SUCCESS) {
      warnings_.add("pipeline cache " + cache_file_ + " not saved (vkGetPipelineCacheData failed with " +
                    std::string(vk::result_name(result)) + ")");
      return;
    }
    data.resize(size);
    if (std::string problem = write_pipeline_cache(cache_file_, data); !problem.empty())
      warnings_.add(std::move(problem));
  } catch (...) {
    // Out of host memory while saving: the cache is simply not saved.
  }
}

}  // namespace vkrope::detail
