#include "draw.hpp"

#include <cstdint>
#include <iterator>

#include "heatmap_frag_spirv.h"
#include "heatmap_vert_spirv.h"
#include "needles_frag_spirv.h"
#include "needles_vert_spirv.h"

namespace live_compass {

Renderer::Renderer(Gpu& gpu, const Scene& scene, VkFormat format, VkImageLayout final_layout) : gpu_(gpu) {
  const VkDevice d = gpu.device;
  VkAttachmentDescription color{};
  color.format = format;
  color.samples = VK_SAMPLE_COUNT_1_BIT;
  color.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
  color.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
  color.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  color.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  color.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  color.finalLayout = final_layout;
  VkAttachmentReference ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkSubpassDescription subpass{};
  subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
  subpass.colorAttachmentCount = 1;
  subpass.pColorAttachments = &ref;
  // In: the layout transition waits for the acquire semaphore (signalled at colour output)
  // and for the last read of this image (the read-back copy of an offscreen image).
  // Out: colour writes before the read-back copy (a swapchain image is handed to the
  // presentation engine by the submission's semaphore instead).
  VkSubpassDependency deps[2]{};
  deps[0].srcSubpass = VK_SUBPASS_EXTERNAL;
  deps[0].dstSubpass = 0;
  deps[0].srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  deps[0].dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  deps[0].dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  deps[1].srcSubpass = 0;
  deps[1].dstSubpass = VK_SUBPASS_EXTERNAL;
  deps[1].srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  deps[1].srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  deps[1].dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT;
  deps[1].dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
  VkRenderPassCreateInfo rp{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO};
  rp.attachmentCount = 1;
  rp.pAttachments = &color;
  rp.subpassCount = 1;
  rp.pSubpasses = &subpass;
  rp.dependencyCount = 2;
  rp.pDependencies = deps;
  LC_CHECK(gpu.fn.vkCreateRenderPass(d, &rp, nullptr, &pass_));

  // vkrope's tensors, bound where vkrope keeps them: the buffer and offset interop reports.
  VkDescriptorSetLayoutBinding bindings[3]{};
  for (std::uint32_t i = 0; i < 3; ++i) {
    bindings[i].binding = i;
    bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    bindings[i].descriptorCount = 1;
    bindings[i].stageFlags = VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT;
  }
  VkDescriptorSetLayoutCreateInfo sl{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  sl.bindingCount = 3;
  sl.pBindings = bindings;
  LC_CHECK(gpu.fn.vkCreateDescriptorSetLayout(d, &sl, nullptr, &set_layout_));
  VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 3};
  VkDescriptorPoolCreateInfo pi{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  pi.maxSets = 1;
  pi.poolSizeCount = 1;
  pi.pPoolSizes = &size;
  LC_CHECK(gpu.fn.vkCreateDescriptorPool(d, &pi, nullptr, &pool_));
  VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  ai.descriptorPool = pool_;
  ai.descriptorSetCount = 1;
  ai.pSetLayouts = &set_layout_;
  LC_CHECK(gpu.fn.vkAllocateDescriptorSets(d, &ai, &set_));
  // One set for every frame: the buffers stay, only their contents change, and the
  // barriers in frames.cpp order each frame's writes against the other frame's reads.
  const Scene::Binding sources[3] = {scene.queries(), scene.keys(), scene.weights()};
  VkDescriptorBufferInfo infos[3];
  VkWriteDescriptorSet writes[3]{};
  for (std::uint32_t i = 0; i < 3; ++i) {
    infos[i] = {sources[i].buffer, sources[i].offset, sources[i].range};
    writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    writes[i].dstSet = set_;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  gpu.fn.vkUpdateDescriptorSets(d, 3, writes, 0, nullptr);

  VkPushConstantRange range{VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, 0, sizeof(Push)};
  VkPipelineLayoutCreateInfo pl{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  pl.setLayoutCount = 1;
  pl.pSetLayouts = &set_layout_;
  pl.pushConstantRangeCount = 1;
  pl.pPushConstantRanges = &range;
  LC_CHECK(gpu.fn.vkCreatePipelineLayout(d, &pl, nullptr, &layout_));
  heatmap_ = pipeline(heatmap_vert_spirv, sizeof heatmap_vert_spirv, heatmap_frag_spirv, sizeof heatmap_frag_spirv);
  needles_ = pipeline(needles_vert_spirv, sizeof needles_vert_spirv, needles_frag_spirv, sizeof needles_frag_spirv);
}

Renderer::~Renderer() {
  const VkDevice d = gpu_.device;
  gpu_.fn.vkDestroyPipeline(d, needles_, nullptr);
  gpu_.fn.vkDestroyPipeline(d, heatmap_, nullptr);
  gpu_.fn.vkDestroyPipelineLayout(d, layout_, nullptr);
  gpu_.fn.vkDestroyDescriptorPool(d, pool_, nullptr);
  gpu_.fn.vkDestroyDescriptorSetLayout(d, set_layout_, nullptr);
  gpu_.fn.vkDestroyRenderPass(d, pass_, nullptr);
}

VkPipeline Renderer::pipeline(const std::uint32_t* vert, std::size_t vert_bytes, const std::uint32_t* frag,
                              std::size_t frag_bytes) const {
  VkShaderModule modules[2];
  const std::uint32_t* code[2] = {vert, frag};
  const std::size_t bytes[2] = {vert_bytes, frag_bytes};
  VkPipelineShaderStageCreateInfo stages[2]{};
  for (int i = 0; i < 2; ++i) {
    VkShaderModuleCreateInfo mi{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    mi.codeSize = bytes[i];
    mi.pCode = code[i];
    LC_CHECK(gpu_.fn.vkCreateShaderModule(gpu_.device, &mi, nullptr, &modules[i]));
    stages[i].sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    stages[i].stage = i == 0 ? VK_SHADER_STAGE_VERTEX_BIT : VK_SHADER_STAGE_FRAGMENT_BIT;
    stages[i].module = modules[i];
    stages[i].pName = "main";
  }
  VkPipelineVertexInputStateCreateInfo vertex_input{VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
  VkPipelineInputAssemblyStateCreateInfo assembly{VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO};
  assembly.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
  VkPipelineViewportStateCreateInfo viewport{VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO};
  viewport.viewportCount = 1;
  viewport.scissorCount = 1;
  VkPipelineRasterizationStateCreateInfo raster{VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO};
  raster.polygonMode = VK_POLYGON_MODE_FILL;
  raster.cullMode = VK_CULL_MODE_NONE;
  raster.lineWidth = 1.0f;
  VkPipelineMultisampleStateCreateInfo multisample{VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO};
  multisample.rasterizationSamples = VK_SAMPLE_COUNT_1_BIT;
  VkPipelineColorBlendAttachmentState blend{};
  blend.colorWriteMask = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT | VK_COLOR_COMPONENT_B_BIT |
                         VK_COLOR_COMPONENT_A_BIT;
  VkPipelineColorBlendStateCreateInfo color{VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO};
  color.attachmentCount = 1;
  color.pAttachments = &blend;
  const VkDynamicState dynamic_states[2] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
  VkPipelineDynamicStateCreateInfo dynamic{VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO};
  dynamic.dynamicStateCount = 2;
  dynamic.pDynamicStates = dynamic_states;
  VkGraphicsPipelineCreateInfo gi{VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO};
  gi.stageCount = 2;
  gi.pStages = stages;
  gi.pVertexInputState = &vertex_input;
  gi.pInputAssemblyState = &assembly;
  gi.pViewportState = &viewport;
  gi.pRasterizationState = &raster;
  gi.pMultisampleState = &multisample;
  gi.pColorBlendState = &color;
  gi.pDynamicState = &dynamic;
  gi.layout = layout_;
  gi.renderPass = pass_;
  VkPipeline p;
  const VkResult r = gpu_.fn.vkCreateGraphicsPipelines(gpu_.device, VK_NULL_HANDLE, 1, &gi, nullptr, &p);
  for (VkShaderModule m : modules) gpu_.fn.vkDestroyShaderModule(gpu_.device, m, nullptr);
  LC_CHECK(r);
  return p;
}

VkFramebuffer Renderer::framebuffer(VkImageView view) const {
  VkFramebufferCreateInfo fi{VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO};
  fi.renderPass = pass_;
  fi.attachmentCount = 1;
  fi.pAttachments = &view;
  fi.width = kWidth;
  fi.height = kHeight;
  fi.layers = 1;
  VkFramebuffer fb;
  LC_CHECK(gpu_.fn.vkCreateFramebuffer(gpu_.device, &fi, nullptr, &fb));
  return fb;
}

void Renderer::record(VkCommandBuffer cmd, VkFramebuffer framebuffer, std::int64_t position, int head) const {
  const auto& fn = gpu_.fn;
  VkClearValue clear{};
  clear.color = {{0.07f, 0.08f, 0.10f, 1.0f}};
  VkRenderPassBeginInfo bi{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
  bi.renderPass = pass_;
  bi.framebuffer = framebuffer;
  bi.renderArea = {{0, 0}, {kWidth, kHeight}};
  bi.clearValueCount = 1;
  bi.pClearValues = &clear;
  fn.vkCmdBeginRenderPass(cmd, &bi, VK_SUBPASS_CONTENTS_INLINE);
  const VkViewport viewport{0, 0, float(kWidth), float(kHeight), 0, 1};
  const VkRect2D scissor{{0, 0}, {kWidth, kHeight}};
  fn.vkCmdSetViewport(cmd, 0, 1, &viewport);
  fn.vkCmdSetScissor(cmd, 0, 1, &scissor);
  fn.vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, layout_, 0, 1, &set_, 0, nullptr);
  const auto stages = VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT;
  Push push{{std::int32_t(kWidth), std::int32_t(kHeight)}, {32, 100}, {18, 12}, std::int32_t(kRing),
            std::int32_t(kHistory), head, std::int32_t(kHeads), std::int32_t(kRing), std::int32_t(kHeadDim),
            std::int32_t(kHistory), std::int32_t(position), std::int32_t(kFirstPosition)};
  // Heatmap: 32 slots x 24 frames of 18 x 12 pixels, below the needles.
  fn.vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, heatmap_);
  fn.vkCmdPushConstants(cmd, layout_, stages, 0, sizeof push, &push);
  fn.vkCmdDraw(cmd, 6, 1, 0, 0);
  // Needles: 2 rows (query, newest key) x 16 pairs of 36-pixel cells, 18 vertices each.
  push.origin[0] = 32;
  push.origin[1] = 14;
  push.cell[0] = push.cell[1] = 36;
  push.cols = std::int32_t(kHeadDim / 2);
  push.rows = 2;
  fn.vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, needles_);
  fn.vkCmdPushConstants(cmd, layout_, stages, 0, sizeof push, &push);
  fn.vkCmdDraw(cmd, 18, std::uint32_t(push.cols * push.rows), 0, 0);
  fn.vkCmdEndRenderPass(cmd);
}

}  // namespace live_compass
